"""Conditional access end to end through the API, and the persona matrix for its endpoints."""

import datetime
import json

import pytest

from kaifang.access import selectors, services
from kaifang.access.models import AccessApplication, AccessGrant
from kaifang.catalog.codes import slug_for_code
from kaifang.core.errors import Forbidden, InvalidTransition, ValidationFailed

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def application_body(**kw):
    body = {
        "purpose": "普惠金融授信",
        "scenario": "小微企业信用评估",
        "security_measures": "专网存储，最小权限",
        "period_start": TODAY.isoformat(),
        "period_end": (TODAY + datetime.timedelta(days=180)).isoformat(),
        "accept_agreement": True,
    }
    body.update(kw)
    return body


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_apply_approve_use_report(client, login, personas, conditional):
    slug = slug_for_code(conditional.code)
    login(personas["enterprise"])
    r = post(client, f"/api/v1/datasets/{slug}/applications", application_body())
    assert r.status_code == 201, r.content
    app = r.json()
    assert app["requested_fields"] == ["企业名称", "纳税额"]  # closed fields are never on offer
    assert (
        post(client, f"/api/v1/datasets/{slug}/applications", application_body()).status_code == 409
    )  # replay
    login(personas["officer"])
    assert [a["id"] for a in client.get("/api/v1/applications?queue=true").json()] == [app["id"]]
    r = post(client, f"/api/v1/applications/{app['id']}/request-info", {"text": "请提供营业执照"})
    assert r.json()["state"]["code"] == "info_requested"
    login(personas["enterprise"])
    assert (
        post(client, f"/api/v1/applications/{app['id']}/answer", {"text": "已上传"}).json()["state"]["code"]
        == "submitted"
    )
    login(personas["officer"])
    r = post(client, f"/api/v1/applications/{app['id']}/approve", {"fields": ["企业名称", "法人身份证号"]})
    assert r.status_code == 422  # never wider than asked
    r = post(
        client,
        f"/api/v1/applications/{app['id']}/approve",
        {"fields": ["企业名称"], "rate_limit_per_minute": 30},
    )
    grant = r.json()["grant"]
    assert grant["fields"] == ["企业名称"] and grant["status"] == "active"
    assert selectors.usable_grant(personas["enterprise"], conditional).pk == grant["id"]
    assert selectors.usable_grant(personas["citizen"], conditional) is None
    login(personas["enterprise"])
    r = post(client, f"/api/v1/grants/{grant['id']}/reports", {"summary": "用于授信模型，服务企业32家"})
    assert r.status_code == 201
    chain = [e.action for e in selectors.application_chain(AccessApplication.objects.get(pk=app["id"]))]
    assert chain[:5] == [
        "access_application_submit",
        "access_application_request_info",
        "access_application_answer",
        "access_application_approve",
        "access_grant_create",
    ]
    assert "usage_report_submit" in chain


def test_grant_states(personas, conditional):
    app = services.access_application_submit(
        actor=personas["enterprise"], dataset=conditional, data=application_body()
    )
    grant = services.access_application_approve(actor=personas["officer"], application=app)
    now = datetime.datetime.now(datetime.UTC)
    assert grant.status(now) == "active"
    assert grant.status(now + datetime.timedelta(days=91)) == "suspended"  # report overdue
    assert grant.status(now + datetime.timedelta(days=400)) == "expired"
    services.access_grant_revoke(actor=personas["reviewer"], grant=grant, reason="超范围使用")
    grant.refresh_from_db()
    assert grant.status() == "revoked" and selectors.usable_grant(personas["enterprise"], conditional) is None
    with pytest.raises(InvalidTransition):
        services.usage_report_submit(actor=personas["enterprise"], grant=grant, summary="x")


def test_rules(personas, conditional, make_dataset):
    with pytest.raises(ValidationFailed) as exc:
        services.access_application_submit(
            actor=personas["enterprise"],
            dataset=conditional,
            data=application_body(accept_agreement=False, purpose=""),
        )
    assert {"accept_agreement", "purpose"} <= set(exc.value.details)
    open_one = make_dataset("published", title="公开数据")
    with pytest.raises(InvalidTransition):
        services.access_application_submit(
            actor=personas["enterprise"], dataset=open_one, data=application_body()
        )
    with pytest.raises(Forbidden):  # the provider's own officers do not apply to themselves
        services.access_application_submit(
            actor=personas["officer"], dataset=conditional, data=application_body()
        )
    app = services.access_application_submit(
        actor=personas["enterprise"], dataset=conditional, data=application_body()
    )
    with pytest.raises(Forbidden):  # an officer of another department cannot decide
        services.access_application_approve(actor=personas["other_officer"], application=app)
    with pytest.raises(ValidationFailed):
        services.access_application_reject(actor=personas["officer"], application=app, reason="")
    services.access_application_reject(actor=personas["officer"], application=app, reason="用途与数据无关")
    with pytest.raises(InvalidTransition):
        services.access_application_approve(actor=personas["officer"], application=app)


