"""E-mail: composing messages into the outbox, delivering them through Django's e-mail framework, and the
daily digest. Nothing here is a user action; the periodic jobs in tasks.py call `deliver_pending` and
`send_digests`, and tests call them directly.

Delivery claims each due row by moving its next attempt time forward (compare-and-set on the value read), so
two workers never send one message, and a worker killed mid-send leaves the row to be tried again after the
lease. A server that is down or refuses leaves the row pending with its error and a later attempt time
(exponential backoff); after the last attempt it stays in the outbox as failed."""

from __future__ import annotations

import datetime
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.core import clock
from kaifang.notifications.models import (
    DigestCursor,
    EmailChoice,
    MailMessage,
    Notification,
)

logger = logging.getLogger(__name__)
State = MailMessage.State

LEASE = datetime.timedelta(minutes=10)
DIGEST_WINDOW = datetime.timedelta(days=7)  # a digest never reaches further back than this
DIGEST_MAX_ITEMS = 50


def max_attempts() -> int:
    return int(getattr(settings, "KAIFANG_MAIL_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most six hours."""
    base = int(getattr(settings, "KAIFANG_MAIL_RETRY_SECONDS", 60))
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _absolute(url: str) -> str:
    if url.startswith("/") and not url.startswith("//"):
        return settings.KAIFANG_BASE_URL.rstrip("/") + url
    return url


def _footer() -> str:
    return _("此邮件由%(platform)s自动发送，请勿直接回复。调整邮件提醒：%(link)s") % {
        "platform": settings.KAIFANG_PLATFORM_NAME,
        "link": _absolute("/inbox/preferences/"),
    }


def _subject(text: str) -> str:
    return f"[{settings.KAIFANG_PLATFORM_NAME}] {text}"[:255]


def compose_immediate(user: Any, note: Notification) -> MailMessage:
    parts = [note.subject]
    if note.body:
        parts.append(note.body)
    if note.url:
        parts.append(_absolute(note.url))
    parts.append("—— " + _footer())
    return MailMessage(
        user=user,
        to=user.email,
        subject=_subject(note.subject),
        body="\n\n".join(parts),
        kind=MailMessage.Kind.IMMEDIATE,
        notification=note,
    )


# --- delivery -----------------------------------------------------------------------------------------------


def _claim(message: MailMessage, now: datetime.datetime) -> bool:
    return bool(
        MailMessage.objects.filter(
            pk=message.pk, state=State.PENDING, next_attempt_at=message.next_attempt_at
        ).update(next_attempt_at=now + LEASE)
    )


def _failed(message: MailMessage, error: BaseException, now: datetime.datetime) -> None:
    attempts = message.attempts + 1
    gave_up = attempts >= max_attempts()
    MailMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        state=State.FAILED if gave_up else State.PENDING,
        next_attempt_at=now + backoff(attempts),
    )


def _sent(message: MailMessage, now: datetime.datetime) -> None:
    MailMessage.objects.filter(pk=message.pk).update(
        attempts=message.attempts + 1, state=State.SENT, sent_at=now
    )


def _connection_lost(exc: BaseException) -> bool:
    """Whether the next message would fail the same way (server gone), as opposed to this one refused."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def deliver_pending(*, batch: int = 200) -> dict[str, int]:
    """Send up to `batch` due messages over one connection; returns how many were sent and failed."""
    now = clock.now()
    due = list(
        MailMessage.objects.filter(state=State.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )[:batch]
    )
    claimed = [m for m in due if _claim(m, now)]
    result = {"sent": 0, "failed": 0}
    if not claimed:
        return result
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - any refusal leaves every message pending, with its reason
        logger.warning("mail server unavailable: %s", exc)
        for message in claimed:
            _failed(message, exc, now)
        result["failed"] = len(claimed)
        return result
    try:
        for i, message in enumerate(claimed):
            email = EmailMessage(
                subject=message.subject,
                body=message.body,
                to=[message.to],
                headers={"Auto-Submitted": "auto-generated"},
                connection=connection,
            )
            try:
                connection.send_messages([email])
            except Exception as exc:  # noqa: BLE001
                logger.warning("mail %s not sent: %s", message.pk, exc)
                lost = _connection_lost(exc)
                rest = claimed[i:] if lost else [message]
                for m in rest:
                    _failed(m, exc, now)
                result["failed"] += len(rest)
                if lost:
                    break
                continue
            _sent(message, now)
            result["sent"] += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the messages' outcome is already recorded
            logger.debug("closing the mail connection failed", exc_info=True)
    return result


# --- digest -------------------------------------------------------------------------------------------------


def send_digests() -> int:
    """Queue one mail per user who chose the daily digest for some event and has unread messages of such
    events since their last digest. Returns the number of digests queued."""
    from django.contrib.auth import get_user_model

    from kaifang.notifications.selectors import email_choices_for_users

    now = clock.now()
    floor = now - DIGEST_WINDOW
    recent = Notification.objects.filter(
        read_at__isnull=True, created_at__gt=floor, created_at__lte=now
    ).exclude(Q(recipient__email="") | Q(recipient__is_active=False))
    user_ids = list(recent.order_by().values_list("recipient_id", flat=True).distinct())
    if not user_ids:
        return 0
    cursors = dict(DigestCursor.objects.filter(user_id__in=user_ids).values_list("user_id", "last_at"))
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)}
    choices = email_choices_for_users(user_ids)
    queued = 0
    for user_id in user_ids:
        user = users[user_id]
        since = max(cursors.get(user_id, floor), floor)
        items = [
            n
            for n in recent.filter(recipient_id=user_id, created_at__gt=since).order_by("created_at", "id")
            if choices(user_id, n.event) == EmailChoice.DIGEST
        ]
        if not items:
            continue
        with transaction.atomic():
            MailMessage.objects.create(
                user=user,
                to=user.email,
                subject=_subject(_("您有 %(n)s 条未读消息") % {"n": len(items)}),
                body=_digest_body(user, items),
                kind=MailMessage.Kind.DIGEST,
            )
            DigestCursor.objects.update_or_create(user_id=user_id, defaults={"last_at": now})
        queued += 1
    return queued


def _digest_body(user: Any, items: list[Notification]) -> str:
    lines = [_("%(name)s，您好：") % {"name": user}, "", _("自上次汇总以来，您有以下未读消息："), ""]
    for n in items[:DIGEST_MAX_ITEMS]:
        when = timezone.localtime(n.created_at).strftime("%Y-%m-%d %H:%M")
        lines.append(f"· {n.subject}（{when}）")
        if n.body:
            excerpt = " ".join(n.body.split())
            lines.append(f"  {excerpt[:200]}{'…' if len(excerpt) > 200 else ''}")
        if n.url:
            lines.append(f"  {_absolute(n.url)}")
    if len(items) > DIGEST_MAX_ITEMS:
        lines.append(_("……另有 %(n)s 条") % {"n": len(items) - DIGEST_MAX_ITEMS})
    lines += ["", _("消息中心：%(link)s") % {"link": _absolute("/inbox/")}, "", "—— " + _footer()]
    return "\n".join(lines)
