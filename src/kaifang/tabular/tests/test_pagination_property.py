"""Every walk through the data API's pages returns every matching row exactly once, in order (issue 12,
item 9): any limit from 1 to the maximum, any filter, search and sort, by cursor or by offset, on tables
sized around the limit's boundaries and the row store's, with and without a row store. The reference is
DuckDB itself over the same Parquet object: `SELECT … WHERE … ORDER BY <sort> NULLS LAST, _id`.

The tables are built once per module without the database (`ingest.run_ingest`, then `rowstore.build`,
some with small row-store batches so a page crosses batches); the property runs read pages through
`selectors.read_page`, the function behind `GET /datasets/{slug}/data`, and the URL tests walk one table
of each kind through the real URLs.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import orjson
import pytest
from django.http import QueryDict
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kaifang.catalog.codes import slug_for_code
from kaifang.tabular import query as Q
from kaifang.tabular import rowstore, selectors
from kaifang.tabular.ingest import FieldSpec, run_ingest
from kaifang.tabular.store import get_store

MAX = Q.MAX_LIMIT
FIELDS = [
    {"name": "编号", "name_en": "code", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "名称", "name_en": "name", "data_type": "C", "length": 64},
    {"name": "数量", "name_en": "amount", "data_type": "N", "length": 12},
    {"name": "日期", "name_en": "day", "data_type": "D"},
    {"name": "类别", "name_en": "kind", "data_type": "C", "length": 8},
    {"name": "整数", "name_en": "count", "data_type": "I", "length": 8},
]
NAMES = ["咸宁学校", "嘉鱼图书馆", "赤壁体育馆", "Alpha", "alpha", "Ω号楼", "咸宁学校"]
START = datetime.date(2024, 1, 1)
# -0 ties with 0. (NaN and infinities cannot be ingested yet: the profile's histogram refuses them; the
# stored order's comparison is checked against DuckDB for them below.)
SPECIAL = {1: "-0", 5: "0"}


def csv_text(rows: int, prefix: str, bad_row: int | None = None) -> str:
    """Ties and nulls in every sortable column; `bad_row` gets an impossible date (quarantined: a gap in
    the `_id`s)."""
    lines = ["编号,名称,数量,日期,类别,整数"]
    for i in range(rows):
        name = "" if i % 13 == 5 else NAMES[(i * 3) % 7] + (str(i % 40) if i % 3 else "")
        amount = "" if i % 7 == 0 else SPECIAL.get(i % 29, f"{(i * 37) % 101 - 50}.5")
        day = "" if i % 11 == 3 else (START + datetime.timedelta(days=(i * 13) % 400)).isoformat()
        if i == bad_row:
            day = "2024-13-45"
        kind = "" if i % 17 == 4 else "甲乙丙"[(i * 5) % 3]
        number = "" if i % 19 == 0 else str((i * 31) % 97)
        lines.append(f"{prefix}{i:06d},{name},{amount},{day},{kind},{number}")
    return "\n".join(lines) + "\n"


@dataclass
class Table:
    name: str
    served: Path
    schema: list[dict[str, Any]]
    rows: int
    row_store: bool


# name: (rows, row store batch rows or None for no row store, quarantined row)
TABLES: dict[str, tuple[int, int | None, int | None]] = {
    "one": (1, None, None),
    "fifteen-store": (15, 4, None),  # 2 × 7 + 1 rows, a row store of 4-row batches
    "small-gap": (257, None, 2),
    "small-gap-store": (257, 50, 2),
    "limit-1": (MAX - 1, None, None),
    "limit-store": (MAX, 4096, None),
    "limit+1": (MAX + 1, None, None),
    "2limit+1-store": (2 * MAX + 1, 4096, 5),
    "25000": (25_000, None, None),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: Any) -> dict[str, Table]:
    home = tmp_path_factory.mktemp("pages-home")
    tables = {}
    with override_settings(KAIFANG_HOME=home), pytest.MonkeyPatch.context() as mp:
        specs = [FieldSpec(**f) for f in FIELDS]
        for k, (name, (rows, batch, bad)) in enumerate(TABLES.items()):
            src = home / f"{name}.csv"
            src.write_text(csv_text(rows, prefix=f"T{k}-", bad_row=bad), encoding="utf-8")
            result = run_ingest(src, src.name, specs, quarantine=bad is not None)
            assert result.row_count == rows - (bad is not None)
            served = get_store().local_path(get_store().put(result.parquet)[0])
            if batch:
                mp.setattr(rowstore, "BATCH_ROWS", batch)
                rowstore.build(served)
            tables[name] = Table(name, served, result.schema, result.row_count, batch is not None)
    return {"home": home, **tables}  # type: ignore[dict-item]


@pytest.fixture(autouse=True)
def home(settings: Any, built: dict[str, Any]) -> Path:
    settings.KAIFANG_HOME = built["home"]
    return built["home"]


# --- the reference --------------------------------------------------------------------------------------------

# (API parameters, the same rows in plain SQL)
FILTERS: list[tuple[dict[str, str], str]] = [
    ({}, "true"),
    ({"类别": "乙"}, "类别 = '乙'"),
    ({"名称": "Alpha"}, "名称 = 'Alpha'"),
    ({"整数": "3"}, "整数 = 3"),
    ({"数量__between": "-10,20"}, "数量 BETWEEN -10 AND 20"),
    ({"日期__ge": "2024-06-01"}, "日期 >= DATE '2024-06-01'"),
    ({"类别__in": "甲,丙", "数量__lt": "0"}, "类别 IN ('甲', '丙') AND 数量 < 0"),
    ({"数量__isnull": "true"}, "数量 IS NULL"),
    ({"q": "7"}, "(contains(编号, '7') OR contains(名称, '7') OR contains(类别, '7'))"),
    ({"q": "alpha"}, "(编号 ILIKE '%alpha%' OR 名称 ILIKE '%alpha%' OR 类别 ILIKE '%alpha%')"),
    ({"编号": "不存在"}, "编号 = '不存在'"),
]
SORTS = ["", "数量", "-数量", "日期", "-日期", "名称", "-名称", "-整数", "类别,-数量", "-日期,名称,数量"]
FIELD_CHOICES = ["", "编号,名称", "类别"]
_references: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}


def reference(table: Table, where: str, sort: str) -> list[tuple[Any, ...]]:
    key = (table.name, where, sort)
    if key not in _references:
        order = [
            f'"{s.lstrip("-")}" {"DESC" if s.startswith("-") else "ASC"} NULLS LAST'
            for s in sort.split(",")
            if s
        ]
        names = ", ".join(f'"{f["name"]}"' for f in FIELDS)
        sql = (
            f"SELECT _id, {names} FROM read_parquet('{table.served}') WHERE {where} "  # noqa: S608 - test data
            f"ORDER BY {', '.join([*order, '_id'])}"
        )
        _references[key] = duckdb.sql(sql).fetchall()
    return _references[key]


def plain(value: Any) -> Any:
    """A reference value as the JSON of a page shows it (NaN and infinities are null in JSON)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- walking ----------------------------------------------------------------------------------------------------


