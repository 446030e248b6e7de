"""The catalog in DCAT's terms: datasets (数据资源), their fields (信息项) and distributions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaifang.catalog.choices import (
    CoordinateSystem,
    DistributionKind,
    FieldType,
    FormatCategory,
    Grade,
    OpenAttribute,
    ResourceCategory,
    ShareMode,
    ShareType,
    State,
    UpdateFrequency,
)


class Concept(models.Model):
    """An entry of a controlled vocabulary loaded from data: domains and the four classification systems."""

    class Scheme(models.TextChoices):
        DOMAIN = "domain", _("数据领域")
        THEME = "theme", _("主题分类")
        GENRE = "genre", _("体裁分类")
        SERVICE_OBJECT = "service_object", _("服务对象分类")
        CLASSIFICATION = "classification", _("信息资源分类")

    scheme = models.CharField(max_length=24, choices=Scheme.choices)
    code = models.CharField(max_length=16)
    label = models.CharField(max_length=64)
    label_en = models.CharField(max_length=128, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order = models.PositiveSmallIntegerField(default=0)
    # For domains: "key" (the 15 deep-opening domains) or "initial" (the 7 initial ones).
    group = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["scheme", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="concept_code_unique_in_scheme")
        ]
        verbose_name = _("分类条目")
        verbose_name_plural = _("分类条目")

    def __str__(self) -> str:
        return self.label


class Dataset(models.Model):
    code = models.CharField(_("信息资源代码"), max_length=40, unique=True)
    title = models.CharField(_("信息资源名称"), max_length=128)
    title_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    abstract = models.TextField(_("信息资源摘要"), max_length=4000)
    department = models.ForeignKey("tenancy.Department", on_delete=models.PROTECT, related_name="datasets")
    region = models.ForeignKey("tenancy.Region", on_delete=models.PROTECT, related_name="datasets")
    resource_category = models.CharField(
        _("资源属性分类"),
        max_length=1,
        choices=ResourceCategory.choices,
        default=ResourceCategory.DEPARTMENTAL,
    )
    classification_code = models.CharField(_("信息资源分类码"), max_length=24)
    domain = models.ForeignKey(Concept, on_delete=models.PROTECT, related_name="domain_datasets")
    theme = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    genre = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service_objects = models.ManyToManyField(Concept, blank=True, related_name="+")
    tags = models.JSONField(_("标签"), default=list, blank=True)
    format_category = models.CharField(_("格式分类"), max_length=16, choices=FormatCategory.choices)
    format_type = models.CharField(_("格式类型"), max_length=32)
    share_type = models.CharField(_("共享类型"), max_length=16, choices=ShareType.choices)
    share_condition = models.TextField(_("共享条件"), blank=True, max_length=2000)
    share_mode = models.CharField(_("共享方式"), max_length=16, choices=ShareMode.choices)
    open_attribute = models.CharField(_("开放属性"), max_length=16, choices=OpenAttribute.choices)
    open_condition = models.TextField(_("开放条件"), blank=True, max_length=2000)
    legal_basis = models.TextField(_("不予开放依据"), blank=True, max_length=2000)
    open_forms = models.JSONField(_("开放方式"), default=list, blank=True)
    update_frequency = models.CharField(_("更新周期"), max_length=16, choices=UpdateFrequency.choices)
    sensitivity_grade = models.CharField(_("分级"), max_length=16, choices=Grade.choices, default=Grade.G1)
    related_codes = models.JSONField(_("关联资源代码"), default=list, blank=True)
    # The system the table's longitude and latitude are in (map previews and GeoJSON downloads state it).
    coordinate_system = models.CharField(
        _("坐标系"), max_length=16, choices=CoordinateSystem.choices, blank=True, default=""
    )
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    state = models.CharField(
        _("状态"), max_length=24, choices=State.choices, default=State.DRAFT, db_index=True
    )
    # Optimistic lock: every write must name the version it read; a stale one is refused.
    lock_version = models.PositiveIntegerField(default=1)
    # Changes to a published entry that must be reviewed before the public sees them.
    pending_changes = models.JSONField(null=True, blank=True)
    return_reason = models.TextField(blank=True)
    publish_date = models.DateField(_("发布日期"), null=True, blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-publish_date", "-id"]
        indexes = [
            models.Index(fields=["state", "open_attribute"]),
            models.Index(fields=["state", "domain"]),
            models.Index(fields=["state", "region"]),
        ]
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")

    def __str__(self) -> str:
        return self.title

    @property
    def audit_key(self) -> str:
        return self.code

    @property
    def is_cataloged(self) -> bool:
        return self.state in (State.PUBLISHED, State.REVISION_IN_REVIEW)


class Field(models.Model):
    """An information item (信息项): one column of structured data."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="fields")
    seq = models.PositiveSmallIntegerField()
    code = models.CharField(_("信息项编码"), max_length=48, unique=True)
    name = models.CharField(_("信息项名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)
    data_type = models.CharField(_("数据类型"), max_length=1, choices=FieldType.choices)
    length = models.PositiveIntegerField(_("数据长度"), null=True, blank=True)
    is_primary_key = models.BooleanField(_("是否主键"), default=False)
    value_range = models.CharField(_("值域"), max_length=256, blank=True)
    share_type = models.CharField(_("共享属性"), max_length=16, choices=ShareType.choices)
    open_attribute = models.CharField(_("开放属性"), max_length=16, choices=OpenAttribute.choices)
    sensitivity_grade = models.CharField(_("分级"), max_length=16, choices=Grade.choices, default=Grade.G1)

    class Meta:
        ordering = ["dataset_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["dataset", "seq"], name="field_seq_unique_in_dataset")]
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")

    def __str__(self) -> str:
        return self.name


class Distribution(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="distributions")
    kind = models.CharField(_("类型"), max_length=8, choices=DistributionKind.choices)
    title = models.CharField(_("名称"), max_length=128)
    media_type = models.CharField(_("格式"), max_length=64, blank=True)
    access_url = models.CharField(_("访问地址"), max_length=512, blank=True)
    byte_size = models.BigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "id"]
        verbose_name = _("分发")
        verbose_name_plural = _("分发")

    def __str__(self) -> str:
        return self.title


class CodeSequence(models.Model):
    """The last sequence number issued under one classification prefix; it only grows, so codes never recur."""

    prefix = models.CharField(max_length=32, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last}"


class DuplicateFlag(models.Model):
    """One data, one source (一数一源): two departments registered the same data item."""

    class Status(models.TextChoices):
        OPEN = "open", _("待裁定")
        SETTLED = "settled", _("已裁定")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="duplicate_flags")
    other = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    item_key = models.CharField(_("数据项"), max_length=128)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    authoritative = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "other", "item_key"], name="duplicate_flag_unique")
        ]
        verbose_name = _("重复数据标记")
        verbose_name_plural = _("重复数据标记")

    def __str__(self) -> str:
        return self.item_key

    @property
    def audit_key(self) -> str:
        return str(self.pk)
