"""Scenario applications (场景应用, requirement SC): applications built on the opened data, shown with the
datasets they use. Submitted by a department officer or an enterprise, published by a reviewer or operator."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scenario(models.TextChoices):
    """The 16 pilot scenarios of the attachment (part 2)."""

    SC1 = "SC1", _("宏观经济数据库与异常预警")
    SC2 = "SC2", _("智慧教育")
    SC3 = "SC3", _("科技成果转化")
    SC4 = "SC4", _("生态环境监测预警")
    SC5 = "SC5", _("交通出行")
    SC6 = "SC6", _("车主服务")
    SC7 = "SC7", _("文旅地图")
    SC8 = "SC8", _("健康服务")
    SC9 = "SC9", _("综合执法")
    SC10 = "SC10", _("城市安全风险预警")
    SC11 = "SC11", _("普惠金融")
    SC12 = "SC12", _("企业服务")
    SC13 = "SC13", _("个人诚信分")
    SC14 = "SC14", _("基层治理")
    SC15 = "SC15", _("农业与溯源")
    SC16 = "SC16", _("其他")


class ScenarioApplication(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤下")

    title = models.CharField(_("应用名称"), max_length=128)
    summary = models.TextField(_("应用简介"), max_length=2000)
    scenario = models.CharField(_("应用场景"), max_length=8, choices=Scenario.choices)
    # The provider is a department (its officers submit) or an enterprise user.
    provider_department = models.ForeignKey(
        "tenancy.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    url = models.URLField(_("访问地址"), max_length=500, blank=True)
    datasets = models.ManyToManyField("catalog.Dataset", blank=True, related_name="scenario_applications")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    withdraw_reason = models.TextField(blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scenario", "id"]
        indexes = [models.Index(fields=["status", "scenario"])]
        verbose_name = _("场景应用")
        verbose_name_plural = _("场景应用")

    def __str__(self) -> str:
        return self.title

    @property
    def audit_key(self) -> str:
        return str(self.pk)

    @property
    def provider_name(self) -> str:
        if self.provider_department_id:
            return self.provider_department.name
        if self.provider_user_id:
            u = self.provider_user
            return u.organization_name or u.display_name or u.username
        return ""