def read_page(table: Table, params: dict[str, Any]) -> dict[str, Any]:
    """A page as `GET …/data` answers it, without the HTTP layer."""
    query = QueryDict(urlencode(params))
    spec = selectors.query_spec(table.schema, query, table.served)
    Q.parse_fields(spec, query.get("fields"))
    Q.parse_sort(spec, query.get("sort"))
    Q.parse_page(spec, query)
    body = selectors.read_page({Q.TABLE: table.served}, spec)
    return orjson.loads(orjson.dumps(body))  # as the API's renderer sends it


def walk(
    get: Any, ref: list[tuple[Any, ...]], params: dict[str, str], mode: str, limit: int, pages: int
) -> int:
    """Walk the pages from the start (or, when that takes more than `pages` pages, check the first page and
    walk the last ones from an offset page), checking each against the reference; returns the pages read."""
    n = len(ref)
    shown = [f["name"] for f in FIELDS if f["name"] in (params.get("fields") or "").split(",")] or [
        f["name"] for f in FIELDS
    ]
    total_mode = params.get("total", "auto")

    def check(body: dict[str, Any], position: int, by_cursor: bool) -> None:
        expected = ref[position : position + limit]
        assert body["row_ids"] == [r[0] for r in expected], (params, mode, limit, position)
        values = [{f["name"]: plain(v) for f, v in zip(FIELDS, r[1:], strict=True)} for r in expected]
        assert body["rows"] == [{k: row[k] for k in shown} for row in values]
        assert [c["name"] for c in body["columns"]] == shown
        more = position + limit < n
        assert body["has_more"] is more, (params, mode, limit, position, n)
        assert (body["next_cursor"] is not None) is more
        assert body["limit"] == limit
        if total_mode == "none":
            assert body["total"] is None
        elif body["total_is_estimate"]:
            assert total_mode != "exact"
            assert body["total"] >= (0 if by_cursor else position) + len(expected) + more
        else:
            assert body["total"] == n, (params, mode, limit, position)

    read = 0
    start = 0
    if math.ceil(n / limit) > pages:
        check(get({**params, "limit": limit}), 0, False)
        read += 1
        start = n - (pages - 1) * limit
    body = get({**params, "limit": limit, **({"offset": start} if start else {})})
    position, seen = start, []
    while True:
        check(body, position, mode == "cursor" and position != start)
        read += 1
        seen += body["row_ids"]
        position += len(body["row_ids"])
        if not body["has_more"]:
            break
        follow = {"cursor": body["next_cursor"]} if mode == "cursor" else {"offset": position}
        body = get({**params, "limit": limit, **follow})
    assert seen == [r[0] for r in ref[start:]] and len(set(seen)) == len(seen)
    if mode == "offset":
        past = get({**params, "limit": limit, "offset": n + limit})  # beyond the end: nothing, and no more
        assert past["rows"] == [] and past["has_more"] is False and past["next_cursor"] is None
    return read


