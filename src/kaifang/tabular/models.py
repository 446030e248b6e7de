"""Versions of a dataset's table (each one a Parquet object in the store) and resumable uploads."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TableVersion(models.Model):
    class State(models.TextChoices):
        RAW = "raw", _("已接收")
        VALIDATED = "validated", _("已校验待发布")
        PUBLISHED = "published", _("已发布")
        FAILED = "failed", _("导入失败")

    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="table_versions")
    number = models.PositiveIntegerField(_("版本号"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.RAW)
    # The one version the public is served; a rollback moves it to an earlier published version.
    is_current = models.BooleanField(default=False)
    content_hash = models.CharField(_("内容哈希"), max_length=64, blank=True)
    store_key = models.CharField(max_length=200, blank=True)
    quarantine_key = models.CharField(max_length=200, blank=True)
    byte_size = models.BigIntegerField(default=0)
    row_count = models.BigIntegerField(_("行数"), default=0)
    quarantined_count = models.BigIntegerField(_("隔离行数"), default=0)
    schema = models.JSONField(_("结构"), default=list, blank=True)
    profile = models.JSONField(_("概况"), default=dict, blank=True)
    bad_rows = models.JSONField(_("问题行报告"), default=list, blank=True)
    bad_row_count = models.BigIntegerField(default=0)
    error = models.TextField(_("错误"), blank=True)
    source_name = models.CharField(_("源文件名"), max_length=255, blank=True)
    source_format = models.CharField(max_length=16, blank=True)
    source_encoding = models.CharField(max_length=16, blank=True)
    source_hash = models.CharField(max_length=64, blank=True)
    quarantine_mode = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="table_version_number_unique"),
            models.UniqueConstraint(
                fields=["dataset"], condition=models.Q(is_current=True), name="table_version_one_current"
            ),
        ]
        verbose_name = _("数据版本")
        verbose_name_plural = _("数据版本")

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.number}"

    @property
    def audit_key(self) -> str:
        return f"{self.dataset_id}:v{self.number}"

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.schema]


class Upload(models.Model):
    """A resumable upload: chunks are appended at the offset the server reports until the size is reached."""

    class State(models.TextChoices):
        OPEN = "open", _("上传中")
        COMPLETE = "complete", _("已上传")
        INGESTING = "ingesting", _("导入中")
        INGESTED = "ingested", _("已导入")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=255)
    total_size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    encoding = models.CharField(max_length=16, blank=True)
    quarantine = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    version = models.ForeignKey(
        TableVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Progress of the background ingest, for the page to poll.
    phase = models.CharField(max_length=16, blank=True)
    percent = models.FloatField(default=0)
    ingest_started_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    # The durable task running the ingest: which task, which worker claimed it, how many times it started
    # (a worker killed mid-ingest is detected at the next worker's start and the task retried or failed).
    task_id = models.CharField(max_length=64, blank=True)
    worker_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("上传")
        verbose_name_plural = _("上传")

    def __str__(self) -> str:
        return self.filename

    @property
    def audit_key(self) -> str:
        return str(self.id)


class TableSample(models.Model):
    """The public sample (样本数据集) of a conditionally open dataset: a fixed extract of one published
    version that passed the privacy gate, served to anyone. It changes only when staff regenerate it."""

    dataset = models.OneToOneField("catalog.Dataset", on_delete=models.CASCADE, related_name="table_sample")
    version = models.ForeignKey(TableVersion, on_delete=models.CASCADE, related_name="+")
    store_key = models.CharField(max_length=200)
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    # The served columns ({name, type, sql_type}) as written, after the publication profile.
    schema = models.JSONField(_("结构"), default=list, blank=True)
    gate_stats = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("样本数据集")
        verbose_name_plural = _("样本数据集")

    def __str__(self) -> str:
        return f"{self.dataset_id} sample v{self.version_id}"

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.schema]
