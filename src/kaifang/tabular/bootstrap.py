"""Ingesting the demo city's files through the same pipeline as any upload (no person acts: the platform
built the files). Called at the end of `kaifang.demo.builder.build_demo`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings

from kaifang.catalog.models import Distribution
from kaifang.tabular import services
from kaifang.tabular.ingest import IngestError
from kaifang.tabular.models import TableVersion


def ingest_demo_files(*, stdout: Any = None, sources: str = "demo-sources") -> dict[str, int]:
    """Ingest and publish every demo file: the open entries' downloadable files (their distributions), then
    the conditional entries' source files under KAIFANG_HOME/`sources` (named by the dataset's slug, never
    served themselves)."""
    from kaifang.catalog.codes import code_from_slug
    from kaifang.catalog.models import Dataset

    started = time.monotonic()
    root = Path(settings.KAIFANG_HOME) / "files"
    counts = {"tables": 0, "rows": 0, "quarantined": 0, "failed": 0, "refused": 0}
    have = set(TableVersion.objects.values_list("dataset_id", flat=True))
    dists = Distribution.objects.filter(kind="file", access_url__startswith="/files/demo/").select_related(
        "dataset"
    )
    todo = [
        (dist.dataset, root / dist.access_url.removeprefix("/files/"))
        for dist in dists.order_by("id")
        if dist.dataset_id not in have
    ]
    source_dir = Path(settings.KAIFANG_HOME) / sources
    if source_dir.is_dir():
        codes = {code_from_slug(p.stem): p for p in sorted(source_dir.glob("*.csv"))}
        todo += [
            (ds, codes[ds.code])
            for ds in Dataset.objects.filter(code__in=list(codes)).exclude(pk__in=have).order_by("id")
        ]
    for dataset, path in todo:
        if dataset.pk in have or not path.is_file():
            continue
        _ingest_one(dataset, path, have, counts)
    if stdout is not None:
        stdout.write(
            f"数据表：{counts['tables']} 个已导入并发布（{counts['rows']} 行，隔离 {counts['quarantined']} 行，"
            f"失败 {counts['failed']} 个，隐私审查未通过 {counts['refused']} 个），"
            f"用时 {time.monotonic() - started:.1f}s\n"
        )
    return counts


def _ingest_one(dataset: Any, path: Path, have: set[int], counts: dict[str, int]) -> None:
    try:
        version = services._ingest(
            actor=None,
            dataset=dataset,
            path=path,
            filename=path.name,
            encoding=None,
            quarantine=True,
            progress=None,
        )
    except IngestError:
        counts["failed"] += 1
        return
    have.add(dataset.pk)
    if services._system_publish(version, reason="示例数据导入") is None:
        counts["refused"] += 1
        return
    counts["tables"] += 1
    counts["rows"] += version.row_count
    counts["quarantined"] += version.quarantined_count
