"""The city, its counties and the departments that provide data (GB/T 2260 region codes)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    class Level(models.TextChoices):
        CITY = "city", _("市")
        COUNTY = "county", _("县市区")
        ZONE = "zone", _("功能区")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # A zone with no GB/T 2260 code rolls up spatially into the county it lies in.
    spatial_parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_standard_code = models.BooleanField(default=True)
    # Six digits used inside resource codes; equals `code` except for zones with an internal code.
    catalog_code = models.CharField(_("编目区划码"), max_length=6, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    @property
    def is_city(self) -> bool:
        return self.level == self.Level.CITY


class Department(models.Model):
    name = models.CharField(_("部门名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")
    seq = models.CharField(_("区内顺序码"), max_length=3)
    business_code = models.CharField(_("业务条线代码"), max_length=3, default="000")
    is_cdo_pilot = models.BooleanField(_("首席数据官试点"), default=False)
    cdo_name = models.CharField(_("首席数据官"), max_length=64, blank=True)
    cdo_notes = models.TextField(_("试点业务数据、流程与职责"), blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ["region__order", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["region", "seq"], name="department_seq_unique_in_region")
        ]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class ResponsibilityItem(models.Model):
    """One line of a department's responsibility list (责任清单): a resource it must catalog."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="responsibilities")
    title = models.CharField(_("数据资源名称"), max_length=128)
    domain = models.ForeignKey("catalog.Concept", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("完成期限"))
    dataset = models.ForeignKey(
        "catalog.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="responsibilities"
    )
    notes = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department_id", "due_date", "id"]
        verbose_name = _("责任清单条目")
        verbose_name_plural = _("责任清单条目")

    def __str__(self) -> str:
        return self.title
