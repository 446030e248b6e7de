"""A user acts on their own inbox and preferences only."""

from __future__ import annotations

from typing import Any

from kaifang.core.actors import roles_of
from kaifang.notifications.models import Notification


def can_notification_mark_read(actor: Any, notification: Notification) -> bool:
    roles = roles_of(actor)
    return roles.authenticated and roles.user_id == notification.recipient_id


def can_notification_mark_all_read(actor: Any) -> bool:
    return roles_of(actor).authenticated


def can_notification_preferences_update(actor: Any) -> bool:
    return roles_of(actor).authenticated
