"""Reads of feeds: the latest snapshot, the changes since a cursor, the dataset page's live view."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kaifang.catalog.choices import OpenAttribute
from kaifang.catalog.models import Dataset
from kaifang.core.errors import DomainError, Forbidden, NotAuthenticated, NotFound
from kaifang.feeds.models import Feed, FeedRecord
from kaifang.feeds.permissions import can_feed_push, feed_columns_visible_to, may_read_feed
from kaifang.tabular.query import _int, bad  # the data API's parameter errors, word for word

MAX_LIMIT = 1000


class CursorError(DomainError):
    """A cursor this feed cannot continue from: the client must start again from `latest`."""

    status = 400
    code = "cursor_invalid"


def get_push_target(actor: Any, dataset: Dataset) -> Dataset:
    """The dataset an actor may push to; anyone else learns nothing more than for a missing dataset."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    if not can_feed_push(actor, dataset):
        raise NotFound()
    return dataset


def _fields(dataset: Dataset) -> list[Any]:
    return list(dataset.fields.order_by("seq"))


def get_feed_for(actor: Any, dataset: Dataset) -> tuple[Feed, list[str]]:
    """The dataset's feed and the columns the actor may read, or the data API's refusal."""
    if not may_read_feed(actor, dataset):
        raise Forbidden(_("该数据资源为有条件开放，需申请并获得授权后才能获取数据。"), code="grant_required")
    _refuse_row_scoped_grant(actor, dataset)
    feed = Feed.objects.filter(dataset=dataset).first()
    if feed is None:
        raise NotFound(_("该数据资源尚无实时数据。"))
    return feed, feed_columns_visible_to(actor, dataset, _fields(dataset))


def _refuse_row_scoped_grant(actor: Any, dataset: Dataset) -> None:
    """A grant limited to some rows is enforced by the data API's query engine; feeds cannot apply it, so
    they refuse rather than show rows outside the grant."""
    from kaifang.tabular.permissions import may_read_unpublished

    if dataset.open_attribute != OpenAttribute.CONDITIONAL or may_read_unpublished(actor, dataset):
        return
    from kaifang.access.selectors import usable_grant

    grant = usable_grant(actor, dataset)
    if grant is not None and grant.row_filter:
        raise Forbidden(
            _("您的授权限定了数据行范围，实时数据流不支持按行授权，请使用数据查询接口。"),
            code="grant_row_scope",
        )


def _select(params: Any, visible: list[str]) -> list[str]:
    raw = params.get("fields")
    if not raw:
        return visible
    names = [n.strip() for n in str(raw).split(",") if n.strip()]
    unknown = [n for n in names if n not in visible]
    if unknown:
        raise bad("fields", _("没有这些列：%(cols)s。") % {"cols": "、".join(unknown[:10])})
    return names


def _header(dataset: Dataset, feed: Feed) -> dict[str, Any]:
    return {
        "dataset": dataset.code,
        "updated_at": feed.updated_at.isoformat() if feed.updated_at else None,
        "cursor": str(feed.last_seq),
        "row_count": feed.row_count,
    }


def feed_latest(actor: Any, dataset: Dataset, params: Any) -> dict[str, Any]:
    """The current rows (`limit` ≤ 1000, `offset`, `fields`, `sort=key|-seq`) and the cursor to follow
    changes from."""
    feed, visible = get_feed_for(actor, dataset)
    select = _select(params, visible)
    limit = _int(params.get("limit"), "limit", 100, 1, MAX_LIMIT)
    offset = _int(params.get("offset"), "offset", 0, 0, 10_000_000)
    sort = params.get("sort") or "key"
    if sort not in ("key", "-seq"):
        raise bad("sort", _("sort 只能是 key 或 -seq。"))
    qs = FeedRecord.objects.filter(feed=feed, deleted=False).order_by("key" if sort == "key" else "-seq")
    data = list(qs.values_list("data", flat=True)[offset : offset + limit + 1])
    return {
        **_header(dataset, feed),
        "columns": select,
        "rows": [{c: d.get(c) for c in select} for d in data[:limit]],
        "limit": limit,
        "offset": offset,
        "has_more": len(data) > limit,
    }


def feed_changes(actor: Any, dataset: Dataset, params: Any) -> dict[str, Any]:
    """Rows changed since the cursor `since`, oldest first, each with its sequence number and `op`
    (`upsert`, or `delete` with the key alone); `next_cursor` continues from there."""
    feed, visible = get_feed_for(actor, dataset)
    select = _select(params, visible)
    raw = params.get("since")
    if raw in (None, ""):
        raise bad("since", _("请提供游标 since（取自 latest 或上一次 changes 返回的 cursor）。"))
    try:
        since = int(str(raw))
    except ValueError:
        raise CursorError(
            _("游标无效：%(cursor)s。请从 latest 重新获取游标。") % {"cursor": str(raw)[:40]}
        ) from None
    if since < 0 or since > feed.last_seq:
        raise CursorError(_("游标无效：%(cursor)s。请从 latest 重新获取游标。") % {"cursor": since})
    if since < feed.floor_seq:
        raise CursorError(
            _("游标已过期：此前的部分变更（删除记录）已被清理。请重新读取 latest 获取完整快照和新游标。"),
            code="cursor_expired",
            details={"oldest_cursor": str(feed.floor_seq)},
        )
    limit = _int(params.get("limit"), "limit", 500, 1, MAX_LIMIT)
    records = list(
        FeedRecord.objects.filter(feed=feed, seq__gt=since)
        .order_by("seq")
        .values_list("seq", "deleted", "data")[: limit + 1]
    )
    has_more = len(records) > limit
    records = records[:limit]
    keys = set(feed.key_fields)
    changes = []
    for seq, deleted, data in records:
        if deleted:
            row = {c: data.get(c) for c in select if c in keys}
        else:
            row = {c: data.get(c) for c in select}
        changes.append({"seq": seq, "op": "delete" if deleted else "upsert", "row": row})
    return {
        **_header(dataset, feed),
        "since": str(since),
        "next_cursor": str(records[-1][0]) if records else str(since),
        "has_more": has_more,
        "columns": select,
        "changes": changes,
    }


def feed_live(actor: Any, dataset: Dataset, limit: int = 10) -> dict[str, Any]:
    """For the dataset page: the last update, and the most recently changed rows when the actor may read."""
    feed = Feed.objects.filter(dataset=dataset).first()
    ctx: dict[str, Any] = {"feed": feed, "rows": [], "columns": [], "readable": False}
    if feed is None:
        return ctx
    try:
        _feed, visible = get_feed_for(actor, dataset)
    except DomainError:  # no grant, or its rate exhausted: the page still shows the last update
        return ctx
    data = list(
        FeedRecord.objects.filter(feed=feed, deleted=False)
        .order_by("-seq")
        .values_list("data", flat=True)[:limit]
    )
    ctx.update(readable=True, columns=visible, rows=[[d.get(c) for c in visible] for d in data])
    return ctx


def feeds_of(datasets: list[Dataset]) -> dict[int, Feed]:
    """Feeds of a page of datasets (the data services catalog), by dataset id."""
    return {f.dataset_id: f for f in Feed.objects.filter(dataset__in=datasets)}