PERSONAS = ["anonymous", "citizen", "enterprise", "officer", "other_officer", "reviewer", "auditor"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_application_visibility_matrix(client, login, personas, conditional, persona):
    app = services.access_application_submit(
        actor=personas["enterprise"], dataset=conditional, data=application_body()
    )
    login(personas[persona])
    r = client.get(f"/api/v1/applications/{app.pk}")
    want = {"anonymous": 401, "enterprise": 200, "officer": 200, "reviewer": 200, "auditor": 200}.get(
        persona, 404
    )
    assert r.status_code == want
    missing = client.get("/api/v1/applications/999999")
    assert missing.status_code == (401 if persona == "anonymous" else 404)
    r = post(client, f"/api/v1/applications/{app.pk}/approve", {})
    want = {"anonymous": 401, "officer": 200, "enterprise": 403, "reviewer": 403, "auditor": 403}.get(
        persona, 404
    )
    assert r.status_code == want


def test_pages(client, login, personas, conditional):
    slug = slug_for_code(conditional.code)
    assert "申请使用" in client.get(f"/datasets/{slug}/").content.decode()
    assert client.get(f"/access/apply/{slug}/").status_code == 302  # login first
    login(personas["enterprise"])
    r = client.post(
        f"/access/apply/{slug}/",
        {
            "purpose": "授信",
            "scenario": "评估",
            "security_measures": "加密",
            "period_start": TODAY.isoformat(),
            "period_end": TODAY.isoformat(),
            "requested_fields": ["企业名称"],
        },
    )
    assert r.status_code == 422 and "协议" in r.content.decode()
    r = client.post(
        f"/access/apply/{slug}/",
        {
            "purpose": "授信",
            "scenario": "评估",
            "security_measures": "加密",
            "period_start": TODAY.isoformat(),
            "period_end": TODAY.isoformat(),
            "requested_fields": ["企业名称"],
            "accept_agreement": "on",
        },
    )
    assert r.status_code == 302
    app = AccessApplication.objects.get()
    login(personas["officer"])
    assert "本部门待办" in client.get("/access/").content.decode()
    r = client.post(
        f"/access/{app.pk}/", {"action": "approve", "fields": ["企业名称"], "rate_limit_per_minute": "10"}
    )
    assert r.status_code == 302 and AccessGrant.objects.get().rate_limit_per_minute == 10
    login(personas["citizen"])
    assert client.get(f"/access/{app.pk}/").status_code == 404


def test_people_are_notified(personas, conditional, settings):
    """Mail is queued with the step and sent by the worker: the officer's at once, the applicant's in the
    daily digest (their defaults; notifications/tests cover the rest)."""
    from django.core import mail

    from kaifang.notifications.mail import deliver_pending, send_digests

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    personas["enterprise"].email = "corp@example.cn"
    personas["enterprise"].save()
    personas["officer"].email = "officer@example.cn"
    personas["officer"].save()
    app = services.access_application_submit(
        actor=personas["enterprise"], dataset=conditional, data=application_body()
    )
    services.access_application_request_info(
        actor=personas["officer"], application=app, question="请补充执照"
    )
    assert mail.outbox == []  # never sent inline
    deliver_pending()
    assert [m.to for m in mail.outbox] == [["officer@example.cn"]]
    send_digests()
    deliver_pending()
    assert [m.to for m in mail.outbox] == [["officer@example.cn"], ["corp@example.cn"]]
    assert "请补充执照" in mail.outbox[1].body


def test_pages_name_their_json_twins(client, login, personas, conditional):
    app = services.access_application_submit(
        actor=personas["enterprise"], dataset=conditional, data=application_body()
    )
    login(personas["enterprise"])
    assert (
        '<link rel="alternate" type="application/json" href="/api/v1/applications">'
        in client.get("/access/").content.decode()
    )
    page = client.get(f"/access/{app.pk}/").content.decode()
    assert f'href="/api/v1/applications/{app.pk}"' in page


def test_grant_days_are_local_days(personas, conditional):
    """At 00:30 in Xianning it is still the previous day in UTC; a grant starting today is active."""
    from zoneinfo import ZoneInfo

    app = services.access_application_submit(
        actor=personas["enterprise"], dataset=conditional, data=application_body()
    )
    grant = services.access_application_approve(actor=personas["officer"], application=app)
    start = grant.valid_from
    just_after_midnight = datetime.datetime.combine(
        start, datetime.time(0, 30), tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert grant.status(just_after_midnight) == "active"
    assert grant.status(just_after_midnight - datetime.timedelta(hours=1)) == "pending"
