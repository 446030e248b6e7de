"""Reads of tables: which version an actor is served, the data API, aggregates and export streams."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kaifang.catalog.models import Dataset
from kaifang.core.errors import DomainError, Forbidden, NotFound
from kaifang.core.memo import GenerationMemo, ObjectMemo
from kaifang.tabular import query as Q
from kaifang.tabular.engine import TableEngine
from kaifang.tabular.models import TableVersion, Upload
from kaifang.tabular.permissions import columns_visible_to, may_read_data, may_read_unpublished

EXACT_TOTAL_ROWS = 500_000
SAMPLE_ENOUGH_MATCHES = 400


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
    version.dataset = dataset  # the caller's instance: no second query for it
    return as_served(version, actor)


def as_served(
    version: TableVersion, actor: Any, *, strict: bool = True, preview: bool = True
) -> TableVersion:
    """Readers get the version's open (masked) object and its schema and profile (privacy app, P8)."""
    from kaifang.privacy import openversion

    return openversion.as_served(version, actor, strict=strict, preview=preview)


def gate_summaries(versions: list[TableVersion]) -> dict[int, dict[str, Any]]:
    """The latest privacy gate decision of each version (by id), for the version history."""
    from kaifang.privacy.selectors import gate_summaries as summaries

    return summaries([v.pk for v in versions])


def get_version_by_number(actor: Any, dataset: Dataset, number: int) -> TableVersion:
    version = versions_for(actor, dataset).filter(number=number).first()
    if version is None:
        raise NotFound()
    return as_served(version, actor, strict=False, preview=False)


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
    from kaifang.privacy.openversion import served_path

    return {Q.TABLE: served_path(version)}


def served_to(actor: Any, dataset: Dataset, number: Any = None) -> tuple[TableVersion, list[dict[str, Any]]]:
    """The version an actor is served and the columns they may read. For anonymous readers of the current
    version that is the same for everyone until a service commits a change, so it is cached by the catalog
    generation (decision 0004): three queries (version, gate decision, fields) fewer per data call."""
    from kaifang.catalog.choices import OpenAttribute
    from kaifang.core.actors import roles_of

    # A signed-in user or API key without staff roles reads an unconditionally open dataset as the public
    # does (no grant, no unpublished or raw version): the same cached answer (issue 12 item 15).
    public_reader = not getattr(actor, "is_authenticated", False) or (
        dataset.open_attribute == OpenAttribute.UNCONDITIONAL and not roles_of(actor).is_staff_member
    )
    if number not in (None, "") or not public_reader:
        version = get_version_for(actor, dataset, number)
        return version, columns_visible_to(actor, dataset, version)
    from kaifang.catalog.selectors import catalog_generation

    def read() -> tuple[TableVersion, list[dict[str, Any]]]:
        version = get_version_for(None, dataset)
        return version, columns_visible_to(None, dataset, version)

    generation = getattr(dataset, "read_at_generation", None) or catalog_generation()
    version, columns = _PUBLIC_VERSIONS.get(generation, dataset.pk, read)
    version = copy.copy(version)
    version.dataset = dataset
    return version, columns


_PUBLIC_VERSIONS = GenerationMemo()


def build_spec(
    actor: Any,
    dataset: Dataset,
    version: TableVersion,
    params: Any,
    columns: list[dict[str, Any]] | None = None,
) -> Q.Spec:
    columns = columns if columns is not None else columns_visible_to(actor, dataset, version)
    spec = query_spec(columns, params, _tables(version)[Q.TABLE])
    _apply_grant_rows(actor, dataset, version, spec)
    return spec


def query_spec(columns: list[dict[str, Any]], params: Any, served: Path) -> Q.Spec:
    """The filters and search of a query over the served object's visible columns (no grant scope)."""
    spec = Q.Spec(columns=columns)
    Q.parse_filters(spec, params)
    if params.get("q"):
        from kaifang.tabular import rowstore

        Q.parse_search(spec, params.get("q"), rowstore.ascii_only_columns(served))
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
    version, columns = served_to(actor, dataset, params.get("version"))
    spec = build_spec(actor, dataset, version, params, columns)
    Q.parse_fields(spec, params.get("fields"))
    Q.parse_sort(spec, params.get("sort"))
    Q.parse_page(spec, params)
    return {"dataset": dataset.code, "version": version.number, **read_page(_tables(version), spec)}


