"""The peers the tabular benchmark compares against, run on this machine in the same run.

Datasette users load a CSV with `sqlite-utils insert --csv` and serve the SQLite file with Datasette; both are
installed from the package index into a virtual environment of their own (`var/bench-peers`), so they never
touch the platform's dependencies. Versions are pinned to what ../shared/reference/peers-bench.md measured.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "var" / "bench-peers"
PINS = ("datasette==0.65.5", "sqlite-utils==4.2.1")
FTS_COLUMNS = ("企业名称", "地址", "经营范围")


def ensure_peers() -> Path:
    """The peers' virtual environment, created on first use."""
    if not (VENV / "bin" / "datasette").exists() or not (VENV / "bin" / "sqlite-utils").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", *PINS], check=True)
    return VENV / "bin"


def sqlite_utils_insert(csv_path: Path, db: Path, encoding: str) -> float:
    """Wall seconds of Datasette's usual load path (sqlite-utils 4 detects column types by default, so numbers
    sort as numbers)."""
    bin_dir = ensure_peers()
    db.unlink(missing_ok=True)
    cmd = [str(bin_dir / "sqlite-utils"), "insert", str(db), "t", str(csv_path), "--csv"]
    if encoding.lower() != "utf-8":
        cmd += ["--encoding", encoding]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def enable_fts(db: Path) -> float:
    """A trigram full-text index over the text columns: what a Datasette user adds for `_search`."""
    bin_dir = ensure_peers()
    started = time.perf_counter()
    subprocess.run(
        [str(bin_dir / "sqlite-utils"), "enable-fts", str(db), "t", *FTS_COLUMNS, "--tokenize", "trigram"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


@contextlib.contextmanager
def datasette(db: Path, port: int) -> Iterator[str]:
    """Datasette serving the file, with its time limits raised so that slow shapes are measured rather than
    cut off (stock settings drop a 2 M-row facet after 200 ms and return no answer)."""
    bin_dir = ensure_peers()
    settings = {
        "sql_time_limit_ms": "30000",
        "facet_time_limit_ms": "30000",
        "suggest_facets": "off",
        "num_sql_threads": "4",
    }
    cmd = [str(bin_dir / "datasette"), "serve", str(db), "--port", str(port), "--immutable", str(db)]
    for name, value in settings.items():
        cmd += ["--setting", name, value]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}/{db.stem}/t.json"
    finally:
        server.terminate()
        server.wait(timeout=30)
