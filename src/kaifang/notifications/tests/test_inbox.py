"""The inbox and preferences pages and their JSON twins, through real URLs: anonymous, another user's
message (404, like a missing one), missing, valid."""

from __future__ import annotations

import json

import pytest

from kaifang.core.models import AuditEvent
from kaifang.notifications import events
from kaifang.notifications.dispatch import notify
from kaifang.notifications.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def _note(
    user, subject="新的数据使用申请：公交线路", url="/access/7/", event=events.ACCESS_APPLICATION_RECEIVED
):
    return notify(recipients=[user], event=event, subject=subject, body="正文", url=url)[0]


def _post(client, url, body=None, method="post"):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_anonymous_is_sent_to_log_in(client):
    for url in ("/inbox/", "/inbox/preferences/", "/inbox/1/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert client.post("/inbox/read-all/").status_code == 302
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notifications/preferences").status_code == 401
    assert _post(client, "/api/v1/notifications/1/read").status_code == 401
    assert _post(client, "/api/v1/notifications/read-all").status_code == 401
    assert _post(client, "/api/v1/notifications/preferences", {"email": {}}, "put").status_code == 401


def test_inbox_lists_own_messages_with_unread_count_in_header(client, login, personas):
    officer = personas["officer"]
    note = _note(officer)
    _note(personas["other_officer"], subject="别人的消息")
    login(officer)
    page = client.get("/inbox/").content.decode()
    assert "新的数据使用申请：公交线路" in page and "别人的消息" not in page
    assert 'data-testid="unread-count"' in page and 'href="/api/v1/notifications"' in page
    assert f'href="/inbox/{note.pk}/"' in page
    assert f'action="/inbox/{note.pk}/read/"' in page and 'name="next" value="/inbox/"' in page
    assert "将“新的数据使用申请：公交线路”标为已读" in page
    assert "收到数据使用申请" in page  # the event's label


def test_unread_filter_and_pagination(client, login, personas):
    officer = personas["officer"]
    for i in range(25):
        _note(officer, subject=f"消息{i:02d}")
    Notification.objects.filter(subject="消息00").update(read_at="2026-01-01T00:00:00Z")
    login(officer)
    first = client.get("/inbox/").content.decode()
    assert "消息24" in first and "消息04" not in first and "1 / 2" in first
    assert "消息00" in client.get("/inbox/?page=2").content.decode()
    assert "消息00" not in client.get("/inbox/?unread=1&page=2").content.decode()
    body = client.get("/api/v1/notifications?unread=true&page_size=10&page=3").json()
    assert (body["count"], body["unread_count"], body["num_pages"], body["page"]) == (24, 24, 3, 3)
    assert len(body["results"]) == 4 and all(r["unread"] for r in body["results"])
    assert client.get("/api/v1/notifications?page_size=1000").status_code == 422


def test_opening_marks_read_and_follows_the_link(client, login, personas):
    officer = personas["officer"]
    note = _note(officer)
    login(officer)
    r = client.get(f"/inbox/{note.pk}/")
    assert r.status_code == 302 and r["Location"] == "/access/7/"
    note.refresh_from_db()
    assert note.read_at is not None
    first = note.read_at
    client.get(f"/inbox/{note.pk}/")
    note.refresh_from_db()
    assert note.read_at == first  # idempotent
    assert AuditEvent.objects.filter(action="notification_mark_read").count() == 1


def test_a_message_never_redirects_off_site(client, login, personas):
    officer = personas["officer"]
    note = _note(officer, url="https://evil.example/phish")
    login(officer)
    assert client.get(f"/inbox/{note.pk}/")["Location"] == "/inbox/"


def test_another_users_message_is_404_like_a_missing_one(client, login, personas):
    theirs = _note(personas["other_officer"])
    login(personas["officer"])
    for pk in (theirs.pk, 999999):
        assert client.get(f"/inbox/{pk}/").status_code == 404
        assert client.post(f"/inbox/{pk}/read/").status_code == 404
        r = _post(client, f"/api/v1/notifications/{pk}/read")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert _post(client, "/api/v1/notifications/99999999999999999999/read").status_code == 422
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_all_read(client, login, personas):
    officer = personas["officer"]
    a, b, c = (_note(officer, subject=s) for s in ("甲", "乙", "丙"))
    mine_elsewhere = _note(personas["reviewer"])
    login(officer)
    r = client.post(f"/inbox/{a.pk}/read/", {"next": "/inbox/?unread=1"})
    assert r.status_code == 302 and r["Location"] == "/inbox/?unread=1"
    assert client.get(f"/inbox/{a.pk}/read/").status_code == 405
    r = _post(client, f"/api/v1/notifications/{b.pk}/read")
    assert r.status_code == 200 and r.json()["unread"] is False
    r = _post(client, "/api/v1/notifications/read-all")
    assert r.json() == {"marked": 1}
    assert client.post("/inbox/read-all/").status_code == 302
    c.refresh_from_db()
    mine_elsewhere.refresh_from_db()
    assert c.read_at is not None and mine_elsewhere.read_at is None
    assert 'data-testid="unread-count"' not in client.get("/inbox/").content.decode()


def test_preferences_page_and_api(client, login, personas):
    officer = personas["officer"]
    login(officer)
    page = client.get("/inbox/preferences/").content.decode()
    for label in ("收到数据使用申请", "工单已逾期", "本部门数据资源收到评论", "邮件待发送"):
        assert label in page
    assert 'aria-label="收到数据使用申请：立即发送"' in page
    body = client.get("/api/v1/notifications/preferences").json()
    choices = {e["event"]: e["email"] for e in body["events"]}
    assert choices[events.ACCESS_APPLICATION_RECEIVED] == "immediate"  # staff work: at once
    assert choices[events.DATASET_FOLLOWED_CHANGED] == "digest"
    assert body["mail"] == {"pending": 0, "failed": 0}
    r = client.post("/inbox/preferences/", {f"email_{events.WORKORDER_DUE}": "off"})
    assert r.status_code == 302
    r = _post(
        client, "/api/v1/notifications/preferences", {"email": {events.ACCESS_DECIDED: "immediate"}}, "put"
    )
    assert r.status_code == 200
    chosen = dict(NotificationPreference.objects.filter(user=officer).values_list("event", "email"))
    assert chosen == {events.WORKORDER_DUE: "off", events.ACCESS_DECIDED: "immediate"}
    assert AuditEvent.objects.filter(action="notification_preferences_update").count() == 2
    # Back to the default: no row, so the user follows the default from now on.
    _post(client, "/api/v1/notifications/preferences", {"email": {events.ACCESS_DECIDED: "digest"}}, "put")
    assert list(NotificationPreference.objects.filter(user=officer).values_list("event", flat=True)) == [
        events.WORKORDER_DUE
    ]


def test_preferences_refuse_unknown_events_and_values(client, login, personas):
    login(personas["citizen"])
    r = _post(
        client,
        "/api/v1/notifications/preferences",
        {"email": {"nope": "off", events.ACCESS_DECIDED: "x"}},
        "put",
    )
    assert r.status_code == 422
    assert set(r.json()["error"]["details"]) == {"nope", events.ACCESS_DECIDED}
    r = client.post("/inbox/preferences/", {f"email_{events.ACCESS_DECIDED}": "weekly"})
    assert r.status_code == 422 and "请选择" in r.content.decode()
    assert not NotificationPreference.objects.exists()


def test_pending_mail_is_shown_to_its_owner_only(client, login, personas):
    officer = personas["officer"]
    officer.email = "officer@example.cn"
    officer.save()
    _note(officer)
    login(officer)
    assert client.get("/api/v1/notifications/preferences").json()["mail"] == {"pending": 1, "failed": 0}
    assert "邮件待发送：<strong>1</strong>" in client.get("/inbox/preferences/").content.decode()
    login(personas["reviewer"])
    assert client.get("/api/v1/notifications/preferences").json()["mail"] == {"pending": 0, "failed": 0}


def test_a_kept_inbox_page_follows_reads_and_new_messages_and_its_forms_work(personas):
    """The list is kept rendered per inbox state: a second visit is served from it, yet a read or a new
    message shows at once, and each form carries this response's own CSRF field (checked, as in a browser)."""
    import re

    from django.test import Client

    from kaifang.accounts.security import SESSION_2FA

    officer = personas["officer"]
    first = _note(officer, subject="第一条")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    session = browser.session
    session[SESSION_2FA] = officer.pk
    session.save()
    browser.get("/inbox/")
    page = browser.get("/inbox/").content.decode()  # the kept list
    assert page.count('name="csrfmiddlewaretoken"') >= 2 and "<!--kaifang:csrf-->" not in page
    token = re.search(
        rf'action="/inbox/{first.pk}/read/".*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S
    )
    r = browser.post(f"/inbox/{first.pk}/read/", {"csrfmiddlewaretoken": token.group(1), "next": "/inbox/"})
    assert r.status_code == 302
    after = browser.get("/inbox/").content.decode()
    assert f'action="/inbox/{first.pk}/read/"' not in after and 'data-testid="unread-count"' not in after
    _note(officer, subject="第二条")
    assert "第二条" in browser.get("/inbox/").content.decode()
