"""A dataset's publication profile: the per-field de-identification rules of its open version."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationProfile(models.Model):
    """One saved version of the rules; the newest row of a dataset is the one in force (history kept)."""

    dataset = models.ForeignKey(
        "catalog.Dataset", on_delete=models.CASCADE, related_name="publication_profiles"
    )
    rules = models.JSONField(_("脱敏规则"), default=dict)
    reason = models.TextField(_("理由"), max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "-id"]
        indexes = [models.Index(fields=["dataset", "-id"])]
        verbose_name = _("发布脱敏方案")
        verbose_name_plural = _("发布脱敏方案")

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.pk}"

    @property
    def audit_key(self) -> str:
        return str(self.pk)


class GradeDecision(models.Model):
    """An officer's confirmation or override of a suggested grade, for one field or (field_name "") the
    whole dataset. The newest row per (dataset, field) is in force; reviewers see it next to the suggestion."""

    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="grade_decisions")
    field_name = models.CharField(_("字段"), max_length=128, blank=True)
    suggested_grade = models.CharField(_("建议级别"), max_length=16)
    suggested_sensitivity = models.CharField(_("建议个人信息类别"), max_length=16)
    suggestion_reasons = models.JSONField(default=list, blank=True)
    grade = models.CharField(_("确认级别"), max_length=16)
    sensitivity = models.CharField(_("确认个人信息类别"), max_length=16)
    reason = models.TextField(_("理由"), blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "field_name", "-id"]
        indexes = [models.Index(fields=["dataset", "field_name", "-id"])]
        verbose_name = _("分级确认")
        verbose_name_plural = _("分级确认")

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.field_name or '*'}={self.grade}"

    @property
    def is_override(self) -> bool:
        return self.grade != self.suggested_grade or self.sensitivity != self.suggested_sensitivity


class VersionGate(models.Model):
    """One run of the publish gate over a table version: the decision, its reasons and masked evidence, the
    profile applied, and (when allowed) the open object written and served from then on. Written in its own
    transaction, so a refusal is kept although the publication is not."""

    version = models.ForeignKey("tabular.TableVersion", on_delete=models.CASCADE, related_name="gates")
    allowed = models.BooleanField(_("是否通过"))
    reasons = models.JSONField(_("理由"), default=list, blank=True)
    evidence = models.JSONField(_("证据（已遮蔽）"), default=list, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    rules = models.JSONField(_("所用脱敏方案"), default=dict, blank=True)
    profile = models.ForeignKey(
        PublicationProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raw_sha256 = models.CharField(max_length=64, blank=True)
    open_key = models.CharField(max_length=200, blank=True)
    open_sha256 = models.CharField(_("开放版本哈希"), max_length=64, blank=True)
    open_size = models.BigIntegerField(default=0)
    # The open object's columns (the version's schema entries, retyped where masking changed a type) and
    # its column profile: what the public is shown instead of the raw version's.
    open_schema = models.JSONField(default=list, blank=True)
    open_profile = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version_id", "-id"]
        indexes = [models.Index(fields=["version", "allowed", "-id"])]
        verbose_name = _("发布审查记录")
        verbose_name_plural = _("发布审查记录")

    def __str__(self) -> str:
        return f"{self.version_id}:{'pass' if self.allowed else 'refuse'}#{self.pk}"

    @property
    def audit_key(self) -> str:
        return str(self.pk)


class RetentionPolicy(models.Model):
    """How long a dataset's table versions are kept (X1). Past it, `kaifang privacy destroy-expired`
    destroys their raw and open objects. The newest row of a dataset is in force; history kept."""

    dataset = models.ForeignKey(
        "catalog.Dataset", on_delete=models.CASCADE, related_name="retention_policies"
    )
    days = models.PositiveIntegerField(_("保存期限（天）"))
    reason = models.TextField(_("理由"), max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "-id"]
        indexes = [models.Index(fields=["dataset", "-id"])]
        verbose_name = _("保存期限")
        verbose_name_plural = _("保存期限")

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.days}d"

    @property
    def audit_key(self) -> str:
        return str(self.pk)


class VersionDestruction(models.Model):
    """The record that a version's data was destroyed: which objects (by hash), by whom, why. The version
    row and the catalog history stay; only the files are gone."""

    class Trigger(models.TextChoices):
        RETENTION = "retention", _("超过保存期限")
        ORDER = "order", _("依令销毁")

    version = models.OneToOneField(
        "tabular.TableVersion", on_delete=models.CASCADE, related_name="destruction"
    )
    trigger = models.CharField(_("原因类别"), max_length=16, choices=Trigger.choices)
    reason = models.TextField(_("理由"), max_length=2000)
    destroyed_hashes = models.JSONField(_("已销毁对象哈希"), default=list)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destroyed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-destroyed_at"]
        verbose_name = _("数据销毁记录")
        verbose_name_plural = _("数据销毁记录")

    def __str__(self) -> str:
        return f"{self.version_id} destroyed"

    @property
    def audit_key(self) -> str:
        return str(self.pk)
