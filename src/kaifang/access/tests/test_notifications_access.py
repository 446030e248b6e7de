"""Who is told of each step of an application, and that a message names only what its recipient may read:
every recipient can open the page the message links to and finds there what the message names; staff of
other departments, reviewers and the public are told nothing."""

from __future__ import annotations

import datetime

import pytest

from kaifang.access import services
from kaifang.access.models import AccessGrant
from kaifang.access.tasks import send_grant_expiry_notices, send_report_overdue_notices
from kaifang.core import clock
from kaifang.notifications import events
from kaifang.notifications.models import MailMessage, Notification

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _submit(personas, dataset, who="enterprise", days=180):
    return services.access_application_submit(
        actor=personas[who],
        dataset=dataset,
        data={
            "purpose": "普惠金融授信",
            "scenario": "小微企业信用评估",
            "security_measures": "专网存储",
            "period_start": TODAY.isoformat(),
            "period_end": (TODAY + datetime.timedelta(days=days)).isoformat(),
            "accept_agreement": True,
        },
    )


def _told(event):
    return {
        n.recipient.username: n for n in Notification.objects.filter(event=event).select_related("recipient")
    }


def _opens(client, login, user, note, *names):
    """The recipient may open what the message links to, and it shows everything the message names."""
    login(user)
    page = client.get(note.url)
    assert page.status_code == 200, note.url
    text = page.content.decode()
    for name in names:
        assert name in text


def test_application_received_goes_to_the_department_officers_only(client, login, personas, conditional):
    from kaifang.accounts.models import RoleAssignment

    second = type(personas["officer"]).objects.create_user(username="officer2", password="x", kind="staff")
    RoleAssignment.objects.create(user=second, role="officer", department=conditional.department)
    gone = type(personas["officer"]).objects.create_user(
        username="gone", password="x", kind="staff", is_active=False
    )
    RoleAssignment.objects.create(user=gone, role="officer", department=conditional.department)
    app = _submit(personas, conditional)
    told = _told(events.ACCESS_APPLICATION_RECEIVED)
    assert set(told) == {
        "officer",
        "officer2",
    }  # not the applicant, other departments, reviewers, the inactive
    note = told["officer"]
    assert "企业纳税信息" in note.subject and "enterprise" in note.body
    assert note.url == f"/access/{app.pk}/"
    _opens(client, login, personas["officer"], note, "企业纳税信息", "enterprise")
    for outsider in ("other_officer", "county_officer", "citizen"):
        login(personas[outsider])
        assert client.get(note.url).status_code == 404  # nor could they have read it


def test_info_requested_and_decisions_go_to_the_applicant_only(client, login, personas, conditional):
    app = _submit(personas, conditional)
    services.access_application_request_info(
        actor=personas["officer"], application=app, question="请补充营业执照"
    )
    services.access_application_answer(actor=personas["enterprise"], application=app, answer="已上传")
    asked = _told(events.ACCESS_INFO_REQUESTED)
    assert set(asked) == {"enterprise"} and asked["enterprise"].body == "请补充营业执照"
    _opens(client, login, personas["enterprise"], asked["enterprise"], "企业纳税信息", "请补充营业执照")

    services.access_application_approve(actor=personas["officer"], application=app, fields=["企业名称"])
    [approved] = Notification.objects.filter(event=events.ACCESS_DECIDED)
    assert approved.recipient == personas["enterprise"]
    assert "企业纳税信息" in approved.subject
    assert "法人身份证号" not in approved.subject + approved.body  # a closed field is never named
    _opens(client, login, personas["enterprise"], approved, "企业纳税信息")

    other = _submit(personas, conditional, who="citizen")
    services.access_application_reject(actor=personas["officer"], application=other, reason="用途不明确")
    rejected = Notification.objects.filter(event=events.ACCESS_DECIDED, recipient=personas["citizen"]).get()
    assert rejected.body == "用途不明确"
    _opens(client, login, personas["citizen"], rejected, "企业纳税信息", "用途不明确")
    # Each applicant is told only of their own case.
    assert not Notification.objects.filter(
        recipient=personas["enterprise"], url=f"/access/{other.pk}/"
    ).exists()
    assert not Notification.objects.filter(
        recipient=personas["officer"], event=events.ACCESS_DECIDED
    ).exists()


def test_the_officers_mail_is_queued_and_the_applicants_waits_for_the_digest(personas, conditional):
    personas["officer"].email = "officer@example.cn"
    personas["officer"].save()
    personas["enterprise"].email = "corp@example.cn"
    personas["enterprise"].save()
    app = _submit(personas, conditional)
    services.access_application_reject(actor=personas["officer"], application=app, reason="材料不全")
    assert list(MailMessage.objects.values_list("to", flat=True)) == ["officer@example.cn"]


def test_grant_expiring_is_told_once_to_the_grantee(client, login, personas, conditional):
    soon = services.access_application_approve(
        actor=personas["officer"], application=_submit(personas, conditional, days=5)
    )
    later = services.access_application_approve(
        actor=personas["officer"], application=_submit(personas, conditional, who="citizen", days=60)
    )
    assert send_grant_expiry_notices() == 1
    assert send_grant_expiry_notices() == 0  # once per grant, however often the job runs
    told = _told(events.ACCESS_GRANT_EXPIRING)
    assert set(told) == {"enterprise"}
    assert (soon.valid_until.isoformat() in told["enterprise"].body) and "企业纳税信息" in told[
        "enterprise"
    ].subject
    _opens(client, login, personas["enterprise"], told["enterprise"], "企业纳税信息")
    # Within a week of its end the other grant's holder is told too; a revoked grant's holder is not.
    services.access_grant_revoke(actor=personas["officer"], grant=soon, reason="违规")
    with clock.at(clock.now() + datetime.timedelta(days=55)):
        assert send_grant_expiry_notices() == 1
    assert (
        Notification.objects.filter(event=events.ACCESS_GRANT_EXPIRING, recipient=personas["citizen"]).count()
        == 1
    )
    assert later.pk


def test_usage_report_overdue_is_told_once(client, login, personas, conditional):
    grant = services.access_application_approve(
        actor=personas["officer"], application=_submit(personas, conditional)
    )
    assert send_report_overdue_notices() == 0
    AccessGrant.objects.filter(pk=grant.pk).update(created_at=clock.now() - datetime.timedelta(days=91))
    assert send_report_overdue_notices() == 1
    assert send_report_overdue_notices() == 0
    [note] = Notification.objects.filter(event=events.ACCESS_REPORT_OVERDUE)
    assert note.recipient == personas["enterprise"] and "企业纳税信息" in note.subject
    _opens(client, login, personas["enterprise"], note, "企业纳税信息")
    services.usage_report_submit(actor=personas["enterprise"], grant=grant, summary="已用于授信评估")
    assert send_report_overdue_notices() == 0
