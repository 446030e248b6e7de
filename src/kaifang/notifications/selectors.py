"""Reading the inbox: a user only ever reads their own notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kaifang.notifications.models import Notification


def inbox_for(user: Any) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def unread_count(user: Any) -> int:
    return inbox_for(user).filter(read_at__isnull=True).count()
