"""JSON shapes of the notifications API."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.notifications.events import label_of
from kaifang.notifications.models import Notification


class InboxFilters(Schema):
    unread: bool = False
    page: int = PydField(1, ge=1, le=100000)
    page_size: int = PydField(20, ge=1, le=100)


class PreferencesIn(Schema):
    email: dict[str, str] = PydField(
        description="事件 → off（不发邮件）/ immediate（立即发送）/ digest（每日汇总）"
    )


def notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "event": n.event,
        "event_label": str(label_of(n.event)),
        "subject": n.subject,
        "body": n.body,
        "url": n.url,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "unread": n.read_at is None,
    }
