"""Search state kept in the database: the durable outbox of index changes, operator synonyms, and the
PostgreSQL backend's segmented documents."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IndexOutbox(models.Model):
    """A dataset whose index entry must be refreshed. Written in the same transaction as the catalog
    change and removed only after the index has it, so a crash in between is repaired later."""

    dataset_id = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("索引待更新")
        verbose_name_plural = _("索引待更新")

    def __str__(self) -> str:
        return str(self.dataset_id)


class Synonym(models.Model):
    """One synonym group maintained by operators (医院,医疗机构 …), applied at query time."""

    terms = models.CharField(_("同义词组"), max_length=500, help_text=_("以逗号分隔，如：医院,医疗机构"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("同义词")
        verbose_name_plural = _("同义词")

    def __str__(self) -> str:
        return self.terms

    @property
    def audit_key(self) -> str:
        return str(self.pk)

    def group(self) -> tuple[str, ...]:
        import re

        return tuple(t.strip().lower() for t in re.split(r"[,，、]", self.terms) if t.strip())


class RankingSettings(models.Model):
    """The operators' ranking (one row): field weights and boosts over the defaults, applied at query
    time in every process without a restart, and when usage statistics were last folded into the index."""

    SINGLETON = 1

    weights = models.JSONField(default=dict, blank=True)
    boosts = models.JSONField(default=dict, blank=True)
    usage_refreshed_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("排序设置")
        verbose_name_plural = _("排序设置")

    def __str__(self) -> str:
        return "ranking"

    @property
    def audit_key(self) -> str:
        return "ranking"


class SearchEntry(models.Model):
    """The PostgreSQL backend's document: segmented text; the weighted tsvector column `tsv` is added
    by the migration on PostgreSQL only (a generated column with a GIN index)."""

    dataset_id = models.BigIntegerField(unique=True)
    version = models.BigIntegerField()
    title = models.TextField(blank=True)  # A
    keys = models.TextField(blank=True)  # A: code, pinyin
    meta = models.TextField(blank=True)  # B: tags, department, region, domain
    fields = models.TextField(blank=True)  # C: field names, English title
    body = models.TextField(blank=True)  # D: abstract
    publish_days = models.IntegerField(default=0)
    quality = models.FloatField(default=0)
    use = models.FloatField(default=0)

    class Meta:
        verbose_name = _("搜索文档")
        verbose_name_plural = _("搜索文档")

    def __str__(self) -> str:
        return str(self.dataset_id)
