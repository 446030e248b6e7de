"""Keeping the index in step with the catalog.

Catalog services call `dataset_changed` inside their transaction: it writes an outbox row that commits
or rolls back with the change, and applies it right after commit. Anything not applied (a crash, a busy
writer in another process) is applied by the next search, by `kaifang search check`, or at start.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from kaifang.search.backends import get_backend
from kaifang.search.documents import catalog_versions, indexable_queryset, iter_docs
from kaifang.search.models import IndexOutbox

log = logging.getLogger(__name__)


def dataset_changed(dataset: Any) -> None:
    """Record that a dataset's index entry must be refreshed; call inside the changing transaction."""
    IndexOutbox.objects.create(dataset_id=dataset.pk)
    transaction.on_commit(apply_pending_quietly)


def datasets_changed(ids: list[int]) -> None:
    IndexOutbox.objects.bulk_create([IndexOutbox(dataset_id=i) for i in ids])
    transaction.on_commit(apply_pending_quietly)


def reindex(ids: set[int]) -> None:
    """Bring these datasets' index entries in line with the catalog (add, replace or remove)."""
    if not ids:
        return
    backend = get_backend()
    docs = list(iter_docs(indexable_queryset().filter(id__in=ids)))
    present = {d.id for d in docs}
    backend.upsert(docs)
    backend.delete(sorted(i for i in ids if i not in present))


def apply_pending(limit: int = 5000) -> int:
    rows = list(IndexOutbox.objects.order_by("id").values_list("id", "dataset_id")[:limit])
    if not rows:
        return 0
    ids = {d for _r, d in rows}
    reindex(ids)
    IndexOutbox.objects.filter(id__in=[r for r, _d in rows]).delete()
    return len(ids)


def apply_pending_quietly() -> None:
    """After commit: never fail the request that published; the outbox keeps what was not applied."""
    try:
        apply_pending()
    except Exception:  # noqa: BLE001 - the outbox row survives and is retried
        log.warning("search index update deferred", exc_info=True)


def pending_count() -> int:
    return IndexOutbox.objects.count()


def drift() -> dict[str, list[int]]:
    """Differences between the catalog and the index: missing, stale and extra dataset ids."""
    catalog = catalog_versions()
    index = get_backend().versions()
    return {
        "missing": sorted(set(catalog) - set(index)),
        "stale": sorted(i for i, v in catalog.items() if i in index and index[i] != v),
        "extra": sorted(set(index) - set(catalog)),
    }
