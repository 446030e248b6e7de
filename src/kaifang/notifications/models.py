"""The inbox, the e-mail outbox and each user's preferences. Mail is queued in the same transaction as the
event that causes it, so a mail server that is down delays a message and never loses it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaifang.core import clock


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(_("事件"), max_length=48)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-id"], name="notification_inbox"),
            # The inbox page reads a user's newest first; without this a busy reviewer's inbox sorts them all.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recent"),
        ]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")

    def __str__(self) -> str:
        return self.subject


class EmailChoice(models.TextChoices):
    OFF = "off", _("不发邮件")
    IMMEDIATE = "immediate", _("立即发送")
    DIGEST = "digest", _("每日汇总")


class NotificationPreference(models.Model):
    """A user's e-mail choice for one event. No row: the event's default (events.py). The inbox always
    receives every message."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("事件"), max_length=48)
    email = models.CharField(_("邮件提醒"), max_length=16, choices=EmailChoice.choices)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_preference_unique")
        ]
        verbose_name = _("消息提醒设置")
        verbose_name_plural = _("消息提醒设置")

    def __str__(self) -> str:
        return f"{self.user_id} {self.event} {self.email}"


class MailMessage(models.Model):
    """One e-mail in the outbox. Delivery (mail.deliver_pending) retries with exponential backoff; after the
    last attempt the message stays here as failed, visible to its recipient and the operators."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    class Kind(models.TextChoices):
        IMMEDIATE = "immediate", _("即时提醒")
        DIGEST = "digest", _("每日汇总")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_messages",
    )
    to = models.EmailField(_("收件地址"), max_length=254)
    subject = models.CharField(_("主题"), max_length=255)
    body = models.TextField(_("正文"))
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.IMMEDIATE)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="mail_due"),
            models.Index(fields=["user", "state"], name="mail_user_state"),
        ]
        verbose_name = _("待发邮件")
        verbose_name_plural = _("待发邮件")

    def __str__(self) -> str:
        return f"{self.to} {self.subject[:40]} {self.state}"


class DigestCursor(models.Model):
    """Up to when a user's digest has summarised: the next digest covers what came after."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} {self.last_at:%Y-%m-%d %H:%M}"


class SentOnce(models.Model):
    """A notice that must go out once only (a grant about to expire, a report overdue, a work order due):
    its key, recorded in the transaction that sends it, so a periodic job that runs again sends nothing."""

    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.key