def read_page(tables: dict[str, Path], spec: Q.Spec) -> dict[str, Any]:
    """One page of the served table for a parsed query: its rows, whether more follow, the cursor of the
    next page and the total. Every reader below returns at most `spec.limit` rows and says in `truncated`
    whether more matched (it looked one row further), so no cap can end a walk early."""
    engine = TableEngine()
    if not spec.where and not spec.order and spec.cursor is None:
        result = _slice(engine, tables[Q.TABLE], spec.read_columns, spec.offset, spec.limit)
    else:
        result = _rows_by_id(engine, tables, spec)
        if result is None:
            sql, sql_params = Q.data_sql(spec)
            result = engine.query(sql, sql_params, tables=tables, max_rows=spec.limit)
    rows, has_more, names = result.rows, result.truncated, result.columns
    shown = 1 + len([n for n in spec.select if n != "_id"])  # `_id`, the selected columns, then sort ones
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = Q.encode_cursor([last[names.index(n)] for n, _d in spec.order] + [last[0]])
    if len(names) > shown:
        names, rows = names[:shown], [r[:shown] for r in rows]
    total, estimated = _page_total(engine, tables, spec, result, len(rows), has_more)
    return {
        "columns": [
            {"name": c["name"], "type": c["type"], "sql_type": c.get("sql_type", "VARCHAR")}
            for c in spec.columns
            if c["name"] in spec.select
        ],
        "rows": Q.plain_rows(names, rows, spec.by_name),
        "row_ids": [r[0] for r in rows],
        "limit": spec.limit,
        "offset": spec.offset,
        "total": total,
        "total_is_estimate": estimated,
        "has_more": has_more,
        "next_cursor": next_cursor,
        "elapsed_ms": result.elapsed_ms,
    }


def _page_total(
    engine: TableEngine, tables: dict[str, Path], spec: Q.Spec, result: Any, shown: int, has_more: bool
) -> tuple[Any, bool]:
    if spec.total == "none":
        return None, False
    if "total" in result.extra:
        return result.extra["total"], False  # counted with the page (a value order)
    if spec.cursor is None and not has_more and (shown or not spec.offset):
        return spec.offset + shown, False  # the last page: the total is known, no count
    total, estimated = _total(engine, tables, spec)
    if estimated:
        # An estimate from a sample never says fewer rows than this page shows exist.
        total = max(total, (spec.offset if spec.cursor is None else 0) + shown + int(has_more))
    return total, estimated


def _more(items: list[Any], limit: int) -> tuple[list[Any], bool]:
    """A read of `limit + 1` items as the page's items and whether more follow."""
    return items[:limit], len(items) > limit


def _slice(engine: TableEngine, served: Path, select: list[str], offset: int, limit: int) -> Any:
    """An unfiltered page: from the row store when there is one, else from the Parquet object."""
    import time

    from kaifang.tabular import rowstore
    from kaifang.tabular.engine import QueryResult

    started = time.perf_counter()
    rows = rowstore.read_slice(served, offset, limit + 1, select)
    if rows is None:
        rows = engine.read_slice(served, select, offset, limit + 1).rows
    rows, more = _more(rows, limit)
    return QueryResult(["_id", *select], [], rows, more, round((time.perf_counter() - started) * 1000, 2))


