"""Versions through the API: history, publish (with the privacy gate), rollback, and who may do what."""

from __future__ import annotations

import hashlib
import json

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.core.models import AuditEvent
from kaifang.tabular.models import TableVersion

from .conftest import GOOD_CSV


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def base(ds):
    return f"/api/v1/datasets/{slug_for_code(ds.code)}/versions"


def test_publish_calls_the_privacy_gate_and_audits(table_ds, ingest, login, personas, monkeypatch):
    from kaifang.tabular import gate

    calls = []
    monkeypatch.setattr(gate, "privacy_gate", lambda v, **kw: calls.append(v.number) or [])
    ingest(table_ds)
    r = post(login(personas["reviewer"]), f"{base(table_ds)}/1/publish")
    assert r.status_code == 200 and r.json()["is_current"] is True
    assert calls == [1]
    assert AuditEvent.objects.filter(action="table.publish").count() == 1


def test_gate_refusal_blocks_publication(table_ds, ingest, login, personas, monkeypatch):
    from kaifang.tabular import gate

    monkeypatch.setattr(gate, "privacy_gate", lambda v, **kw: ["身份证号未脱敏"])
    ingest(table_ds)
    r = post(login(personas["reviewer"]), f"{base(table_ds)}/1/publish")
    assert r.status_code == 422 and "隐私审查" in r.json()["error"]["message"]
    assert not TableVersion.objects.filter(is_current=True).exists()


@pytest.mark.parametrize(
    "who,status", [("anonymous", 401), ("citizen", 404), ("officer", 403), ("other_officer", 404)]
)
def test_publish_forbidden(table_ds, ingest, login, personas, who, status):
    ingest(table_ds)
    r = post(login(personas[who]), f"{base(table_ds)}/1/publish")
    assert r.status_code == status


def test_uploader_cannot_publish_own_version(table_ds, personas, write, login):
    from kaifang.accounts.models import RoleAssignment
    from kaifang.tabular.services import table_ingest

    reviewer = personas["reviewer"]
    RoleAssignment.objects.create(user=reviewer, role="officer", department=table_ds.department)
    reviewer._kaifang_roles = None
    del reviewer._kaifang_roles
    table_ingest(actor=reviewer, dataset=table_ds, path=write("a.csv", GOOD_CSV), filename="a.csv")
    assert post(login(reviewer), f"{base(table_ds)}/1/publish").status_code == 403


def test_history_rollback_and_public_view(published, ingest, login, personas, client):
    from kaifang.tabular.services import table_version_publish

    v2 = ingest(published, GOOD_CSV + "A005,新增,1,2024-05-06,甲,114,29,\n")
    table_version_publish(actor=personas["reviewer"], version=v2)
    public = client.get(base(published)).json()
    assert [(v["number"], v["is_current"]) for v in public] == [(2, True), (1, False)]
    reviewer = login(personas["reviewer"])
    r = post(reviewer, f"{base(published)}/1/rollback", {"reason": ""})
    assert r.status_code == 422 and "回退理由" in r.json()["error"]["message"]
    r = post(reviewer, f"{base(published)}/1/rollback", {"reason": "第 2 版数据有误"})
    assert r.status_code == 200 and r.json()["is_current"] is True
    client.logout()
    assert client.get(f"/api/v1/datasets/{slug_for_code(published.code)}/data").json()["total"] == 4
    reviewer = login(personas["reviewer"])
    assert post(reviewer, f"{base(published)}/1/rollback", {"reason": "再次"}).status_code == 409
    assert (
        post(login(personas["officer"]), f"{base(published)}/2/rollback", {"reason": "x"}).status_code == 403
    )


def test_detail_shows_profile_and_bad_rows_to_staff_only(table_ds, ingest, login, personas, client):
    ingest(table_ds, GOOD_CSV + "A009,坏,abc,2024-01-01,甲,114,29,\n", quarantine=True)
    officer = login(personas["officer"])
    body = officer.get(f"{base(table_ds)}/1").json()
    assert body["profile"]["数量"]["nulls"] == 1
    assert body["bad_rows"] == [{"row": 5, "column": "数量", "value": "abc", "reason": "不是有效的数值"}]
    client.logout()
    assert client.get(f"{base(table_ds)}/1").status_code == 404


def test_diff_between_versions(published, ingest, personas, client, login):
    from kaifang.tabular.services import table_version_publish

    changed = GOOD_CSV.replace("咸宁市第一中学", "咸宁市第一高级中学").replace(
        "A004,赤壁市体育馆,40,2024-04-05,甲,113.90,29.72,421202199001011236\n", ""
    )
    v2 = ingest(
        published, changed + "A005,新增,1,2024-05-06,甲,114,29,\nA006,新增二,1,2024-05-06,甲,114,29,\n"
    )
    table_version_publish(actor=personas["reviewer"], version=v2)
    body = client.get(f"{base(published)}/2/diff").json()
    assert body == {
        "from": 1,
        "to": 2,
        "columns_added": [],
        "columns_removed": [],
        "key": ["编号"],
        "rows_added": 2,
        "rows_removed": 1,
        "rows_changed": 1,
    }
    assert client.get(f"{base(published)}/1/diff").status_code == 404


def test_the_version_history_shows_the_gate_decision(table_ds, ingest, login, personas):
    from django.test import Client

    from kaifang.privacy.tests.factories import make_id

    client = Client()

    slug = slug_for_code(table_ds.code)
    ingest(table_ds)
    reviewer = login(personas["reviewer"])
    assert post(reviewer, f"{base(table_ds)}/1/publish").status_code == 200
    ingest(table_ds, GOOD_CSV.replace("嘉鱼县图书馆", f"联系人身份证{make_id(seq=7)}"))
    assert post(reviewer, f"{base(table_ds)}/2/publish").status_code == 422

    public = client.get(base(table_ds)).json()
    assert [v["number"] for v in public] == [1]
    gate = public[0]["privacy_gate"]
    assert gate["allowed"] is True and gate["rows_scanned"] == 4 and "身份证号" in gate["withheld_columns"]
    download = client.get(f"/api/v1/datasets/{slug}/download?format=parquet")
    received = b"".join(download.streaming_content)
    assert download["X-Content-SHA256"] == hashlib.sha256(received).hexdigest()  # of the bytes received
    assert client.get(f"{base(table_ds)}/1").json()["privacy_gate"]["open_sha256"] == gate["open_sha256"]

    staff = {v["number"]: v["privacy_gate"] for v in reviewer.get(base(table_ds)).json()}
    assert staff[2]["allowed"] is False and staff[2]["findings"] >= 1 and not staff[2]["open_sha256"]
    html = reviewer.get(f"/tabular/datasets/{slug}/data-panel/").content.decode()
    assert "逐行扫描 4 行" in html and "未通过" in html and "查看原因" in html
    assert "查看原因" not in client.get(f"/tabular/datasets/{slug}/data-panel/").content.decode()


@pytest.mark.parametrize("persona", ["officer", "reviewer", "other_officer", "operator", "citizen"])
def test_diff_against_an_unpublished_version_never_fails(published, ingest, personas, login, persona):
    """The version under review is sealed in the raw zone; staff who read it read it as it is served."""
    v2 = ingest(published, GOOD_CSV.replace("咸宁市第一中学", "咸宁市第一高级中学"))
    assert v2.number == 2
    response = login(personas[persona]).get(f"{base(published)}/2/diff")
    assert response.status_code in (200, 404), response.content[:300]
    if persona in ("officer", "reviewer"):
        assert response.status_code == 200
        assert response.json()["rows_changed"] == 1