LIMITS = st.one_of(st.sampled_from([1, 2, 6, 7, 8, 100, MAX - 1, MAX]), st.integers(1, MAX))


@pytest.mark.django_db
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    table=st.sampled_from(list(TABLES)),
    flt=st.sampled_from(range(len(FILTERS))),
    sort=st.sampled_from(SORTS),
    fields=st.sampled_from(FIELD_CHOICES),
    mode=st.sampled_from(["cursor", "offset"]),
    limit=LIMITS,
    total=st.sampled_from(["auto", "exact", "estimate", "none"]),
)
# The probe's report: the largest limit ended an unsorted cursor walk at 20,000 rows and a sorted one at 10,000.
@example(table="25000", flt=0, sort="", fields="", mode="cursor", limit=MAX, total="auto")
@example(table="2limit+1-store", flt=0, sort="", fields="", mode="cursor", limit=MAX, total="auto")
@example(table="25000", flt=0, sort="-数量", fields="", mode="offset", limit=MAX, total="auto")
@example(table="2limit+1-store", flt=0, sort="日期", fields="", mode="cursor", limit=MAX, total="auto")
@example(table="limit-store", flt=0, sort="-名称", fields="编号,名称", mode="offset", limit=MAX, total="auto")
@example(table="limit+1", flt=1, sort="类别,-数量", fields="类别", mode="cursor", limit=7, total="exact")
def test_every_row_exactly_once(built, table, flt, sort, fields, mode, limit, total):
    t = built[table]
    params, where = FILTERS[flt]
    params = {**params, **({"sort": sort} if sort else {}), **({"fields": fields} if fields else {})}
    if total != "auto":
        params["total"] = total
    walk(lambda p: read_page(t, p), reference(t, where, sort), params, mode, limit, pages=25)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["limit-store", "2limit+1-store", "25000"])
