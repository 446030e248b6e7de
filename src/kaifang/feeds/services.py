"""Every state change of feeds: one service, `feed_push` (append, upsert or delete a batch of rows).

The batch is validated (and, for feeds the public reads, scanned for personal identifiers) before the
transaction opens, so SQLite's single write lock is held only for the writes: a lookup of the batch's keys,
one INSERT … ON CONFLICT for the changed rows, the feed's counters, the idempotency record and one audit
event — a handful of statements and one commit per batch, whatever its size.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.catalog.choices import DistributionKind, OpenForm
from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Dataset, Distribution
from kaifang.core.audit import audit_record
from kaifang.core.errors import Conflict, Forbidden, ValidationFailed
from kaifang.feeds import permissions as perm
from kaifang.feeds.models import Feed, FeedBatch, FeedRecord
from kaifang.feeds.validation import Batch, FeedRejected, personal_data_reasons, validate_batch
from kaifang.tabular.ingest import FieldSpec

PRUNE_EVERY = 64


def feed_push(
    *, actor: Any, dataset: Dataset, rows: Any, mode: str = "upsert", idempotency_key: str = ""
) -> dict[str, Any]:
    """Apply one batch to the dataset's feed, all or nothing. With an idempotency key, a batch already
    applied under that key is answered with its first result (`replayed: true`) and not applied again."""
    if not perm.can_feed_push(actor, dataset):
        raise Forbidden()
    if OpenForm.FEED not in (dataset.open_forms or []):
        raise ValidationFailed(
            _("该数据资源的开放方式不含“实时数据流”，不能推送实时数据。"), code="not_a_feed"
        )
    key = (idempotency_key or "").strip()
    if len(key) > 100:
        raise ValidationFailed(_("幂等键最长 100 个字符。"), code="bad_idempotency_key")
    digest = hashlib.sha256(
        json.dumps({"mode": mode, "rows": rows}, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    if key:
        prior = FeedBatch.objects.filter(feed__dataset=dataset, idempotency_key=key).first()
        if prior is not None:
            return _replay(prior, digest)
    fields = list(dataset.fields.order_by("seq"))
    batch = validate_batch([FieldSpec.from_field(f) for f in fields], rows, mode)
    if mode != "delete":
        reasons = personal_data_reasons(dataset, fields, batch)
        if reasons:
            raise ValidationFailed(
                _("该批数据含有个人信息，开放的实时数据流不能包含个人标识，整批已拒绝。"),
                code="personal_data",
                details={"reasons": reasons},
            )
    with transaction.atomic():
        feed = _locked_feed(dataset, batch.key_fields)
        if key:
            prior = FeedBatch.objects.filter(feed=feed, idempotency_key=key).first()
            if prior is not None:  # a concurrent retry committed first
                return _replay(prior, digest)
        before = {"last_seq": feed.last_seq, "row_count": feed.row_count}
        counts = _apply(feed, batch, mode)
        now = timezone.now()
        feed.updated_at = now
        feed.batch_count += 1
        feed.save(update_fields=["last_seq", "row_count", "batch_count", "updated_at"])
        result = {
            "dataset": dataset.code,
            "mode": mode,
            "received": len(batch.rows),
            **counts,
            "cursor": str(feed.last_seq),
            "row_count": feed.row_count,
            "updated_at": now.isoformat(),
            "idempotency_key": key,
            "replayed": False,
        }
        if key:
            FeedBatch.objects.create(
                feed=feed, idempotency_key=key, body_hash=digest, result=result, actor=_user(actor), at=now
            )
        audit_record(
            actor=actor,
            action="feed.push",
            target=feed,
            before=before,
            after={
                k: result[k]
                for k in ("mode", "received", "inserted", "updated", "deleted", "cursor", "row_count")
            }
            | ({"idempotency_key": key} if key else {}),
            # Pushes come every second or so and are read through the live view, which no page cache holds.
            changes_catalog=False,
        )
        if feed.batch_count == 1:
            _register_distribution(dataset)
        if feed.batch_count % PRUNE_EVERY == 0:
            _prune(feed, now)
    return result


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _replay(prior: FeedBatch, digest: str) -> dict[str, Any]:
    if prior.body_hash != digest:
        raise Conflict(
            _("该幂等键已用于另一批不同的数据；重试时请发送完全相同的批次，新批次请使用新的幂等键。"),
            code="idempotency_key_reused",
        )
    return {**prior.result, "replayed": True}


def _locked_feed(dataset: Dataset, key_fields: list[str]) -> Feed:
    feed, created = Feed.objects.get_or_create(dataset=dataset, defaults={"key_fields": key_fields})
    # The row lock orders concurrent pushes: sequence numbers are taken and committed in the same order,
    # so a reader that has seen cursor N can never later meet a change numbered below N.
    feed = Feed.objects.select_for_update().get(pk=feed.pk)
    if feed.key_fields != key_fields:
        if feed.row_count or FeedRecord.objects.filter(feed=feed).exists():
            raise FeedRejected(
                _("目录中的主键定义已变更（原为：%(old)s），与已有实时数据不一致。")
                % {"old": "、".join(feed.key_fields) or "—"},
                code="key_changed",
            )
        feed.key_fields = key_fields
        feed.save(update_fields=["key_fields"])
    return feed


def _apply(feed: Feed, batch: Batch, mode: str) -> dict[str, int]:
    """Write the batch's changes with the next sequence numbers; return what changed."""
    counts = {"inserted": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    writes: list[FeedRecord] = []
    seq = feed.last_seq
    if not batch.key_fields:  # rows are only appended; the sequence number is their key
        for row in batch.rows:
            seq += 1
            writes.append(FeedRecord(feed=feed, key=f"{seq:019d}", seq=seq, data=row))
        counts["inserted"] = len(writes)
        FeedRecord.objects.bulk_create(writes, batch_size=500)
        feed.last_seq = seq
        feed.row_count += counts["inserted"]
        return counts
    existing: dict[str, tuple[Any, bool]] = {}
    keys = list(batch.keys)
    for i in range(0, len(keys), 500):
        for k, data, deleted in FeedRecord.objects.filter(feed=feed, key__in=keys[i : i + 500]).values_list(
            "key", "data", "deleted"
        ):
            existing[k] = (data, deleted)
    if mode == "append":
        clashes = [
            {
                "row": i,
                "column": "、".join(batch.key_fields),
                "value": "|".join(str(row[k]) for k in batch.key_fields),
                "reason": _("主键已存在：追加不会覆盖已有记录，请改用 upsert"),
            }
            for i, (k, row) in enumerate(zip(keys, batch.rows, strict=True), start=1)
            if k in existing and not existing[k][1]
        ]
        if clashes:
            raise FeedRejected(
                _("有 %(n)s 行未通过校验，整批已拒绝，未写入任何数据。") % {"n": len(clashes)},
                code="bad_rows",
                details={"bad_row_count": len(clashes), "row_count": len(keys), "errors": clashes[:200]},
            )
    for k, row in zip(keys, batch.rows, strict=True):
        old = existing.get(k)
        live = old is not None and not old[1]
        if mode == "delete":
            if not live:
                counts["unchanged"] += 1
                continue
            seq += 1
            key_only = {f: row[f] for f in batch.key_fields}
            writes.append(FeedRecord(feed=feed, key=k, seq=seq, data=key_only, deleted=True))
            counts["deleted"] += 1
            continue
        if live and old[0] == row:
            counts["unchanged"] += 1  # an unchanged row takes no sequence number: readers see no change
            continue
        seq += 1
        writes.append(FeedRecord(feed=feed, key=k, seq=seq, data=row, deleted=False))
        counts["updated" if live else "inserted"] += 1
    if writes:
        FeedRecord.objects.bulk_create(
            writes,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["feed", "key"],
            update_fields=["seq", "data", "deleted"],
        )
    feed.last_seq = seq
    feed.row_count += counts["inserted"] - counts["deleted"]
    return counts


def _register_distribution(dataset: Dataset) -> None:
    """The first push lists the feed among the dataset's files and interfaces."""
    url = f"/api/v1/datasets/{slug_for_code(dataset.code)}/feed/latest"
    if not Distribution.objects.filter(dataset=dataset, kind=DistributionKind.FEED).exists():
        Distribution.objects.create(
            dataset=dataset,
            kind=DistributionKind.FEED,
            title=f"{dataset.title}（{_('实时数据流')}）",
            media_type="application/json",
            access_url=url,
        )


def _prune(feed: Feed, now: datetime.datetime) -> None:
    """Bound what a feed keeps: old tombstones (their cursors expire), old appended rows, old idempotency
    records."""
    keep = int(getattr(settings, "KAIFANG_FEED_RETAIN_CHANGES", 100_000))
    bound = feed.last_seq - keep
    if bound > feed.floor_seq:
        old = FeedRecord.objects.filter(feed=feed, deleted=True, seq__lte=bound)
        newest = old.order_by("-seq").values_list("seq", flat=True).first()
        if newest is not None:
            old.delete()
            feed.floor_seq = newest
            feed.save(update_fields=["floor_seq"])
    if not feed.key_fields:
        max_rows = int(getattr(settings, "KAIFANG_FEED_MAX_APPENDED_ROWS", 100_000))
        if feed.row_count > max_rows:
            n = FeedRecord.objects.filter(feed=feed, seq__lte=feed.last_seq - max_rows).delete()[0]
            feed.row_count -= n
            feed.save(update_fields=["row_count"])
    hours = int(getattr(settings, "KAIFANG_FEED_IDEMPOTENCY_HOURS", 24))
    FeedBatch.objects.filter(feed=feed, at__lt=now - datetime.timedelta(hours=hours)).delete()
