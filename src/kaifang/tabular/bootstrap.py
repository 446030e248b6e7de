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


def ingest_demo_files(*, stdout: Any = None) -> dict[str, int]:
    started = time.monotonic()
    root = Path(settings.KAIFANG_HOME) / "files"
    done = failed = refused = rows = quarantined = 0
    have = set(TableVersion.objects.values_list("dataset_id", flat=True))
    dists = Distribution.objects.filter(kind="file", access_url__startswith="/files/demo/").select_related(
        "dataset"
    )
    for dist in dists.order_by("id"):
        if dist.dataset_id in have:
            continue
        path = root / dist.access_url.removeprefix("/files/")
        if not path.is_file():
            continue
        try:
            version = services._ingest(
                actor=None,
                dataset=dist.dataset,
                path=path,
                filename=path.name,
                encoding=None,
                quarantine=True,
                progress=None,
            )
        except IngestError:
            failed += 1
            continue
        have.add(dist.dataset_id)
        if services._system_publish(version, reason="示例数据导入") is None:
            refused += 1
            continue
        done += 1
        rows += version.row_count
        quarantined += version.quarantined_count
    if stdout is not None:
        stdout.write(
            f"数据表：{done} 个已导入并发布（{rows} 行，隔离 {quarantined} 行，失败 {failed} 个，"
            f"隐私审查未通过 {refused} 个），"
            f"用时 {time.monotonic() - started:.1f}s\n"
        )
    return {"tables": done, "rows": rows, "quarantined": quarantined, "failed": failed, "refused": refused}
