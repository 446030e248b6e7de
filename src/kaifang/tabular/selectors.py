"""Reads of tables: which version an actor is served, the data API, aggregates and export streams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kaifang.catalog.models import Dataset
from kaifang.core.errors import Forbidden, NotFound
from kaifang.tabular import query as Q
from kaifang.tabular.engine import TableEngine
from kaifang.tabular.models import TableVersion, Upload
from kaifang.tabular.permissions import columns_visible_to, may_read_data, may_read_unpublished
from kaifang.tabular.store import get_store

EXACT_TOTAL_ROWS = 500_000


def versions_for(actor: Any, dataset: Dataset) -> QuerySet[TableVersion]:
    """The version history the actor may see: everything for the responsible staff, published ones for others."""
    qs = TableVersion.objects.filter(dataset=dataset).select_related("created_by", "published_by")
    if may_read_unpublished(actor, dataset):
        return qs.order_by("-number")
    return qs.filter(state=TableVersion.State.PUBLISHED).order_by("-number")


def current_version(dataset: Dataset) -> TableVersion | None:
    return TableVersion.objects.filter(dataset=dataset, is_current=True).first()


def get_version_for(actor: Any, dataset: Dataset, number: Any = None) -> TableVersion:
    """The version served to the actor: the current published one, or (for the responsible staff) any
    version that has data, by number; NotFound otherwise."""
    if not may_read_data(actor, dataset):
        raise Forbidden(_("该数据资源为有条件开放，需申请并获得授权后才能获取数据。"), code="grant_required")
    if number not in (None, ""):
        if not may_read_unpublished(actor, dataset):
            raise NotFound()
        try:
            n = int(number)
        except (TypeError, ValueError):
            raise Q.bad("version", _("version 必须是整数。")) from None
        version = TableVersion.objects.filter(dataset=dataset, number=n).exclude(store_key="").first()
    else:
        version = current_version(dataset)
        if version is None and may_read_unpublished(actor, dataset):
            version = (
                TableVersion.objects.filter(dataset=dataset).exclude(store_key="").order_by("-number").first()
            )
    if version is None:
        raise NotFound(_("该数据资源尚无可查询的数据版本。"))
    return version


def get_version_by_number(actor: Any, dataset: Dataset, number: int) -> TableVersion:
    version = versions_for(actor, dataset).filter(number=number).first()
    if version is None:
        raise NotFound()
    return version


def get_upload_for(actor: Any, upload_id: Any) -> Upload:
    from kaifang.core.actors import roles_of

    try:
        upload = Upload.objects.select_related("dataset").filter(pk=upload_id).first()
    except (ValueError, TypeError, Exception):  # a malformed UUID
        upload = None
    if upload is None or upload.created_by_id != roles_of(actor).user_id:
        raise NotFound()
    return upload


def _tables(version: TableVersion) -> dict[str, Path]:
    return {Q.TABLE: get_store().local_path(version.store_key)}


def build_spec(actor: Any, dataset: Dataset, version: TableVersion, params: Any) -> Q.Spec:
    spec = Q.Spec(columns=columns_visible_to(actor, dataset, version))
    Q.parse_filters(spec, params)
    Q.parse_search(spec, params.get("q"))
    _apply_grant_rows(actor, dataset, version, spec)
    return spec


def _apply_grant_rows(actor: Any, dataset: Dataset, version: TableVersion, spec: Q.Spec) -> None:
    """A grant's row scope (`列__op=值&…`, the data API's own filter syntax) is ANDed into every query a
    grantee makes; it may name columns the grant does not show."""
    from django.http import QueryDict

    from kaifang.catalog.choices import OpenAttribute
    from kaifang.tabular.permissions import may_read_unpublished

    if dataset.open_attribute != OpenAttribute.CONDITIONAL or may_read_unpublished(actor, dataset):
        return
    from kaifang.access.selectors import usable_grant

    grant = usable_grant(actor, dataset)
    if grant is None or not grant.row_filter:
        return
    scope = Q.Spec(columns=list(version.schema))
    Q.parse_filters(scope, QueryDict(grant.row_filter))
    spec.where += scope.where
    spec.params += scope.params
    spec.filtered = True


def table_rows(actor: Any, dataset: Dataset, params: Any) -> dict[str, Any]:
    """One page of rows with totals; the body of `GET /datasets/{code}/data`."""
    version = get_version_for(actor, dataset, params.get("version"))
    spec = build_spec(actor, dataset, version, params)
    Q.parse_fields(spec, params.get("fields"))
    Q.parse_sort(spec, params.get("sort"))
    Q.parse_page(spec, params)
    engine = TableEngine()
    tables = _tables(version)
    if not spec.where and not spec.order and spec.cursor is None:
        select = [n for n in spec.select if n != "_id"]
        result = engine.read_slice(tables[Q.TABLE], select, spec.offset, spec.limit + 1)
    else:
        sql, sql_params = Q.data_sql(spec)
        result = engine.query(sql, sql_params, tables=tables, max_rows=spec.limit + 1)
    rows = result.rows
    has_more = len(rows) > spec.limit
    rows = rows[: spec.limit]
    names = result.columns
    out_rows = [{n: Q.plain(v) for n, v in zip(names, r, strict=True) if n != "_id"} for r in rows]
    next_cursor = None
    if has_more and rows:
        last = dict(zip(names, rows[-1], strict=True))
        values = [last[spec.order[0][0]], last["_id"]] if spec.order else [last["_id"]]
        if spec.order and spec.order[0][0] not in names:
            values = None
        next_cursor = Q.encode_cursor(values) if values else None
    total, estimated = _total(engine, tables, spec, version)
    return {
        "dataset": dataset.code,
        "version": version.number,
        "columns": [
            {"name": c["name"], "type": c["type"], "sql_type": c.get("sql_type", "VARCHAR")}
            for c in spec.columns
            if c["name"] in spec.select
        ],
        "rows": out_rows,
        "row_ids": [r[0] for r in rows],
        "limit": spec.limit,
        "offset": spec.offset,
        "total": total,
        "total_is_estimate": estimated,
        "has_more": has_more,
        "next_cursor": next_cursor,
        "elapsed_ms": result.elapsed_ms,
    }


def _total(
    engine: TableEngine, tables: dict[str, Path], spec: Q.Spec, version: TableVersion
) -> tuple[Any, bool]:
    if spec.total == "none":
        return None, False
    if not spec.filtered:
        return version.row_count, False
    if spec.total == "exact" or (spec.total == "auto" and version.row_count <= EXACT_TOTAL_ROWS):
        sql, params = Q.count_sql(spec)
        return engine.query(sql, params, tables=tables, max_rows=1).rows[0][0], False
    sql, params = Q.count_sql(spec, sample_percent=5)
    return engine.query(sql, params, tables=tables, max_rows=1).rows[0][0] * 20, True


def table_aggregate(actor: Any, dataset: Dataset, params: Any) -> dict[str, Any]:
    version = get_version_for(actor, dataset, params.get("version"))
    spec = build_spec(actor, dataset, version, params)
    spec.limit = Q._int(params.get("limit"), "limit", 1000, 1, Q.MAX_LIMIT)
    sql, sql_params, names = Q.aggregate_sql(spec, params)
    result = TableEngine().query(sql, sql_params, tables=_tables(version), max_rows=spec.limit + 1)
    truncated = len(result.rows) > spec.limit
    return {
        "dataset": dataset.code,
        "version": version.number,
        "columns": result.columns,
        "rows": [
            {n: Q.plain(v) for n, v in zip(result.columns, r, strict=True)} for r in result.rows[: spec.limit]
        ],
        "truncated": truncated,
        "elapsed_ms": result.elapsed_ms,
    }


def table_export(actor: Any, dataset: Dataset, params: Any) -> tuple[TableVersion, Q.Spec, str, list[Any]]:
    """What a download will contain: the version, the columns and the query (run by downloads.py)."""
    version = get_version_for(actor, dataset, params.get("version"))
    spec = build_spec(actor, dataset, version, params)
    Q.parse_fields(spec, params.get("fields"))
    Q.parse_sort(spec, params.get("sort"))
    sql, sql_params = Q.export_sql(spec)
    return version, spec, sql, sql_params


def version_tables(version: TableVersion) -> dict[str, Path]:
    return _tables(version)


def coordinate_columns(columns: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The (longitude, latitude) columns of a table, if it has them."""
    names = {c["name"] for c in columns}
    for lon, lat in (("经度", "纬度"), ("longitude", "latitude"), ("lon", "lat"), ("lng", "lat"), ("x", "y")):
        if lon in names and lat in names:
            return lon, lat
    return None


