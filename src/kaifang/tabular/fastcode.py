"""GBK to UTF-8 on every core: glibc's `iconv` on ranges of the file split at newlines, then joined.

Python's codec transcodes GBK at about 100 MB/s on one core; `iconv` is 1.5x faster and runs once per core.
A newline byte (0x0A) is never part of a GBK character (trail bytes are 0x40-0xFE), so ranges that start after
one decode on their own and their outputs join into exactly the single-pass result, quoted fields with line
breaks included. Only GBK takes this path: glibc maps the same 21,791 GBK codes to the same characters as
Python (checked code by code; it also takes 0x80 as the euro sign, as Windows' code page 936 does), whereas its
GB18030 maps 25 codes that Python maps into the private use area to real characters.

This path says only whether it succeeded: on any refusal (a byte that is not GBK, a file cut in the middle of a
character, no `iconv` on the machine) the caller runs the strict Python pass, which says where and why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

FEED = 4 * 1024 * 1024
MIN_PART = 32 * 1024 * 1024


def split_at_newlines(path: Path, parts: int) -> list[tuple[int, int]]:
    """Byte ranges covering the file, each but the first starting just after a newline."""
    size = path.stat().st_size
    cuts = [0]
    with open(path, "rb") as fh:
        for i in range(1, parts):
            fh.seek(max(i * size // parts, cuts[-1]))
            window = fh.read(FEED)
            nl = window.find(b"\n")
            if nl < 0:
                continue  # no line break near here (a huge line): the previous range goes on
            cut = fh.tell() - len(window) + nl + 1
            if cuts[-1] < cut < size:
                cuts.append(cut)
    cuts.append(size)
    return list(zip(cuts, cuts[1:], strict=False))


def gbk_to_utf8(
    path: Path, dest: Path, *, workers: int = 2, progress: Callable[[float], None] | None = None
) -> bool:
    """Write the UTF-8 text of the GBK file `path` to `dest`. False (and no `dest`) if `iconv` refused it."""
    iconv = shutil.which("iconv")
    if iconv is None:
        return False
    size = max(path.stat().st_size, 1)
    ranges = split_at_newlines(path, max(1, min(workers, size // MIN_PART)))
    outs = [dest] + [dest.with_name(f"{dest.name}.part{i}") for i in range(1, len(ranges))]
    fed = [0] * len(ranges)
    procs: list[subprocess.Popen[bytes]] = []
    feeders: list[threading.Thread] = []
    ok = False
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}
    try:
        for i, ((start, end), out) in enumerate(zip(ranges, outs, strict=True)):
            with open(out, "wb") as sink:
                proc = subprocess.Popen(  # noqa: S603 - a fixed program and arguments
                    [iconv, "-f", "GBK", "-t", "UTF-8"],
                    stdin=subprocess.PIPE,
                    stdout=sink,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            procs.append(proc)
            feeder = threading.Thread(target=_feed, args=(path, start, end, proc, fed, i), daemon=True)
            feeder.start()
            feeders.append(feeder)
        while any(f.is_alive() for f in feeders):
            if progress:
                progress(sum(fed) / size)
            time.sleep(0.2)
        ok = all(p.wait() == 0 for p in procs) and sum(fed) == path.stat().st_size
        if ok:
            with open(dest, "ab") as joined:
                for part in outs[1:]:
                    with open(part, "rb") as piece:
                        shutil.copyfileobj(piece, joined, FEED)
        return ok
    except OSError:
        return False
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for part in outs[1:]:
            part.unlink(missing_ok=True)
        if not ok:
            dest.unlink(missing_ok=True)


def _feed(path: Path, start: int, end: int, proc: subprocess.Popen[bytes], fed: list[int], i: int) -> None:
    """Copy bytes start..end of the file into one iconv's input (the GIL is released while copying)."""
    assert proc.stdin is not None
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            left = end - start
            while left > 0:
                chunk = fh.read(min(FEED, left))
                if not chunk:
                    break
                proc.stdin.write(chunk)
                left -= len(chunk)
                fed[i] += len(chunk)
    except (BrokenPipeError, OSError):
        pass  # iconv stopped at a byte it refused; its exit status says so
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
