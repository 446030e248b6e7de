"""Real-time feeds (D6): the latest row per primary key of a dataset, with a per-feed change sequence.

One `FeedRecord` per key, updated in place: a push writes as many rows as it changes, never a growing
history. Each change takes the next number of the feed's sequence, so `seq > cursor` is exactly the set
of keys changed since a reader's cursor (a compacted change log). Deletes leave a tombstone until it falls
below `floor_seq`; a cursor older than that can no longer be answered and is refused as expired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Feed(models.Model):
    dataset = models.OneToOneField("catalog.Dataset", on_delete=models.CASCADE, related_name="feed")
    # Primary key field names (catalog fields), in declaration order; empty: rows are only appended.
    key_fields = models.JSONField(default=list, blank=True)
    last_seq = models.BigIntegerField(_("最新序号"), default=0)
    # Changes numbered at or below this were compacted away: older cursors are expired.
    floor_seq = models.BigIntegerField(default=0)
    row_count = models.IntegerField(_("当前行数"), default=0)
    batch_count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(_("最后更新"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("实时数据流")
        verbose_name_plural = _("实时数据流")

    def __str__(self) -> str:
        return f"feed {self.dataset_id} @{self.last_seq}"

    @property
    def audit_key(self) -> str:
        return str(self.dataset_id)


class FeedRecord(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="records")
    # The primary key values as a JSON list (or the zero-padded sequence number of an appended row).
    key = models.CharField(max_length=255)
    seq = models.BigIntegerField()
    data = models.JSONField(default=dict)
    deleted = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="feed_record_key_unique")]
        indexes = [models.Index(fields=["feed", "seq"], name="feed_record_seq")]

    def __str__(self) -> str:
        return f"{self.feed_id}:{self.key}@{self.seq}"


class FeedBatch(models.Model):
    """A batch pushed with an idempotency key: a retry with the same key is answered, not applied again."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="batches")
    idempotency_key = models.CharField(max_length=100)
    body_hash = models.CharField(max_length=64)
    result = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "idempotency_key"], name="feed_batch_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.feed_id}:{self.idempotency_key}"
