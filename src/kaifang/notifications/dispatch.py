"""Sending notifications: not a user action but a step of other apps' services, which call `notify` inside
their own transaction (so an event and its messages commit or roll back together)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction

from kaifang.notifications.models import EmailChoice, MailMessage, Notification, SentOnce


def notify(
    *,
    recipients: Iterable[Any],
    event: str,
    subject: str,
    body: str = "",
    url: str = "",
    visible: Callable[[Any], bool] | None = None,
    exclude: Any = None,
) -> list[Notification]:
    """Put one message in each recipient's inbox (and the mail outbox, by their preferences).

    `visible(user)` must be true for every recipient that may read what the message names (its dataset,
    applicant, field): a recipient for whom it is false gets nothing. `exclude` (a user) is left out, so an
    actor is not told of their own act. Inactive users get nothing. E-mail is only queued here (never sent
    inline): recipients who chose immediate mail get a MailMessage row in this same transaction, which the
    delivery job sends and retries."""
    from kaifang.notifications.mail import compose_immediate
    from kaifang.notifications.selectors import email_choices

    seen: set[int] = set()
    users = []
    made = []
    for user in recipients:
        if user is None or not getattr(user, "is_active", False) or user.pk in seen:
            continue
        if exclude is not None and user.pk == getattr(exclude, "pk", None):
            continue
        seen.add(user.pk)
        if visible is not None and not visible(user):
            continue
        users.append(user)
        made.append(
            Notification(recipient=user, event=event, subject=subject[:200], body=body, url=url[:300])
        )
    if not made:
        return []
    made = Notification.objects.bulk_create(made)
    choices = email_choices(users, event)
    mails = [
        compose_immediate(user, note)
        for user, note in zip(users, made, strict=True)
        if getattr(user, "email", "") and choices[user.pk] == EmailChoice.IMMEDIATE
    ]
    if mails:
        MailMessage.objects.bulk_create(mails)
    return made


def notify_once(key: str, **kwargs: Any) -> list[Notification]:
    """`notify`, unless a notice with this key was sent before (a periodic job that runs again, or two
    workers): the key is recorded in the same transaction as the messages."""
    try:
        with transaction.atomic():
            SentOnce.objects.create(key=key[:120])
    except IntegrityError:
        return []
    return notify(**kwargs)


def already_sent(key: str) -> bool:
    return SentOnce.objects.filter(key=key[:120]).exists()
