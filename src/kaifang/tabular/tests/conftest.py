from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FIELDS = [
    {"name": "编号", "name_en": "id", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "名称", "name_en": "name", "data_type": "C", "length": 64},
    {"name": "数量", "name_en": "amount", "data_type": "N", "length": 12},
    {"name": "日期", "name_en": "day", "data_type": "D"},
    {"name": "类别", "name_en": "kind", "data_type": "C", "length": 8, "value_range": "甲、乙、丙"},
    {"name": "经度", "name_en": "lon", "data_type": "N"},
    {"name": "纬度", "name_en": "lat", "data_type": "N"},
    {
        "name": "身份证号",
        "name_en": "id_card",
        "data_type": "C",
        "length": 18,
        "sensitivity_grade": "G4",
        "share_type": "conditional",
        "open_attribute": "closed",
    },
]
HEADER = "编号,名称,数量,日期,类别,经度,纬度,身份证号\n"
ROWS = [
    "A001,咸宁市第一中学,12.5,2024-01-02,甲,114.32,29.84,421202199001011234",
    'A002,=HYPERLINK("http://x"),3,2024-02-03,乙,114.30,29.85,421202199001011235',
    "A003,嘉鱼县图书馆,,2024-03-04,丙,113.92,29.97,",
    "A004,赤壁市体育馆,40,2024-04-05,甲,113.90,29.72,421202199001011236",
]
GOOD_CSV = HEADER + "\n".join(ROWS) + "\n"


@pytest.fixture(autouse=True)
def home(settings: Any, tmp_path: Path) -> Path:
    settings.KAIFANG_HOME = tmp_path / "home"
    settings.KAIFANG_HOME.mkdir()
    # Tasks run inline: a worker process would not see the test's transaction (test_worker.py runs real ones).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return settings.KAIFANG_HOME


@pytest.fixture
def table_ds(make_dataset: Any) -> Any:
    return make_dataset(fields=FIELDS, title="学校与场馆")


@pytest.fixture
def write(tmp_path: Path) -> Any:
    def do(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        p = tmp_path / "in" / name
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return p

    return do


@pytest.fixture
def ingest(personas: Any, write: Any) -> Any:
    from kaifang.tabular.services import table_ingest

    def do(ds: Any, content: str | bytes = GOOD_CSV, name: str = "data.csv", **kw: Any) -> Any:
        encoding = kw.pop("file_encoding", "utf-8")
        return table_ingest(
            actor=personas["officer"], dataset=ds, path=write(name, content, encoding), filename=name, **kw
        )

    return do


@pytest.fixture
def published(table_ds: Any, ingest: Any, personas: Any) -> Any:
    from kaifang.tabular.services import table_version_publish

    version = ingest(table_ds)
    table_version_publish(actor=personas["reviewer"], version=version)
    return table_ds
