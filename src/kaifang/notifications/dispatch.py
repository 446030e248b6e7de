"""Sending notifications: not a user action but a step of other apps' services, which call `notify` inside
their own transaction (so an event and its messages commit or roll back together)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kaifang.notifications.models import Notification


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
    actor is not told of their own act. Inactive users get nothing."""
    seen: set[int] = set()
    made = []
    for user in recipients:
        if user is None or not getattr(user, "is_active", False) or user.pk in seen:
            continue
        if exclude is not None and user.pk == getattr(exclude, "pk", None):
            continue
        seen.add(user.pk)
        if visible is not None and not visible(user):
            continue
        made.append(
            Notification(recipient=user, event=event, subject=subject[:200], body=body, url=url[:300])
        )
    return Notification.objects.bulk_create(made)
