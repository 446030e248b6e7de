"""What each persona reads of a dataset's change history (API and page): the public sees public events only;
no one, staff included, reads a fragment of a personal identifier that the privacy gate found."""

from __future__ import annotations

import json

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.core.testing import valid_dataset_data

pytestmark = pytest.mark.django_db

ID = "421202199001021238"  # a valid ID number (its check digit is right)
FIELDS = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True, "sensitivity_grade": "G2"},
    {"name": "名称", "data_type": "C", "length": 64, "sensitivity_grade": "G2"},
    {"name": "数量", "data_type": "N", "length": 12, "sensitivity_grade": "G2"},
]
GOOD = "编号,名称,数量\nA1,咸宁甲公司,100\nA2,咸宁乙公司,250\n"
LEAKY = f"编号,名称,数量\nA1,咸宁甲公司,100\nA2,经办人身份证{ID},250\n"
PUBLIC = {"dataset_publish", "dataset_withdraw", "table.publish", "table.rollback", "table.sample_publish"}
FULL = {"officer", "reviewer", "auditor"}
PERSONAS = ["anonymous", "citizen", "enterprise", "other_officer", "officer", "reviewer", "auditor"]


@pytest.fixture
def history_ds(make_table, make_grant, personas, tmp_path, login):
    """A published conditional dataset (v1) with a refused v2 holding an ID number, a pending catalog change
    and a clean v3 that is not yet published."""
    from kaifang.catalog import services as catalog
    from kaifang.tabular.services import table_ingest

    ds = make_table(GOOD, FIELDS, title="企业名录", open_attribute="conditional", open_condition="签协议")
    make_grant(ds)
    slug = slug_for_code(ds.code)
    leaky = tmp_path / "leaky.csv"
    leaky.write_text(LEAKY, encoding="utf-8")
    v2 = table_ingest(actor=personas["officer"], dataset=ds, path=leaky, filename="leaky.csv")
    refused = login(personas["reviewer"]).post(
        f"/api/v1/datasets/{slug}/versions/{v2.number}/publish", json.dumps({}), content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "privacy_gate"
    assert ID[:6] not in refused.content.decode() and ID[-4:] not in refused.content.decode()
    clean = tmp_path / "clean.csv"
    clean.write_text(GOOD.replace("100", "101"), encoding="utf-8")
    v3 = table_ingest(actor=personas["officer"], dataset=ds, path=clean, filename="clean.csv")
    ds.refresh_from_db()
    catalog.dataset_update(
        actor=personas["officer"],
        dataset=ds,
        data=valid_dataset_data(
            title="企业名录（待审标题）",
            fields=FIELDS,
            open_attribute="conditional",
            open_condition="签协议",
        ),
        lock_version=ds.lock_version,
        reason="待审核的修改",
    )
    return {"ds": ds, "slug": slug, "v2": v2, "v3": v3}


def _leaks(text: str) -> list[str]:
    found = [s for s in (ID, ID[:6], ID[-4:], "********") if s in text]
    return found


@pytest.mark.parametrize("persona", PERSONAS)
def test_history_api_per_persona(history_ds, client, login, personas, persona):
    login(personas[persona])
    r = client.get(f"/api/v1/datasets/{history_ds['slug']}/history")
    assert r.status_code == 200
    events = r.json()
    actions = {e["action"] for e in events}
    text = r.content.decode()
    assert not _leaks(text)
    if persona in FULL:
        assert {"table.ingest", "privacy.gate_refuse", "dataset_update", "dataset_submit"} <= actions
        refusal = next(e for e in events if e["action"] == "privacy.gate_refuse")
        assert "名称" in refusal["reason"] and "居民身份证号" in refusal["reason"]
        assert history_ds["v3"].content_hash in text  # staff see their unpublished versions
    else:
        assert actions and actions <= PUBLIC, actions
        assert {"dataset_publish", "table.publish"} <= actions
        for unpublished in (history_ds["v2"], history_ds["v3"]):
            assert unpublished.content_hash not in text
        assert "待审" not in text and "待审核的修改" not in text
        assert all(e["actor"] in ("工作人员", "系统") for e in events)
        assert "reviewer" not in text and "officer" not in text
        publish = next(e for e in events if e["action"] == "table.publish")
        assert publish["after"] == {"current": 1}


def test_history_page_per_persona_and_its_cache(history_ds, client, login, personas):
    url = f"/datasets/{history_ds['slug']}/"
    # Staff first: their fuller fragment is cached, and must not be served to the next reader.
    for persona in ["officer", "anonymous", "reviewer", "citizen", "other_officer", "enterprise"]:
        login(personas[persona])
        page = client.get(url).content.decode()
        history = page[page.index('<ol class="history">') :]
        history = history[: history.index("</ol>")]
        assert not _leaks(history), persona
        assert ("待审核的修改" in history) == (persona in FULL), persona
        assert ("officer" in history) == (persona in FULL), persona


def test_review_page_shows_no_identifier_fragment(history_ds, client, login, personas):
    login(personas["officer"])
    page = client.get(f"/privacy/datasets/{history_ds['slug']}/").content.decode()
    start = page.index('id="gate-records"')
    records = page[start : page.index("</section>", start)]
    assert "名称" in records and "居民身份证号" in records
    assert not _leaks(records)


def test_migration_scrubs_stored_evidence(history_ds, personas):
    """Gate records and audit events written before the fix quoted the masked value; the data migration
    removes it and keeps where and what."""
    import importlib

    from django.apps import apps

    from kaifang.core.models import AuditEvent
    from kaifang.privacy.models import VersionGate

    migration = importlib.import_module("kaifang.privacy.migrations.0004_scrub_gate_evidence")
    old_reason = (
        "字段“名称”第2行等1处仍含有居民身份证号（如421202********1238），请在发布方案中对该字段屏蔽、假名化或不予公开。"
    )
    gate = VersionGate.objects.filter(version=history_ds["v2"]).get()
    VersionGate.objects.filter(pk=gate.pk).update(
        reasons=[old_reason],
        evidence=[{"column": "名称", "row": 2, "kind": "id_card", "evidence": "421202********1238"}],
    )
    event = AuditEvent.objects.filter(action="privacy.gate_refuse").get()
    AuditEvent.objects.filter(pk=event.pk).update(reason=(old_reason + "; ") * 3 + "字段“数量”等2处仍含有手机号码（如138****")
    migration.forwards(apps, None)
    gate.refresh_from_db()
    event.refresh_from_db()
    assert gate.evidence == [{"column": "名称", "row": 2, "kind": "id_card"}]
    assert gate.reasons == [old_reason.replace("（如421202********1238）", "")]
    assert not _leaks(event.reason) and "138" not in event.reason
    assert event.reason.count("居民身份证号，请在发布方案中") == 3


def test_masked_examples_of_the_review_page_only_for_the_department(make_table, client, login, personas):
    """The review page's per-column detections show masked examples to the department's officers (who read
    the raw file anyway); a reviewer of the region sees what was found, and where, without them."""
    fields = [
        *FIELDS,
        {
            "name": "身份证号",
            "data_type": "C",
            "length": 18,
            "sensitivity_grade": "G4",
            "share_type": "conditional",
            "open_attribute": "closed",  # withheld from the open version: the raw file still holds it
        },
    ]
    csv = "编号,名称,数量,身份证号\n" + "".join(f"A{i},企业{i},{i},{ID}\n" for i in range(1, 30))
    ds = make_table(csv, fields, title="含身份证号的名录")
    slug = slug_for_code(ds.code)
    officer = login(personas["officer"]).get(f"/privacy/datasets/{slug}/?format=json").json()
    kinds = [k for c in officer["scan"]["columns"] for k in c["kinds"]]
    assert any(k["evidence"] for k in kinds)
    reviewer = login(personas["reviewer"]).get(f"/privacy/datasets/{slug}/?format=json")
    assert reviewer.status_code == 200
    kinds = [k for c in reviewer.json()["scan"]["columns"] for k in c["kinds"]]
    assert kinds and not any(k["evidence"] for k in kinds)
    assert not _leaks(reviewer.content.decode())
    page = client.get(f"/privacy/datasets/{slug}/").content.decode()
    assert "居民身份证号" in page and not _leaks(page)
