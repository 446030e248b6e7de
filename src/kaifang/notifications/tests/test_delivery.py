"""Mail delivery through a real SMTP server on loopback that the test stops and starts: nothing is sent
inline, a server that is down leaves the message pending with its error and a later attempt, a server that
is back gets it exactly once, and the last failed attempt leaves it visible as failed. The daily digest."""

from __future__ import annotations

import datetime

import pytest

from kaifang.core import clock
from kaifang.notifications import events
from kaifang.notifications.dispatch import notify
from kaifang.notifications.mail import backoff, deliver_pending, send_digests
from kaifang.notifications.models import MailMessage, Notification, NotificationPreference

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(personas):
    user = personas["officer"]
    user.email = "officer@example.cn"
    user.save()
    return user


def _notify(user, subject="新的数据使用申请：公交线路", event=events.ACCESS_APPLICATION_RECEIVED):
    return notify(
        recipients=[user], event=event, subject=subject, body="办理期限 2027-01-15。", url="/access/1/"
    )


def test_delivered_while_the_server_is_up(smtp, officer):
    _notify(officer)
    assert smtp.messages == []  # queued, never sent inline
    mail = MailMessage.objects.get()
    assert (mail.to, mail.state, mail.kind) == ("officer@example.cn", "pending", "immediate")
    assert deliver_pending() == {"sent": 1, "failed": 0}
    [message] = smtp.messages
    assert message["To"] == "officer@example.cn"
    assert "新的数据使用申请：公交线路" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert "办理期限 2027-01-15。" in message.get_body().get_content()
    assert "/access/1/" in message.get_body().get_content()
    mail.refresh_from_db()
    assert (mail.state, mail.attempts, mail.sent_at is not None) == ("sent", 1, True)
    assert deliver_pending() == {"sent": 0, "failed": 0}
    assert len(smtp.messages) == 1


def test_server_down_then_back_sends_exactly_once(smtp, officer):
    smtp.stop()
    _notify(officer)
    started = clock.now()
    assert deliver_pending() == {"sent": 0, "failed": 1}
    mail = MailMessage.objects.get()
    assert mail.state == "pending" and mail.attempts == 1
    assert mail.last_error  # the refusal, for the operator and the recipient's page
    assert mail.next_attempt_at >= started + backoff(1)
    # Not due yet: running again before the backoff does nothing, even with the server back.
    smtp.start()
    assert deliver_pending() == {"sent": 0, "failed": 0}
    assert smtp.messages == []
    with clock.at(mail.next_attempt_at + datetime.timedelta(seconds=1)):
        assert deliver_pending() == {"sent": 1, "failed": 0}
        assert deliver_pending() == {"sent": 0, "failed": 0}
    assert len(smtp.messages) == 1
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == ("sent", 2)


def test_backoff_grows_and_the_last_attempt_gives_up_visibly(smtp, officer, settings, login, client):
    settings.KAIFANG_MAIL_MAX_ATTEMPTS = 3
    smtp.stop()
    _notify(officer)
    mail = MailMessage.objects.get()
    waits = []
    for _attempt in range(3):
        at = mail.next_attempt_at
        with clock.at(at):
            deliver_pending()
        mail.refresh_from_db()
        waits.append(mail.next_attempt_at - at)
    assert waits[0] < waits[1]  # exponential: 1 minute, then 2
    assert (mail.state, mail.attempts) == ("failed", 3)
    with clock.at(mail.next_attempt_at + datetime.timedelta(days=1)):
        smtp.start()
        assert deliver_pending() == {"sent": 0, "failed": 0}  # given up: not retried, not lost
    assert smtp.messages == []
    login(officer)
    page = client.get("/inbox/preferences/").content.decode()
    assert "发送失败" in page and mail.subject in page
    assert client.get("/api/v1/notifications/preferences").json()["mail"] == {"pending": 0, "failed": 1}


def test_only_immediate_choices_with_an_address_are_queued(officer, personas):
    personas["reviewer"].email = ""
    personas["reviewer"].save()
    NotificationPreference.objects.create(user=officer, event=events.DATASET_RETURNED, email="off")
    notify(recipients=[officer, personas["reviewer"]], event=events.ACCESS_APPLICATION_RECEIVED, subject="甲")
    notify(recipients=[officer], event=events.DATASET_RETURNED, subject="乙")
    notify(recipients=[officer], event=events.ACCESS_DECIDED, subject="丙")  # not a staff event: digest
    [mail] = MailMessage.objects.all()
    assert mail.user == officer and mail.subject.endswith(" 甲")
    assert Notification.objects.filter(recipient=officer).count() == 3  # the inbox gets everything


def test_a_rolled_back_step_queues_nothing(officer):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(officer)
        raise RuntimeError
    assert not Notification.objects.exists() and not MailMessage.objects.exists()


def test_daily_digest(smtp, personas):
    citizen = personas["enterprise"]
    citizen.email = "corp@example.cn"
    citizen.save()
    NotificationPreference.objects.create(
        user=citizen, event=events.ACCESS_APPLICATION_RECEIVED, email="digest"
    )
    day = clock.now()
    with clock.at(day - datetime.timedelta(hours=5)):
        notify(recipients=[citizen], event=events.ACCESS_DECIDED, subject="申请已批准：企业纳税信息")
        read = notify(recipients=[citizen], event=events.ACCESS_INFO_REQUESTED, subject="需补充材料")[0]
        notify(recipients=[citizen], event=events.ACCESS_APPLICATION_RECEIVED, subject="即时的")
    read.read_at = day
    read.save()
    with clock.at(day):
        assert send_digests() == 1
        assert send_digests() == 0  # nothing new since this digest
        deliver_pending()
    [message] = smtp.messages
    body = message.get_body().get_content()
    assert message["To"] == "corp@example.cn" and "2 条未读消息" in message["Subject"]
    assert "申请已批准：企业纳税信息" in body and "即时的" in body
    assert "需补充材料" not in body  # already read
    with clock.at(day + datetime.timedelta(hours=1)):
        notify(recipients=[citizen], event=events.DATASET_FOLLOWED_CHANGED, subject="关注的数据已更新")
    with clock.at(day + datetime.timedelta(days=1)):
        assert send_digests() == 1
        deliver_pending()
    body = smtp.messages[1].get_body().get_content()
    assert "关注的数据已更新" in body and "申请已批准" not in body


def test_digest_skips_users_without_address_or_choice(personas):
    user = personas["citizen"]
    notify(recipients=[user], event=events.ACCESS_DECIDED, subject="无邮箱")
    assert send_digests() == 0
    user.email = "c@example.cn"
    user.save()
    NotificationPreference.objects.create(user=user, event=events.ACCESS_DECIDED, email="off")
    assert send_digests() == 0


def test_periodic_jobs_are_registered_and_run_once(smtp, officer):
    from kaifang.core.periodic import JOBS, run_due

    assert {"notifications.deliver_mail", "notifications.daily_digest", "access.grant_notices"} <= set(JOBS)
    _notify(officer)
    assert run_due(only=["notifications.deliver_mail"]) == ["notifications.deliver_mail"]
    assert run_due(only=["notifications.deliver_mail"]) == []  # not due again within its period
    assert len(smtp.messages) == 1