def _rows_by_id(engine: TableEngine, tables: dict[str, Path], spec: Q.Spec) -> Any:
    """The page in two steps when the served object has a row store: DuckDB finds the `_id`s (reading only
    the filter and sort columns), the row store supplies the rows. None when there is no row store."""
    import time

    from kaifang.tabular import rowstore
    from kaifang.tabular.engine import QueryResult

    served = tables[Q.TABLE]
    if not rowstore.path_for(served).is_file():
        return None
    started = time.perf_counter()
    ids = None
    more = False
    extra: dict[str, Any] = {}
    if len(spec.order) == 1 and not spec.where:
        # One sort column, no filter: a slice of its stored order, from the offset or from the position
        # after the cursor's row (a binary search of the order).
        name, desc = spec.order[0]
        start: int | None = spec.offset
        if spec.cursor is not None:
            value, after_id = Q.cursor_values(spec)
            start = rowstore.sorted_position_after(served, name, desc, value, after_id)
        if start is not None:
            ids = rowstore.sorted_ids(served, name, desc, start, spec.limit + 1)
    elif len(spec.equals) == 1 and len(spec.where) == 1 and not spec.order:
        # The lone equality filter (no search, no grant scope, no other filter): its value order.
        name, value = spec.equals[0]
        found = rowstore.ids_with_value(
            served,
            name,
            value,
            after_id=Q.cursor_id(spec.cursor) if spec.cursor is not None else None,
            offset=spec.offset,
            limit=spec.limit + 1,
        )
        if found is not None:
            ids, extra["total"] = found
    if ids is not None:
        ids, more = _more(ids, spec.limit)
    else:
        sql, params = Q.data_sql(spec, ids_only=True)
        found_ids = _query_served(engine, tables, sql, params, spec.limit)
        ids, more = [r[0] for r in found_ids.rows], found_ids.truncated
    select = spec.read_columns
    rows = rowstore.fetch(served, ids, select)
    if rows is None:
        return None
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return QueryResult(["_id", *select], [], rows, more, elapsed, extra)


def _query_served(
    engine: TableEngine, tables: dict[str, Path], sql: str, params: list[Any], max_rows: int
) -> Any:
    """A query over the served table: its row store when there is one (DuckDB scans the memory-mapped,
    uncompressed Arrow file without decoding Parquet pages: 1.3-4x faster on a filter that reads the whole
    table), else the Parquet object."""
    from kaifang.tabular import rowstore

    served = tables[Q.TABLE]
    table = rowstore.whole(served)
    if table is None:
        return engine.query(sql, params, tables=tables, max_rows=max_rows)
    return _row_store_engine().query_arrow(
        sql, params, name=Q.TABLE, table=table, source=rowstore.path_for(served), max_rows=max_rows
    )


def _row_store_engine() -> TableEngine:
    """One DuckDB thread for queries over the memory-mapped row store: a page's query stops at its LIMIT
    after a vector or two, and a second thread only scans a batch that is thrown away (1.7 ms against 3.0 ms
    for a search, at twice the CPU); even a search that reads every row was no faster with two (83 against
    101 ms for 2 million rows), the Arrow scan being bound by the string tests."""
    return TableEngine(threads=1)


def _total(engine: TableEngine, tables: dict[str, Path], spec: Q.Spec) -> tuple[Any, bool]:
    """The rows of the served object the query matches. The object's own row count (its footer), not the
    version's record of it: totals describe what the pages are read from."""
    if spec.total == "none":
        return None, False
    table_rows = engine.file_rows(tables[Q.TABLE])
    if not spec.filtered:
        return table_rows, False
    # A count depends only on the store object (immutable, named by its hash) and the filter: every page of
    # one search or filter asks the same count, so it is made once per process (exact counts and estimates
    # alike: an estimate's sample is fixed, so it is the same number each time).
    key = (str(tables[Q.TABLE]), spec.total, tuple(spec.where), tuple(map(str, spec.params)))
    return _COUNTS.get(key, lambda: _count(engine, tables, spec, table_rows))


_COUNTS = ObjectMemo()


def _count(engine: TableEngine, tables: dict[str, Path], spec: Q.Spec, table_rows: int) -> tuple[Any, bool]:
    if spec.total == "exact" or (spec.total == "auto" and table_rows <= EXACT_TOTAL_ROWS):
        sql, params = Q.count_sql(spec)
        return engine.query(sql, params, tables=tables, max_rows=1).rows[0][0], False
    from kaifang.tabular import rowstore

    served = tables[Q.TABLE]
    if rowstore.whole(served) is not None:
        # Sequential sampling: a small sample first, the larger one only when it holds too few matches for a
        # close estimate (400 matches: about 5% standard error).
        sql, params = Q.sample_count_sql(spec)
        source = rowstore.path_for(served)
        for rows_per_window in (1024, 8192):
            sample = rowstore.sample(served, rows=rows_per_window)
            result = _row_store_engine().query_arrow(sql, params, name=Q.TABLE, table=sample, source=source)
            if result.rows[0][0] >= SAMPLE_ENOUGH_MATCHES:
                break
    else:
        sql, params = Q.estimate_sql(spec, table_rows)
        result = engine.query(sql, params, tables=tables, max_rows=1)
    matches, sampled = result.rows[0]
    return (round(matches * table_rows / sampled) if sampled else 0), True


