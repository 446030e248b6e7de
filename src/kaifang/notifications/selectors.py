"""Reading the inbox and the outbox: a user only ever reads their own notifications and mail."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet

from kaifang.core.errors import NotFound
from kaifang.notifications.events import EVENTS
from kaifang.notifications.models import EmailChoice, MailMessage, Notification, NotificationPreference


def inbox_for(user: Any, *, unread: bool = False) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(user: Any) -> int:
    return inbox_for(user, unread=True).count()


def newest_notification_id(user: Any) -> int:
    """The id of the user's newest message (0 for none): one probe of the inbox index."""
    newest = inbox_for(user).order_by("-created_at", "-id").values_list("id", flat=True).first()
    return int(newest or 0)


def get_notification_for(user: Any, pk: Any) -> Notification:
    """The user's own notification; another user's answers exactly like a missing one."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    note = inbox_for(user).filter(pk=pk).first()
    if note is None:
        raise NotFound()
    return note


def default_choice(event: str) -> str:
    spec = EVENTS.get(event)
    return EmailChoice.IMMEDIATE if spec is not None and spec.staff else EmailChoice.DIGEST


def email_choices(users: Iterable[Any], event: str) -> dict[int, str]:
    """Each user's e-mail choice for one event (their preference, else the event's default)."""
    ids = [u.pk for u in users]
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, event=event).values_list("user_id", "email")
    )
    fallback = default_choice(event)
    return {pk: chosen.get(pk, fallback) for pk in ids}


def email_choices_for_users(user_ids: list[int]) -> Callable[[int, str], str]:
    chosen = {
        (u, e): c
        for u, e, c in NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "event", "email"
        )
    }
    return lambda user_id, event: chosen.get((user_id, event), default_choice(event))


def preferences_for(user: Any) -> list[dict[str, Any]]:
    """Every event with its label and the user's e-mail choice, in the order events.py lists them."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "email"))
    return [
        {
            "event": name,
            "label": str(spec.label),
            "email": chosen.get(name, default_choice(name)),
            "default": default_choice(name),
        }
        for name, spec in EVENTS.items()
    ]


def mail_counts_for(user: Any) -> dict[str, int]:
    """The user's own mail still waiting (pending) and given up (failed)."""
    if not getattr(user, "is_authenticated", False):
        return {"pending": 0, "failed": 0}
    qs = MailMessage.objects.filter(user=user)
    return {
        "pending": qs.filter(state=MailMessage.State.PENDING).count(),
        "failed": qs.filter(state=MailMessage.State.FAILED).count(),
    }


def undelivered_mail_for(user: Any, limit: int = 20) -> list[MailMessage]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        MailMessage.objects.filter(
            user=user, state__in=[MailMessage.State.PENDING, MailMessage.State.FAILED]
        ).order_by("-created_at", "-id")[:limit]
    )
