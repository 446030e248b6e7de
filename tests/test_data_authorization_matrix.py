"""Persona × data endpoint × open attribute × grant state, through real URLs (issue: conditional access).

The whole table runs; every cell names its expected status."""

import datetime

import pytest

from kaifang.access import services as access
from kaifang.access.models import AccessGrant, AgreementTemplate
from kaifang.catalog.codes import slug_for_code

pytestmark = pytest.mark.django_db
CSV = "编号,名称,纳税额\nA1,咸宁甲公司,100\nA2,咸宁乙公司,250\n"
FIELDS = [
    {"name": "编号", "data_type": "C", "is_primary_key": True, "sensitivity_grade": "G3"},
    {"name": "名称", "data_type": "C", "sensitivity_grade": "G3"},
    {"name": "纳税额", "data_type": "N", "sensitivity_grade": "G3"},
]
PERSONAS = [
    "anonymous",
    "citizen",
    "enterprise",
    "officer",
    "other_officer",
    "reviewer",
    "operator",
    "auditor",
]
ENDPOINTS = {
    "data": "data?limit=5",
    "aggregate": "aggregate?group_by=名称&agg=count",
    "download": "download?format=csv",
}
TODAY = datetime.date.today()
# Who reads every row and column of any state of a dataset of 市交通运输局 (its department, reviewers, auditors).
RESPONSIBLE = {"officer", "reviewer", "auditor"}
STAFF = {"officer", "other_officer", "reviewer", "operator", "auditor"}


def expected(attribute: str, grant: str, persona: str) -> int:
    if persona in RESPONSIBLE:
        return 200
    if attribute == "unconditional":
        return 200
    if attribute == "closed":
        return 403 if persona in STAFF else 404  # the public cannot even see closed entries
    if persona == "enterprise" and grant == "active":
        return 200
    return 403  # conditional: visible, but its data needs a usable grant


SCENARIOS = [("unconditional", "none"), ("closed", "none")] + [
    ("conditional", g) for g in ("none", "pending", "active", "expired", "revoked", "other_dataset")
]


def _grant(make_dataset, personas, ds, state):
    AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )
    target = ds
    if state == "other_dataset":
        target = make_dataset(
            "published",
            title="另一个有条件数据",
            open_attribute="conditional",
            open_condition="签协议",
            fields=FIELDS,
        )
    body = {
        "purpose": "授信",
        "scenario": "评估",
        "security_measures": "加密",
        "period_start": (TODAY + datetime.timedelta(days=10 if state == "pending" else 0)).isoformat(),
        "period_end": (TODAY + datetime.timedelta(days=200)).isoformat(),
        "accept_agreement": True,
    }
    app = access.access_application_submit(actor=personas["enterprise"], dataset=target, data=body)
    grant = access.access_application_approve(actor=personas["officer"], application=app)
    if state == "expired":
        AccessGrant.objects.filter(pk=grant.pk).update(
            valid_from=TODAY - datetime.timedelta(days=30), valid_until=TODAY - datetime.timedelta(days=1)
        )
    if state == "revoked":
        access.access_grant_revoke(actor=personas["officer"], grant=grant, reason="违规")


@pytest.mark.parametrize(("attribute", "grant"), SCENARIOS)
def test_matrix(client, login, make_table, make_dataset, personas, attribute, grant):
    extra = {"open_condition": "签协议"} if attribute == "conditional" else {}
    if attribute == "closed":
        extra = {"legal_basis": "涉及商业秘密"}
    fields = [dict(f, sensitivity_grade="G1") for f in FIELDS] if attribute == "unconditional" else FIELDS
    ds = make_table(CSV, fields, title=f"纳税数据{attribute}{grant}", open_attribute=attribute, **extra)
    if grant != "none":
        _grant(make_dataset, personas, ds, grant)
    slug = slug_for_code(ds.code)
    failures = []
    for persona in PERSONAS:
        login(personas[persona])
        for name, suffix in ENDPOINTS.items():
            r = client.get(f"/api/v1/datasets/{slug}/{suffix}")
            want = expected(attribute, grant, persona)
            if r.status_code != want:
                failures.append(f"{persona} {name}: {r.status_code} != {want} {r.content[:120]!r}")
            elif want >= 400:
                assert r.json()["error"]["code"]
    assert failures == []


def test_grant_scope_limits_fields(client, login, make_table, personas):
    ds = make_table(CSV, FIELDS, title="纳税范围", open_attribute="conditional", open_condition="签协议")
    AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )
    app = access.access_application_submit(
        actor=personas["enterprise"],
        dataset=ds,
        data={
            "purpose": "授信",
            "scenario": "评估",
            "security_measures": "加密",
            "period_start": TODAY.isoformat(),
            "period_end": TODAY.isoformat(),
            "accept_agreement": True,
            "requested_fields": ["编号", "名称"],
        },
    )
    access.access_application_approve(actor=personas["officer"], application=app, fields=["名称"])
    login(personas["enterprise"])
    rows = client.get(f"/api/v1/datasets/{slug_for_code(ds.code)}/data").json()["rows"]
    assert rows and all(set(r) == {"名称"} for r in rows)
    r = client.get(f"/api/v1/datasets/{slug_for_code(ds.code)}/data?纳税额__gt=1")
    assert r.status_code == 422  # a column outside the grant does not exist for this caller


def test_grant_row_scope(client, login, make_table, personas):
    from kaifang.core.errors import ValidationFailed

    ds = make_table(CSV, FIELDS, title="纳税行范围", open_attribute="conditional", open_condition="签协议")
    AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )
    body = {
        "purpose": "授信",
        "scenario": "评估",
        "security_measures": "加密",
        "period_start": TODAY.isoformat(),
        "period_end": TODAY.isoformat(),
        "accept_agreement": True,
        "requested_fields": ["名称", "纳税额"],
    }
    app = access.access_application_submit(actor=personas["enterprise"], dataset=ds, data=body)
    with pytest.raises(ValidationFailed):
        access.access_application_approve(
            actor=personas["officer"], application=app, row_filter="DROP TABLE x"
        )
    access.access_application_approve(actor=personas["officer"], application=app, row_filter="纳税额__gt=150")
    login(personas["enterprise"])
    slug = slug_for_code(ds.code)
    rows = client.get(f"/api/v1/datasets/{slug}/data").json()["rows"]
    assert [r["名称"] for r in rows] == ["咸宁乙公司"]
    csv_body = b"".join(client.get(f"/api/v1/datasets/{slug}/download?format=csv").streaming_content).decode(
        "utf-8"
    )
    assert "咸宁乙公司" in csv_body and "咸宁甲公司" not in csv_body
    agg = client.get(f"/api/v1/datasets/{slug}/aggregate?group_by=名称&agg=count").json()
    assert "咸宁甲公司" not in str(agg)