@pytest.mark.parametrize("sort", ["", "-数量", "日期", "名称", "-日期,名称,数量"])
def test_the_largest_limit_reaches_the_last_row(built, name, sort):
    """The shapes the probe tried, every one, by cursor and by offset: the cap no longer ends a walk."""
    t = built[name]
    for mode in ("cursor", "offset"):
        params = {"sort": sort} if sort else {}
        walk(lambda p: read_page(t, p), reference(t, "true", sort), params, mode, MAX, pages=10)
        walk(
            lambda p: read_page(t, p),
            reference(t, "类别 = '乙'", sort),
            {**params, "类别": "乙"},
            mode,
            MAX,
            10,
        )


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["数量", "-数量", "日期", "-日期", "-整数"])
def test_sorted_cursor_pages_come_from_the_stored_order(built, monkeypatch, sort):
    """One number or date column and a row store: a cursor page is a slice of the stored order after a
    binary search for the cursor's row (NaN, infinities, -0, ties and nulls included); DuckDB is not asked."""
    from kaifang.tabular.engine import TableEngine

    asked = []
    for method in ("query", "query_arrow"):
        real = getattr(TableEngine, method)
        monkeypatch.setattr(
            TableEngine,
            method,
            lambda self, sql, *a, _real=real, **kw: asked.append(sql) or _real(self, sql, *a, **kw),
        )
    t = built["2limit+1-store"]
    for limit in (1, 997, MAX):
        walk(lambda p: read_page(t, p), reference(t, "true", sort), {"sort": sort}, "cursor", limit, pages=30)
    assert asked == []


@pytest.mark.parametrize("desc", [False, True])
def test_the_stored_order_search_compares_as_duckdb_sorts(desc):
    """The binary search's comparison agrees with DuckDB's ORDER BY … NULLS LAST, _id for NaN, infinities,
    -0, ties and nulls."""
    import functools

    values = [1.5, float("nan"), None, float("inf"), -0.0, 0.0, float("-inf"), 1.5, None, float("nan"), -2.0]
    rows = list(enumerate(values, start=1))
    literal = ", ".join(f"({i}, {'NULL' if v is None else repr(str(v))}::DOUBLE)" for i, v in rows)
    direction = "DESC" if desc else "ASC"
    expected = [
        r[0]
        for r in duckdb.sql(
            f"SELECT i FROM (VALUES {literal}) t(i, v) ORDER BY v {direction} NULLS LAST, i"  # noqa: S608
        ).fetchall()
    ]

    def compare(a, b):
        return 1 if rowstore._comes_after(a[1], a[0], b[1], b[0], desc) else -1

    assert [i for i, _v in sorted(rows, key=functools.cmp_to_key(compare))] == expected


def test_the_engine_cap_never_cuts_a_page():
    """A page of the largest limit and the row saying more follow fit under the engine's cap."""
    from kaifang.tabular.engine import TableEngine

    assert TableEngine().max_rows >= Q.MAX_LIMIT


@pytest.mark.django_db
def test_estimated_totals_still_walk_every_row(built, monkeypatch):
    """Over the exact-count threshold the total is estimated from samples (and never below what the page
    shows); the walk itself does not depend on it."""
    monkeypatch.setattr(selectors, "EXACT_TOTAL_ROWS", 100)
    for name in ("2limit+1-store", "25000"):
        t = built[name]
        for (params, where), sort in ((FILTERS[6], ""), (FILTERS[8], "-日期"), (FILTERS[4], "名称")):
            params = {**params, **({"sort": sort} if sort else {})}
            ref = reference(t, where, sort)
            first = read_page(t, {**params, "limit": 50})
            assert first["total_is_estimate"] is True and first["total"] >= 51
            for mode in ("cursor", "offset"):
                walk(
                    lambda p, t=t: read_page(t, p), ref, {**params, "total": "estimate"}, mode, 3000, pages=12
                )


