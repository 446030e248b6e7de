"""State changes of search: rebuilding and repairing the index, and the operators' synonym list.
Each service checks its `can_<name>` first and writes an audit event."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.search import indexing
from kaifang.search import permissions as perm
from kaifang.search import text as T
from kaifang.search.backends import get_backend
from kaifang.search.documents import clean_ranking, indexable_queryset, iter_docs
from kaifang.search.models import IndexOutbox, RankingSettings, Synonym


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _audit_actor(actor: Any) -> Any:
    return None if actor is perm.COMMAND_LINE else actor


def search_index_rebuild(*, actor: Any) -> dict[str, Any]:
    """Rebuild the whole index beside the live one and switch; search stays online throughout."""
    _require(perm.can_search_index_rebuild(actor))
    started = time.monotonic()
    marker = IndexOutbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
    n = get_backend().rebuild(iter_docs(indexable_queryset()))
    with transaction.atomic():
        # Changes queued before the rebuild began are in the new index; later ones are applied below.
        IndexOutbox.objects.filter(id__lte=marker).delete()
        result = {"indexed": n, "seconds": round(time.monotonic() - started, 2)}
        audit_record(
            actor=_audit_actor(actor),
            action="search_index_rebuild",
            target=("search.index", "all"),
            after=result,
        )
    indexing.apply_pending()
    return result


def search_index_repair(*, actor: Any) -> dict[str, Any]:
    """Apply queued changes, then compare the catalog with the index and fix every difference."""
    _require(perm.can_search_index_repair(actor))
    pending = indexing.apply_pending()
    found = indexing.drift()
    indexing.reindex(set(found["missing"]) | set(found["stale"]) | set(found["extra"]))
    result = {"pending_applied": pending, **{k: len(v) for k, v in found.items()}}
    if pending or any(found.values()):
        with transaction.atomic():
            audit_record(
                actor=_audit_actor(actor),
                action="search_index_repair",
                target=("search.index", "all"),
                after=result | {k: v[:100] for k, v in found.items()},
            )
    return result


@transaction.atomic
def synonym_add(*, actor: Any, terms: str) -> Synonym:
    _require(perm.can_synonym_add(actor))
    syn = Synonym(terms=(terms or "").strip()[:500], created_by=_audit_actor(actor))
    if len(syn.group()) < 2:
        raise ValidationFailed(details={"terms": _("同义词组至少包含两个词，以逗号分隔。")})
    syn.terms = ",".join(syn.group())
    syn.save()
    T.add_words(list(syn.group()))
    audit_record(actor=_audit_actor(actor), action="synonym_add", target=syn, after={"terms": syn.terms})
    return syn


@transaction.atomic
def synonym_delete(*, actor: Any, synonym: Synonym) -> None:
    _require(perm.can_synonym_delete(actor, synonym))
    audit_record(
        actor=_audit_actor(actor), action="synonym_delete", target=synonym, before={"terms": synonym.terms}
    )
    synonym.delete()


@transaction.atomic
def search_settings_update(*, actor: Any, weights: dict[str, Any], boosts: dict[str, Any]) -> RankingSettings:
    """Replace the operators' field weights and boosts (names left out fall back to the defaults). The
    audit event this writes moves every worker to the new ranking on its next query."""
    _require(perm.can_search_settings_update(actor))
    clean_w, clean_b = clean_ranking(weights, boosts)
    row, _created = RankingSettings.objects.select_for_update().get_or_create(pk=RankingSettings.SINGLETON)
    before = {"weights": row.weights, "boosts": row.boosts}
    row.weights, row.boosts = clean_w, clean_b
    row.updated_by = _audit_actor(actor)
    row.save()
    audit_record(
        actor=_audit_actor(actor),
        action="search_settings_update",
        target=row,
        before=before,
        after={"weights": clean_w, "boosts": clean_b},
    )
    return row


def search_usage_refresh(*, actor: Any, full: bool = False) -> dict[str, Any]:
    """Fold use (data API calls and downloads) and quality into the index: the datasets called since the
    last refresh, or all of them with `full`. Search stays online; the audit event renews cached pages."""
    from django.utils import timezone

    from kaifang.access.models import CallLog

    _require(perm.can_search_usage_refresh(actor))
    now = timezone.now()
    row, _created = RankingSettings.objects.get_or_create(pk=RankingSettings.SINGLETON)
    if full or row.usage_refreshed_at is None:
        ids = set(indexable_queryset().values_list("id", flat=True))
    else:
        codes = CallLog.objects.filter(at__gte=row.usage_refreshed_at).values_list("dataset_code", flat=True)
        ids = set(indexable_queryset().filter(code__in=codes.distinct()).values_list("id", flat=True))
    # In chunks, so a full pass over 100,000 entries never holds them all in memory.
    ordered = sorted(ids)
    for i in range(0, len(ordered), 2000):
        indexing.reindex(set(ordered[i : i + 2000]))
    with transaction.atomic():
        RankingSettings.objects.filter(pk=row.pk).update(usage_refreshed_at=now)
        result = {"refreshed": len(ids), "full": bool(full or row.usage_refreshed_at is None)}
        audit_record(
            actor=_audit_actor(actor),
            action="search_usage_refresh",
            target=("search.index", "usage"),
            after=result,
        )
    return result
