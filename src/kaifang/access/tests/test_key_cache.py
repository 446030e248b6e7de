"""A key's identity, roles and grants are cached per process by the access generation (issue 12 item 15),
and every revocation, suspension and grant change still takes effect on the very next call."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kaifang.access import services
from kaifang.access.models import AccessApplication, AccessGrant, AgreementTemplate
from kaifang.accounts.models import ApiKey, RoleAssignment
from kaifang.accounts.services import api_key_create, api_key_revoke
from kaifang.catalog.codes import slug_for_code

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _table_queries(client, url, secret) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **bearer(secret)).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_a_second_call_reads_neither_the_key_nor_the_roles_again(client, personas, make_table):
    ds = make_table("区县,人口\n咸安区,10\n", [{"name": "区县", "data_type": "C"}, {"name": "人口", "data_type": "N"}])
    url = f"/api/v1/datasets/{slug_for_code(ds.code)}/data"
    _k, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"])
    first = _table_queries(client, url, secret)
    second = _table_queries(client, url, secret)
    assert any("accounts_apikey" in q for q in first) and any("accounts_roleassignment" in q for q in first)
    assert not any("accounts_apikey" in q or "accounts_roleassignment" in q for q in second), second


def test_revoking_a_key_counts_on_the_next_call(client, personas):
    key, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"])
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    api_key_revoke(actor=personas["citizen"], key=key)
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_changes_saved_outside_services_count_on_the_next_call(client, personas, departments):
    """The admin saves models without an audit event: the saves move the generation themselves."""
    citizen = personas["citizen"]
    key, secret = api_key_create(actor=citizen, owner=citizen)
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    key = ApiKey.objects.get(pk=key.pk)
    key.scopes = ["read"]
    key.save()
    r = client.post("/api/v1/datasets", "{}", content_type="application/json", **bearer(secret))
    assert r.status_code == 403 and r.json()["error"]["code"] == "key_scope"
    citizen.is_active = False
    citizen.save()
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401
    citizen.is_active = True
    citizen.save()
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    key.revoked_at = timezone.now()
    key.save()
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_a_role_given_counts_on_the_next_call(client, personas, departments, settings):
    from kaifang.core.actors import roles_of
    from kaifang.core.http import actor_for

    settings.KAIFANG_STAFF_2FA_REQUIRED = False
    citizen = personas["citizen"]
    _k, secret = api_key_create(actor=citizen, owner=citizen)
    from django.test import RequestFactory

    def roles():
        return roles_of(actor_for(RequestFactory().get("/api/v1/me", **bearer(secret))))

    assert not roles().officer_department_ids
    RoleAssignment.objects.create(user=citizen, role="officer", department=departments["transport"])
    assert roles().officer_department_ids == {departments["transport"].pk}


def test_an_expired_key_is_refused_though_cached(client, personas):
    key, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"], expires_in_days=1)
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    from kaifang.access import identity

    generation = identity.access_generation()
    cached = identity._KEYS.get(generation, __import__("hashlib").sha256(secret.encode()).hexdigest(), None)
    cached.expires_at = timezone.now() - datetime.timedelta(seconds=1)  # time passes; nothing is saved
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


@pytest.fixture
def granted(personas, make_table):
    ds = make_table(
        "企业名称,纳税额\n甲公司,10\n乙公司,20\n",
        [{"name": "企业名称", "data_type": "C"}, {"name": "纳税额", "data_type": "N"}],
        open_attribute="conditional",
        open_condition="签署协议",
    )
    agreement, _ = AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )
    app = AccessApplication.objects.create(
        dataset=ds,
        applicant=personas["enterprise"],
        purpose="p",
        scenario="s",
        security_measures="m",
        requested_fields=["企业名称"],
        period_start=TODAY,
        period_end=TODAY + datetime.timedelta(days=30),
        agreement=agreement,
        agreement_accepted_at=timezone.now(),
        deadline=TODAY,
        state="approved",
    )
    grant = AccessGrant.objects.create(
        application=app,
        dataset=ds,
        grantee=personas["enterprise"],
        fields=["企业名称"],
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=30),
        rate_limit_per_minute=1000,
    )
    _k, secret = api_key_create(actor=personas["enterprise"], owner=personas["enterprise"])
    return ds, grant, secret


def test_revoking_a_grant_counts_on_the_next_call(client, personas, granted):
    ds, grant, secret = granted
    url = f"/api/v1/datasets/{slug_for_code(ds.code)}/data"
    r = client.get(url, **bearer(secret))
    assert r.status_code == 200 and [c["name"] for c in r.json()["columns"]] == ["企业名称"]
    assert client.get(url, **bearer(secret)).status_code == 200
    services.access_grant_revoke(actor=personas["officer"], grant=grant, reason="违反协议")
    assert client.get(url, **bearer(secret)).status_code == 403


def test_an_overdue_report_suspends_and_a_report_restores_on_the_next_call(client, personas, granted):
    ds, grant, secret = granted
    url = f"/api/v1/datasets/{slug_for_code(ds.code)}/data"
    assert client.get(url, **bearer(secret)).status_code == 200
    grant.report_every_days = 1
    grant.created_at = timezone.now() - datetime.timedelta(days=2)
    grant.save()
    assert client.get(url, **bearer(secret)).status_code == 403  # suspended: the report is overdue
    services.usage_report_submit(actor=personas["enterprise"], grant=grant, summary="用于授信模型")
    assert client.get(url, **bearer(secret)).status_code == 200
