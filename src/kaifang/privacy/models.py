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
