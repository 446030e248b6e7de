"""Conditional opening (有条件开放): applications, the use agreement, grants and usage reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AgreementTemplate(models.Model):
    """A versioned 数据开放利用协议; an application records the version its applicant accepted."""

    version = models.CharField(_("版本"), max_length=16, unique=True)
    title = models.CharField(_("标题"), max_length=128)
    body = models.TextField(_("正文"))
    is_current = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("数据开放利用协议")
        verbose_name_plural = _("数据开放利用协议")

    def __str__(self) -> str:
        return f"{self.title} {self.version}"


class AccessApplication(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        INFO_REQUESTED = "info_requested", _("待补充材料")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN_STATES = (State.SUBMITTED, State.INFO_REQUESTED)

    dataset = models.ForeignKey(
        "catalog.Dataset", on_delete=models.PROTECT, related_name="access_applications"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_applications"
    )
    organization_name = models.CharField(_("申请单位"), max_length=128, blank=True)
    purpose = models.TextField(_("用途"), max_length=2000)
    scenario = models.TextField(_("应用场景"), max_length=2000)
    requested_fields = models.JSONField(_("申请的信息项"), default=list)
    period_start = models.DateField(_("使用开始日期"))
    period_end = models.DateField(_("使用结束日期"))
    security_measures = models.TextField(_("安全保障措施"), max_length=2000)
    agreement = models.ForeignKey(AgreementTemplate, on_delete=models.PROTECT, related_name="+")
    agreement_accepted_at = models.DateTimeField()
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    deadline = models.DateField(_("办理期限"))
    decision_reason = models.TextField(_("审核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("有条件开放申请")
        verbose_name_plural = _("有条件开放申请")

    def __str__(self) -> str:
        return f"#{self.pk} {self.dataset_id}"

    @property
    def is_overdue(self) -> bool:
        return self.state in self.OPEN_STATES and self.deadline < timezone.localdate()


class ApplicationMessage(models.Model):
    """Questions from the provider and answers from the applicant, in order."""

    application = models.ForeignKey(AccessApplication, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


class AccessGrant(models.Model):
    """What an approval allows: these fields of this dataset, for this period, for this user."""

    application = models.OneToOneField(AccessApplication, on_delete=models.PROTECT, related_name="grant")
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.PROTECT, related_name="access_grants")
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    fields = models.JSONField(_("授权的信息项"), default=list)
    row_filter = models.CharField(_("行范围"), max_length=500, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("到期日期"))
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=60)
    report_every_days = models.PositiveIntegerField(_("利用报告周期（天）"), default=90)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("数据使用授权")
        verbose_name_plural = _("数据使用授权")

    def __str__(self) -> str:
        return f"grant #{self.pk}"

    def report_due(self) -> timezone.datetime | None:
        """When the next usage report is due: a period after the last report (or after the grant)."""
        if "last_report_at" in self.__dict__:  # annotated by the cached read (access/identity.py)
            last = self.__dict__["last_report_at"]
        else:
            last = self.reports.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
        start = last or self.created_at
        return start + timezone.timedelta(days=self.report_every_days) if start else None

    def status(self, at: timezone.datetime | None = None) -> str:
        at = at or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        # Grant periods are the city's calendar days, not UTC ones.
        day = timezone.localdate(at)
        if day < self.valid_from:
            return "pending"
        if day > self.valid_until:
            return "expired"
        due = self.report_due()
        if due is not None and due < at:
            return "suspended"
        return "active"


class UsageReport(models.Model):
    """数据利用报告: what the grantee did with the data in a period."""

    grant = models.ForeignKey(AccessGrant, on_delete=models.CASCADE, related_name="reports")
    summary = models.TextField(_("利用情况"), max_length=8000)
    outcomes = models.TextField(_("成果与效益"), max_length=4000, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("数据利用报告")
        verbose_name_plural = _("数据利用报告")

    def __str__(self) -> str:
        return f"report {self.grant_id} {self.submitted_at:%Y-%m-%d}"


class CallLog(models.Model):
    """One call to a dataset's data (API rows, aggregates, downloads, files): who, with what, how it went (X2)."""

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    key_prefix = models.CharField(max_length=12, blank=True)
    dataset_code = models.CharField(max_length=40, db_index=True)
    endpoint = models.CharField(max_length=16)
    method = models.CharField(max_length=8)
    query = models.CharField(max_length=1000, blank=True)
    status = models.PositiveSmallIntegerField()
    bytes = models.BigIntegerField(default=0)
    rows = models.IntegerField(null=True, blank=True)
    latency_ms = models.FloatField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    grant_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["dataset_code", "at"])]
        verbose_name = _("调用日志")
        verbose_name_plural = _("调用日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.endpoint} {self.dataset_code} {self.status}"


class AccessGeneration(models.Model):
    """One row whose value moves whenever a saved or deleted key, user, role, grant or usage report could
    change what a caller may read (access/identity.py): with the newest catalog event it keys every
    process's cache of keys, roles and grants, so a change made through the admin (which writes no audit
    event) still takes effect on the next call."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("访问控制版本")
        verbose_name_plural = _("访问控制版本")

    def __str__(self) -> str:
        return str(self.value)