@pytest.mark.django_db
def test_a_cursor_for_another_sort_or_a_bad_value_is_refused(built):
    from kaifang.core.errors import ValidationFailed

    t = built["small-gap"]
    body = read_page(t, {"sort": "类别,-数量", "limit": 5})
    for bad in (
        {"sort": "-数量", "cursor": body["next_cursor"]},  # three values for one sort column
        {"cursor": body["next_cursor"]},
        {"sort": "-数量", "cursor": Q.encode_cursor(["十", 3])},  # not a number
        {"sort": "-数量", "cursor": Q.encode_cursor([[1], 3])},
    ):
        with pytest.raises(ValidationFailed) as caught:
            read_page(t, {**bad, "limit": 5})
        assert caught.value.code == "bad_parameter" and "cursor" in caught.value.details


# --- through the URLs -----------------------------------------------------------------------------------------

URL_SHAPES = [
    ({}, "true", ""),
    ({"类别": "乙"}, "类别 = '乙'", ""),
    ({"数量__between": "-10,20"}, "数量 BETWEEN -10 AND 20", "-日期"),
    ({"q": "7"}, "(contains(编号, '7') OR contains(名称, '7') OR contains(类别, '7'))", "名称"),
    ({}, "true", "数量"),
    ({}, "true", "-数量"),
    ({}, "true", "日期"),
    ({}, "true", "-名称"),
    ({"类别__in": "甲,丙"}, "类别 IN ('甲', '丙')", "类别,-数量"),
    ({"fields": "编号"}, "true", "-日期"),  # the sort column is not shown: the cursor still carries it
]


@pytest.fixture
def url_table(make_dataset, personas, settings, tmp_path):
    """A published dataset whose current version has `rows` rows; a row store when the row store's
    threshold (lowered here) says so."""
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.services import table_ingest, table_version_publish

    settings.KAIFANG_HOME = tmp_path / "url-home"
    settings.KAIFANG_HOME.mkdir()

    def make(rows: int, threshold: int) -> tuple[Any, Table]:
        settings.KAIFANG_ROW_STORE_MIN_ROWS = threshold
        ds = make_dataset(fields=FIELDS, title=f"分页测试{rows}")
        path = tmp_path / f"{ds.pk}.csv"
        path.write_text(csv_text(rows, prefix=f"U{rows}-"), encoding="utf-8")
        version = table_ingest(actor=personas["officer"], dataset=ds, path=path, filename=path.name)
        table_version_publish(actor=personas["reviewer"], version=version)
        version = TableVersion.objects.get(pk=version.pk)
        served = selectors.served_object(version)
        if rowstore.wanted(version.row_count):  # as the worker does after publication
            rowstore.build(served)
        return ds, Table(f"url-{rows}", served, version.schema, version.row_count, rowstore.wanted(rows))

    return make


def _url_get(client, ds):
    slug = slug_for_code(ds.code)

    def get(params: dict[str, Any]) -> dict[str, Any]:
        response = client.get(f"/api/v1/datasets/{slug}/data?{urlencode(params)}")
        assert response.status_code == 200, response.content[:300]
        return response.json()

    return get


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [63, 64])  # just under and at the row store's (lowered) threshold
def test_every_shape_walks_through_the_url(url_table, client, rows):
    ds, t = url_table(rows, threshold=64)
    assert rowstore.path_for(t.served).is_file() is (rows >= 64)
    get = _url_get(client, ds)
    for params, where, sort in URL_SHAPES:
        full = {**params, **({"sort": sort} if sort else {})}
        ref = reference(t, where, sort)
        for mode in ("cursor", "offset"):
            for limit in (1, 7, len(ref) or 1, MAX):
                walk(get, ref, full, mode, limit, pages=80)


@pytest.mark.django_db
def test_a_table_over_twenty_thousand_rows_walks_to_the_end_at_the_largest_limit(url_table, client):
    ds, t = url_table(20_001 + 4_000, threshold=20_000)
    assert rowstore.path_for(t.served).is_file()
    get = _url_get(client, ds)
    for params, where, sort in (URL_SHAPES[0], URL_SHAPES[5], URL_SHAPES[1], URL_SHAPES[9]):
        full = {**params, **({"sort": sort} if sort else {})}
        walk(get, reference(t, where, sort), full, "cursor", MAX, pages=5)
    walk(get, reference(t, "true", "日期"), {"sort": "日期"}, "offset", MAX, pages=5)