def version_diff(actor: Any, dataset: Dataset, number: int, against: int | None = None) -> dict[str, Any]:
    """What changed from version `against` (default: the previous one with data) to version `number`: columns
    added and removed, and rows added, removed and changed, matched by the primary key (or by every shared
    column when there is none)."""
    from kaifang.tabular.engine import quote_ident

    new = get_version_by_number(actor, dataset, number)
    qs = versions_for(actor, dataset).exclude(store_key="")
    old = (
        qs.filter(number=against).first()
        if against is not None
        else qs.filter(number__lt=number).order_by("-number").first()
    )
    if old is None or not new.store_key:
        raise NotFound(_("没有可比较的版本。"))
    visible_new = {c["name"] for c in columns_visible_to(actor, dataset, new)}
    visible_old = {c["name"] for c in columns_visible_to(actor, dataset, old)}
    new_cols = [c for c in new.column_names if c in visible_new]
    old_cols = [c for c in old.column_names if c in visible_old]
    shared = [c for c in new_cols if c in old_cols]
    keys = [c["name"] for c in new.schema if c.get("is_primary_key") and c["name"] in shared] or shared
    out: dict[str, Any] = {
        "from": old.number,
        "to": new.number,
        "columns_added": [c for c in new_cols if c not in old_cols],
        "columns_removed": [c for c in old_cols if c not in new_cols],
        "key": keys,
    }
    if not keys:
        out.update(rows_added=None, rows_removed=None, rows_changed=None)
        return out
    on = " AND ".join(f"a.{quote_ident(k)} IS NOT DISTINCT FROM b.{quote_ident(k)}" for k in keys)
    others = [c for c in shared if c not in keys]
    changed = (
        " OR ".join(f"a.{quote_ident(c)} IS DISTINCT FROM b.{quote_ident(c)}" for c in others) or "false"
    )
    # Identifiers are schema names, quoted; nothing from the request is interpolated.
    sql = (
        "SELECT count(*) FILTER (WHERE a._id IS NULL), count(*) FILTER (WHERE b._id IS NULL), "  # noqa: S608
        f"count(*) FILTER (WHERE a._id IS NOT NULL AND b._id IS NOT NULL AND ({changed})) "
        f"FROM old_t AS a FULL OUTER JOIN new_t AS b ON {on}"
    )
    store = get_store()
    row = (
        TableEngine(time_limit=60)
        .query(
            sql,
            tables={"old_t": store.local_path(old.store_key), "new_t": store.local_path(new.store_key)},
            max_rows=1,
        )
        .rows[0]
    )
    out.update(rows_added=row[0], rows_removed=row[1], rows_changed=row[2])
    return out
