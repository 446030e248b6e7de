"""Feeds API v1: push a batch (officers of the owning department), read the latest rows or the changes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import NotAuthenticated
from kaifang.core.http import actor_for
from kaifang.feeds import selectors, services
from kaifang.feeds.schemas import PushIn

router = Router(tags=["feeds"])


def _dataset(request: HttpRequest, slug: str) -> Any:
    return get_dataset_for(actor_for(request), code_from_slug(slug))


@router.post(
    "/datasets/{slug}/feed", response={200: dict, 201: dict}, summary="推送实时数据（追加、按主键更新或删除）"
)
def push(request: HttpRequest, slug: str, payload: PushIn) -> tuple[int, dict[str, Any]]:
    """Body `{"mode": "append|upsert|delete", "rows": [{列: 值}, …]}`; every row is checked against the
    declared fields and a batch with any bad row is refused whole (422, errors by row and column). Send an
    `Idempotency-Key` header: a retried batch is answered with its first result (200, `replayed`)."""
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    ds = selectors.get_push_target(actor, _dataset(request, slug))
    key = request.headers.get("Idempotency-Key") or payload.idempotency_key
    result = services.feed_push(
        actor=actor, dataset=ds, rows=payload.rows, mode=payload.mode, idempotency_key=key
    )
    return (200 if result["replayed"] else 201), result


@router.get("/datasets/{slug}/feed/latest", summary="实时数据：最新快照")
def latest(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Current rows ordered by key (`sort=-seq`: most recently changed first), `limit` ≤ 1000, `offset`,
    `fields=a,b`. `cursor` is where to follow the changes from."""
    result = selectors.feed_latest(actor_for(request), _dataset(request, slug), request.GET)
    request._kaifang_rows = len(result["rows"])  # for the call log
    return result


@router.get("/datasets/{slug}/feed/changes", summary="实时数据：某游标之后的变更")
def changes(request: HttpRequest, slug: str) -> dict[str, Any]:
    """`since=<cursor>` (required): the rows changed after it, oldest first, `limit` ≤ 1000; continue with
    `next_cursor`. An expired or invalid cursor is a 400 with `cursor_expired` / `cursor_invalid`."""
    result = selectors.feed_changes(actor_for(request), _dataset(request, slug), request.GET)
    request._kaifang_rows = len(result["changes"])  # for the call log
    return result
