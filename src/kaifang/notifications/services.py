"""The recipient's own acts: read a message, read them all, choose how e-mail comes. Sending messages is not
a user action: other apps' services call dispatch.notify inside their transactions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kaifang.core import clock
from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, NotFound, ValidationFailed
from kaifang.notifications import permissions as perm
from kaifang.notifications.events import EVENTS
from kaifang.notifications.models import EmailChoice, Notification, NotificationPreference
from kaifang.notifications.selectors import default_choice


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Idempotent: a message read twice keeps its first reading time. Another user's message is 404."""
    if not perm.can_notification_mark_read(actor, notification):
        raise NotFound()
    note = Notification.objects.select_for_update().get(pk=notification.pk)
    if note.read_at is None:
        note.read_at = clock.now()
        note.save(update_fields=["read_at"])
        audit_record(actor=actor, action="notification_mark_read", target=note, changes_catalog=False)
    return note


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    if not perm.can_notification_mark_all_read(actor):
        raise Forbidden()
    count = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=clock.now())
    if count:
        audit_record(
            actor=actor,
            action="notification_mark_all_read",
            target=actor,
            after={"count": count},
            changes_catalog=False,
        )
    return count


@transaction.atomic
def notification_preferences_update(*, actor: Any, choices: dict[str, Any]) -> dict[str, str]:
    """Set the e-mail choice of the events named in `choices` (others keep theirs). Unknown events and
    values are refused as a whole, with a message per field."""
    if not perm.can_notification_preferences_update(actor):
        raise Forbidden()
    if not isinstance(choices, dict):
        raise ValidationFailed(details={"choices": _("格式不正确。")})
    errors: dict[str, str] = {}
    allowed = set(EmailChoice.values)
    for event, value in choices.items():
        if event not in EVENTS:
            errors[str(event)[:48]] = _("没有这种消息类型。")
        elif value not in allowed:
            errors[event] = _("请选择：不发邮件、立即发送或每日汇总。")
    if errors:
        raise ValidationFailed(details=errors)
    before = dict(
        NotificationPreference.objects.filter(user=actor, event__in=list(choices)).values_list(
            "event", "email"
        )
    )
    now = clock.now()
    for event, value in choices.items():
        # A choice equal to the event's default is no row, so the user keeps following the default.
        if value == default_choice(event):
            NotificationPreference.objects.filter(user=actor, event=event).delete()
        else:
            NotificationPreference.objects.update_or_create(
                user=actor, event=event, defaults={"email": value, "updated_at": now}
            )
    audit_record(
        actor=actor,
        action="notification_preferences_update",
        target=actor,
        before=before,
        after=dict(choices),
        changes_catalog=False,
    )
    return dict(choices)
