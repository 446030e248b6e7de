"""The demo city's files go through the same pipeline, and the privacy gate still decides."""

from __future__ import annotations

from kaifang.tabular.models import TableVersion

from .conftest import GOOD_CSV


def _distribution(ds, home, name="demo.csv"):
    from kaifang.catalog.models import Distribution

    (home / "files" / "demo").mkdir(parents=True, exist_ok=True)
    (home / "files" / "demo" / name).write_text(GOOD_CSV, encoding="utf-8-sig")
    return Distribution.objects.create(dataset=ds, kind="file", title="CSV", access_url=f"/files/demo/{name}")


def test_demo_files_are_ingested_and_published(table_ds, home):
    from kaifang.tabular.bootstrap import ingest_demo_files

    _distribution(table_ds, home)
    result = ingest_demo_files()
    assert result["tables"] == 1 and result["rows"] == 4
    assert TableVersion.objects.get(dataset=table_ds).is_current
    assert ingest_demo_files()["tables"] == 0  # idempotent


def test_gate_refusal_keeps_demo_version_unpublished(table_ds, home, monkeypatch):
    from kaifang.tabular import gate
    from kaifang.tabular.bootstrap import ingest_demo_files

    monkeypatch.setattr(gate, "privacy_gate", lambda v, **kw: ["含身份证号"])
    _distribution(table_ds, home)
    assert ingest_demo_files()["refused"] == 1
    assert TableVersion.objects.get(dataset=table_ds).state == "validated"