def table_aggregate(actor: Any, dataset: Dataset, params: Any) -> dict[str, Any]:
    version, columns = served_to(actor, dataset, params.get("version"))
    spec = build_spec(actor, dataset, version, params, columns)
    spec.limit = Q._int(params.get("limit"), "limit", 1000, 1, Q.MAX_LIMIT)
    sql, sql_params, names = Q.aggregate_sql(spec, params)
    result = _counts_from_value_order(_tables(version)[Q.TABLE], spec, names, version.profile)
    if result is None:
        # On the Parquet object even with a row store: grouping reads its dictionary-encoded pages 2x faster.
        result = TableEngine().query(sql, sql_params, tables=_tables(version), max_rows=spec.limit)
    truncated = result.truncated  # the query asked for one group more: the cap never hides it
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


# A column with at most this many values is counted from its value order (a binary search per value).
VALUE_COUNT_MAX = 200


def _counts_from_value_order(served: Path, spec: Q.Spec, names: list[str], profile: dict[str, Any]) -> Any:
    """`group_by=列&agg=count` over the whole table, for a text column with few values: the runs of its value
    order are the counts (rows whose value is null make the null group). None for anything else."""
    import time

    from kaifang.tabular import rowstore
    from kaifang.tabular.engine import QueryResult

    if spec.where or len(names) != 2 or names[1] != "count":
        return None
    column = spec.by_name.get(names[0]) or {}
    if column.get("sql_type", "VARCHAR") != "VARCHAR":
        return None
    if ((profile.get(names[0]) or {}).get("distinct") or 0) > 2 * VALUE_COUNT_MAX:  # approximate: margin
        return None
    started = time.perf_counter()
    counts = rowstore.value_counts(served, names[0], VALUE_COUNT_MAX)
    table = rowstore.whole(served)
    if counts is None or table is None:
        return None
    rows: list[tuple[Any, int]] = list(counts)
    nulls = table.num_rows - sum(n for _v, n in counts)
    if nulls:
        rows.append((None, nulls))
    # The order the SQL asks for (nulls last; ties by value, a deterministic choice among the SQL's).
    rows.sort(key=lambda r: (r[0] is None, r[0] or ""))
    for name, desc in reversed(spec.order or [("count", True)]):
        k = names.index(name)
        present = [r for r in rows if r[k] is not None]
        present.sort(key=lambda r, k=k: r[k], reverse=desc)
        rows = present + [r for r in rows if r[k] is None]
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return QueryResult(names, [], rows[: spec.limit], len(rows) > spec.limit, elapsed)


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


def served_object(version: TableVersion) -> Path:
    """The store object a version's readers are served (its open version once published)."""
    return _tables(version)[Q.TABLE]


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

    qs = versions_for(actor, dataset).exclude(store_key="")
    # Both sides as their reader is served them: a version not yet published is sealed in the raw zone and
    # is compared through its masked preview (the metadata-only view has no file to query).
    new = qs.filter(number=number).first()
    if new is None:
        raise NotFound()
    new = as_served(new, actor)
    old = (
        qs.filter(number=against).first()
        if against is not None
        else qs.filter(number__lt=number).order_by("-number").first()
    )
    if old is None or not new.store_key:
        raise NotFound(_("没有可比较的版本。"))
    old = as_served(old, actor)
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
    # A grant's row scope applies to both sides: counts over rows outside it are statistics of them.
    scoped: list[tuple[str, list[Any]]] = []
    for side, table in ((old, "old_t"), (new, "new_t")):
        scope = Q.Spec(columns=list(side.schema))
        try:
            _apply_grant_rows(actor, dataset, side, scope)
        except DomainError:  # the scope names a column this version lacks: no counts at all
            keys = []
        where = " AND ".join(scope.where)  # the data API's own filter SQL: quoted names, bound values
        scoped.append((f"(SELECT * FROM {table} WHERE {where})" if where else table, scope.params))  # noqa: S608
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
        f"FROM {scoped[0][0]} AS a FULL OUTER JOIN {scoped[1][0]} AS b ON {on}"
    )
    row = (
        TableEngine(time_limit=60)
        .query(
            sql,
            scoped[0][1] + scoped[1][1],
            tables={"old_t": _tables(old)[Q.TABLE], "new_t": _tables(new)[Q.TABLE]},
            max_rows=1,
        )
        .rows[0]
    )
    out.update(rows_added=row[0], rows_removed=row[1], rows_changed=row[2])
    return out


