"""The audit trail: one row for every state change, written in the service's own transaction."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaifang.core import clock


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    reason = models.TextField(_("理由"), blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    # False for frequent changes that no cached public answer shows (a feed's pushed rows): they must not
    # turn over the page caches keyed by the newest event (docs/decisions/0004).
    changes_catalog = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"]),
            models.Index(fields=["changes_catalog", "id"], name="audit_catalog_generation"),
        ]
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class RateCounter(models.Model):
    """Requests counted per bucket (an API key, per minute or per day) in fixed windows, shared by all workers."""

    bucket = models.CharField(max_length=64)
    period = models.BigIntegerField()  # the window's number: unix time // window length
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "period"], name="rate_counter_unique")]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.period}={self.count}"


class PeriodicJob(models.Model):
    """When each periodic job (core.periodic) last ran and may next run, shared by every worker on every server:
    a worker claims a due job by moving `due_at` forward in one conditional UPDATE, so each run happens once."""

    name = models.CharField(max_length=64, unique=True)
    due_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
