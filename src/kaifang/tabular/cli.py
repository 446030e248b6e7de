"""`kaifang ingest DATASET_CODE FILE [--encoding …] [--quarantine]` with a progress bar on stderr."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

PHASES = {"transcode": "转码", "parse": "解析", "validate": "校验", "write": "写入", "profile": "概况"}


class ProgressBar:
    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, phase: str, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and 0 < fraction < 1:
            return
        self.last = now
        done = int(self.width * max(0.0, min(fraction, 1.0)))
        bar = "#" * done + "-" * (self.width - done)
        self.stream.write(
            f"\r{PHASES.get(phase, phase):<4} [{bar}] {fraction * 100:5.1f}%  {now - self.started:6.1f}s"
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def run_ingest_command(args: argparse.Namespace) -> int:
    from django.utils import translation

    from kaifang.accounts.models import User
    from kaifang.catalog.models import Dataset
    from kaifang.core.errors import DomainError
    from kaifang.tabular.services import table_ingest

    translation.activate(args.language)
    path = Path(args.file)
    if not path.is_file():
        print(f"文件不存在 (file not found): {path}", file=sys.stderr)
        return 2
    user = User.objects.filter(username=args.user).first()
    if user is None:
        print(f"用户不存在 (no such user): {args.user}", file=sys.stderr)
        return 2
    dataset = Dataset.objects.filter(code=args.dataset_code).first()
    if dataset is None:
        print(f"数据资源不存在 (no such dataset): {args.dataset_code}", file=sys.stderr)
        return 2
    bar = ProgressBar()
    started = time.monotonic()
    try:
        version = table_ingest(
            actor=user,
            dataset=dataset,
            path=path,
            filename=path.name,
            encoding=args.encoding,
            quarantine=args.quarantine,
            progress=bar,
        )
    except DomainError as exc:
        bar.close()
        print(str(exc.message), file=sys.stderr)
        details = exc.details if isinstance(exc.details, dict) else {}
        for r in details.get("bad_rows", [])[:20]:
            print(f"  第{r['row']}行 [{r['column']}] {r['value']!r}: {r['reason']}", file=sys.stderr)
        return 1
    bar("profile", 1.0)
    bar.close()
    elapsed = time.monotonic() - started
    print(
        f"版本 v{version.number} 已校验，待审核发布：{version.row_count} 行"
        f"（隔离 {version.quarantined_count} 行），{version.row_count / max(elapsed, 1e-6):,.0f} 行/秒，"
        f"编码 {version.source_encoding or '-'}，SHA-256 {version.content_hash}"
    )
    return 0