MAP_CELLS = 40  # grid cells across the larger side of the view: ~15-25 px per cell on a preview map
MAP_MAX_CELLS = 128
MAP_MAX_CLUSTERS = 5000


def _bbox(raw: str | None, fallback: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    if not raw:
        return fallback
    try:
        w, s, e, n = (float(x) for x in raw.split(","))
    except ValueError:
        raise Q.bad("bbox", _("bbox 需要四个以逗号分隔的数值：西,南,东,北。")) from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise Q.bad("bbox", _("bbox 超出经纬度范围，或西大于东、南大于北。"))
    return w, s, e, n


def _profile_bounds(profile: dict[str, Any], lon: str, lat: str) -> tuple[float, float, float, float]:
    """The data's extent from the stored profile (min/max per column), so the first view costs no query."""
    try:
        plon, plat = profile[lon], profile[lat]
        w, e, s, n = float(plon["min"]), float(plon["max"]), float(plat["min"]), float(plat["max"])
    except (KeyError, TypeError, ValueError):
        return -180.0, -90.0, 180.0, 90.0
    w, e, s, n = max(w, -180.0), min(e, 180.0), max(s, -90.0), min(n, 90.0)
    if not (w <= e and s <= n):
        return -180.0, -90.0, 180.0, 90.0
    return w, s, e, n


def table_map(actor: Any, dataset: Dataset, params: Any) -> dict[str, Any]:
    """Points of a table with coordinates, clustered on the server into a grid over the view (`bbox`), so
    the payload is bounded by the grid, never by the table: at most `cells`² clusters whatever the row
    count. The cell size is a power of two in degrees, so cells stay put while the map pans. A cluster of
    one is a point. The data API's filters and the grant's row scope apply, as for /data."""
    import math

    version = get_version_for(actor, dataset, params.get("version"))
    rest = params.copy()
    bbox_raw = rest.pop("bbox", [""])[-1]
    cells_raw = rest.pop("cells", [""])[-1]
    spec = build_spec(actor, dataset, version, rest)
    lonlat = coordinate_columns(spec.columns)
    if lonlat is None:
        raise Q.bad("bbox", _("该数据没有经纬度列，不能显示地图。"))
    lon, lat = lonlat
    from kaifang.tabular.profiles import profile_for

    # The extent from the statistics this reader may see (a grant's rows), else the whole world.
    bounds = _profile_bounds(profile_for(actor, dataset, version).columns, lon, lat)
    w, s, e, n = _bbox(bbox_raw, bounds)
    cells = Q._int(cells_raw, "cells", MAP_CELLS, 4, MAP_MAX_CELLS)
    span = max(e - w, n - s, 1e-9)
    size = 2.0 ** math.ceil(math.log2(span / cells))
    from kaifang.tabular.engine import quote_ident

    x, y = (f"TRY_CAST({quote_ident(c)} AS DOUBLE)" for c in lonlat)
    where = [f"{x} BETWEEN ? AND ?", f"{y} BETWEEN ? AND ?", *spec.where]
    # Identifiers are the schema's own column names, quoted; every value is bound.
    sql = (
        f"SELECT avg({x}) AS lon, avg({y}) AS lat, count(*) AS n FROM {Q.TABLE} "  # noqa: S608
        f"WHERE {' AND '.join(where)} GROUP BY floor({x} / ?), floor({y} / ?) ORDER BY n DESC LIMIT ?"
    )
    result = TableEngine().query(
        sql,
        [w, e, s, n, *spec.params, size, size, MAP_MAX_CLUSTERS + 1],
        tables=_tables(version),
        max_rows=MAP_MAX_CLUSTERS + 1,
    )
    rows = result.rows[:MAP_MAX_CLUSTERS]
    return {
        "dataset": dataset.code,
        "version": version.number,
        "lon": lon,
        "lat": lat,
        "bbox": [w, s, e, n],
        "data_bounds": list(bounds),
        "cell": size,
        "points": sum(r[2] for r in rows),
        "clusters": [[round(r[0], 6), round(r[1], 6), r[2]] for r in rows],
        "truncated": len(result.rows) > MAP_MAX_CLUSTERS,
        "elapsed_ms": result.elapsed_ms,
    }


def _num_label(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:.4g}"


def profile_charts(
    version: TableVersion,
    columns: list[dict[str, Any]],
    profile: dict[str, Any] | None = None,
    rows: int | None = None,
) -> list[dict[str, Any]]:
    """What the column profile charts draw, from the profile stored with the version (no query): per
    visible column its null share and either a histogram (numbers, dates) or its top values (text).
    `profile` and `rows`: the statistics the reader may see (`profiles.profile_for`), if not the version's."""
    rows = (version.row_count if rows is None else rows) or 0
    profile = version.profile if profile is None else profile
    out = []
    for c in columns:
        p = profile.get(c["name"]) or {}
        nulls = int(p.get("nulls") or 0)
        item: dict[str, Any] = {
            "name": c["name"],
            "type": c.get("type", ""),
            "nulls": nulls,
            "null_pct": round(100 * nulls / rows, 1) if rows else 0.0,
            "distinct": p.get("distinct"),
            "kind": "",
            # Top values of a column where every value is different (a code, a name) say nothing.
            "unique": p.get("top_omitted", False)
            or (bool(p.get("top")) and max(n for _v, n in p["top"]) <= 1),
            "labels": [],
            "values": [],
        }
        hist = p.get("histogram")
        if hist:
            numeric = all(isinstance(b[0], int | float) for b in hist)
            item["kind"] = "histogram"
            item["labels"] = [
                f"{_num_label(lo)}–{_num_label(hi)}" if numeric else f"{lo}–{hi}" for lo, hi, _n in hist
            ]
            item["values"] = [n for _lo, _hi, n in hist]
        elif p.get("top") and max(n for _v, n in p["top"]) > 1:
            item["kind"] = "top"
            item["labels"] = [str(v)[:40] for v, _n in p["top"]]
            item["values"] = [n for _v, n in p["top"]]
        item["rows"] = list(zip(item["labels"], item["values"], strict=True))
        item["json"] = json.dumps({"labels": item["labels"], "values": item["values"]}, ensure_ascii=False)
        out.append(item)
    return out


def sample_for(actor: Any, dataset: Dataset) -> Any:
    """The public sample of a dataset the actor can see (anyone: it passed the privacy gate); NotFound if
    there is none."""
    from kaifang.privacy.openversion import is_destroyed
    from kaifang.tabular.models import TableSample

    sample = TableSample.objects.select_related("version").filter(dataset=dataset).first()
    # A sample is an extract of its version: when that version's files are destroyed, so is its sample.
    if sample is None or is_destroyed(sample.version):
        raise NotFound(_("该数据资源尚无样本数据集。"))
    return sample


def sample_path(sample: Any) -> Path:
    from kaifang.tabular.store import get_store

    return get_store().local_path(sample.store_key)


def sample_rows(sample: Any, limit: int = 20) -> dict[str, Any]:
    """The first rows of a sample for the page."""
    from kaifang.tabular.engine import quote_ident

    select = ", ".join(quote_ident(n) for n in sample.column_names)
    # Names from the sample's own schema, quoted; a sample is small and written in source order.
    sql = f"SELECT {select} FROM {Q.TABLE} LIMIT ?"  # noqa: S608
    result = TableEngine().query(sql, [limit], tables={Q.TABLE: sample_path(sample)}, max_rows=limit)
    return {
        "columns": sample.schema,
        "rows": [[Q.plain(v) for v in r] for r in result.rows],
    }
