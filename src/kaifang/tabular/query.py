"""Turning data API parameters into SQL for the engine.

Column names come only from the version's schema (anything else is refused with a Chinese message) and are
always quoted; every user value is a bound parameter. Nothing the user types is interpolated into SQL.
"""

# SQL here is built from schema-validated, quoted identifiers and bound parameters only (see quote_ident).
# ruff: noqa: S608

from __future__ import annotations

import base64
import datetime
import decimal
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kaifang.core.errors import ValidationFailed
from kaifang.tabular.engine import ROW_CAP, quote_ident

# A page is at most the engine's row cap: whether more rows follow comes from its `truncated` flag, never
# from a `limit + 1` probe row that the cap would cut off at the largest limit.
MAX_LIMIT = ROW_CAP
MAX_SORT = 3
MAX_OFFSET = 50_000_000
MAX_IN = 200
RESERVED = {
    "fields",
    "sort",
    "limit",
    "offset",
    "cursor",
    "total",
    "format",
    "q",
    "version",
    "group_by",
    "agg",
    "encoding",
    "page",
    "_",
    "lang",
}
OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
ALL_OPS = (*OPS, "in", "like", "between", "isnull")
NUMERIC = ("DOUBLE", "BIGINT", "DECIMAL(18,2)")
AGGS = ("count", "sum", "avg", "min", "max")
TABLE = "t"


def bad(param: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        _("查询参数有误：%(msg)s") % {"msg": message}, code="bad_parameter", details={param: message}
    )


@dataclass
class Spec:
    columns: list[dict[str, Any]]  # visible columns: name, type, sql_type
    select: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    limit: int = 100
    offset: int = 0
    cursor: list[Any] | None = None
    total: str = "auto"
    filtered: bool = False
    # (column, value) of every equality filter on a text column: a lone one is answered from the column's
    # stored value order (rowstore.ids_with_value) when it has one.
    equals: list[tuple[str, str]] = field(default_factory=list)

    @property
    def by_name(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.columns}

    @property
    def read_columns(self) -> list[str]:
        """The columns a page reads: the selected ones, then any sort column not among them (the next
        page's cursor holds the last row's sort values; it is not shown)."""
        names = [n for n in self.select if n != "_id"]
        return names + [n for n, _d in self.order if n not in names]


def _column(spec: Spec, name: str, param: str) -> dict[str, Any]:
    col = spec.by_name.get(name)
    if col is None:
        raise bad(param, _("没有名为“%(name)s”的列（或该列不公开）。") % {"name": name[:64]})
    return col


def _int(raw: str | None, param: str, default: int, lo: int, hi: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(param, _("%(p)s 必须是整数。") % {"p": param}) from None
    if value < lo or value > hi:
        raise bad(param, _("%(p)s 必须在 %(lo)s 到 %(hi)s 之间。") % {"p": param, "lo": lo, "hi": hi})
    return value


def convert(col: dict[str, Any], raw: str, param: str) -> Any:
    """A user value as the Python value DuckDB compares with the column's type."""
    t = col.get("sql_type", "VARCHAR")
    try:
        if t == "DOUBLE":
            return float(raw)
        if t == "BIGINT":
            return int(raw)
        if t == "DECIMAL(18,2)":
            return decimal.Decimal(raw)
        if t == "DATE":
            return datetime.date.fromisoformat(raw)
        if t == "TIMESTAMP":
            return datetime.datetime.fromisoformat(raw)
        if t == "BOOLEAN":
            low = raw.lower()
            if low in ("true", "1", "是"):
                return True
            if low in ("false", "0", "否"):
                return False
            raise ValueError(raw)
    except (ValueError, decimal.InvalidOperation):
        kind = {
            "DOUBLE": _("数值"),
            "BIGINT": _("整数"),
            "DECIMAL(18,2)": _("金额"),
            "DATE": _("日期（YYYY-MM-DD）"),
            "TIMESTAMP": _("日期时间（YYYY-MM-DD HH:MM:SS）"),
            "BOOLEAN": _("逻辑值（true/false）"),
        }.get(t, t)
        raise bad(param, _("“%(v)s”不是有效的%(kind)s。") % {"v": raw[:64], "kind": kind}) from None
    return raw


def parse_filters(spec: Spec, params: Any) -> None:
    for key in params:
        if key in RESERVED:
            continue
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        name, _sep, op = key.rpartition("__")
        if not _sep or op not in ALL_OPS:
            name, op = key, "eq"
        col = _column(spec, name, key)
        q = quote_ident(col["name"])
        for raw in values:
            raw = str(raw)
            if len(raw) > 1000:
                raise bad(key, _("参数值过长。"))
            spec.filtered = True
            if op in OPS:
                spec.where.append(f"{q} {OPS[op]} ?")
                spec.params.append(convert(col, raw, key))
                if op == "eq" and col.get("sql_type", "VARCHAR") == "VARCHAR":
                    spec.equals.append((col["name"], raw))
            elif op == "in":
                items = [v for v in raw.split(",")]
                if not items or len(items) > MAX_IN:
                    raise bad(key, _("in 需要 1 到 %(n)s 个以逗号分隔的值。") % {"n": MAX_IN})
                spec.where.append(f"{q} IN ({', '.join('?' for _i in items)})")
                spec.params += [convert(col, v, key) for v in items]
            elif op == "between":
                items = raw.split(",")
                if len(items) != 2:
                    raise bad(key, _("between 需要两个以逗号分隔的值，例如 1,10。"))
                spec.where.append(f"{q} BETWEEN ? AND ?")
                spec.params += [convert(col, items[0], key), convert(col, items[1], key)]
            elif op == "like":
                pattern = raw if ("%" in raw or "_" in raw) else f"%{raw}%"
                spec.where.append(f"{q}::VARCHAR ILIKE ?")
                spec.params.append(pattern)
            elif op == "isnull":
                if raw.lower() not in ("true", "false", "1", "0"):
                    raise bad(key, _("isnull 的值只能是 true 或 false。"))
                spec.where.append(f"{q} IS {'' if raw.lower() in ('true', '1') else 'NOT '}NULL")


def parse_search(spec: Spec, q: str | None, ascii_only: Collection[str] = ()) -> None:
    """`q` over the text columns. `ascii_only` names columns known to hold only ASCII: a term with any other
    character cannot occur in them, so they are not tested for it."""
    if not q:
        return
    if len(q) > 200:
        raise bad("q", _("搜索词不能超过 200 个字符。"))
    all_text = [c for c in spec.columns if c.get("sql_type", "VARCHAR") == "VARCHAR"]
    if not all_text:
        raise bad("q", _("该数据没有可搜索的文本列。"))
    spec.filtered = True
    from kaifang.search.selectors import row_search_terms

    # Same segmentation and synonyms as catalog search: 咸安区医院 -> 咸安区 AND (医院 OR 医疗机构 …).
    for alternatives in row_search_terms(q)[:5] or [[q.strip()]]:
        ors = []
        for term in alternatives[:6]:
            # Case only matters when the term has Latin letters; otherwise contains() (a plain substring
            # test, ~4x faster than ILIKE and faster than LIKE with a bound pattern), which can never find
            # a term with non-ASCII characters in an ASCII-only column (case folding could: K -> k).
            caseless = re.search(r"[A-Za-z]", term) is not None
            text_cols = all_text
            if not caseless and not term.isascii():
                text_cols = [c for c in all_text if c["name"] not in ascii_only]
            if not text_cols:
                ors.append("FALSE")
                continue
            if caseless:
                escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                ors += [f"{quote_ident(c['name'])} ILIKE ? ESCAPE '\\'" for c in text_cols]
                spec.params += [f"%{escaped}%"] * len(text_cols)
            else:
                ors += [f"contains({quote_ident(c['name'])}, ?)" for c in text_cols]
                spec.params += [term] * len(text_cols)
        spec.where.append("(" + " OR ".join(ors) + ")")


def parse_fields(spec: Spec, raw: str | None) -> None:
    if not raw:
        spec.select = [c["name"] for c in spec.columns]
        return
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names or len(names) > 500:
        raise bad("fields", _("fields 需要以逗号分隔的列名。"))
    spec.select = [_column(spec, n, "fields")["name"] for n in names]


def parse_sort(spec: Spec, raw: str | None, allowed: dict[str, Any] | None = None) -> None:
    if not raw:
        return
    items = [s.strip() for s in raw.split(",") if s.strip()]
    if len(items) > MAX_SORT:
        raise bad("sort", _("最多按 3 列排序。"))
    for item in items:
        desc = item.startswith("-")
        name = item.lstrip("-+")
        if allowed is not None:
            if name not in allowed:
                raise bad("sort", _("不能按“%(name)s”排序。") % {"name": name[:64]})
        else:
            _column(spec, name, "sort")
        spec.order.append((name, desc))


def encode_cursor(values: list[Any]) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, datetime.date | datetime.datetime | decimal.Decimal):
            return str(v)
        return v

    return base64.urlsafe_b64encode(json.dumps([plain(v) for v in values]).encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> list[Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError):
        raise bad("cursor", _("游标无效，请使用上一页返回的 next_cursor。")) from None
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_SORT + 1:
        raise bad("cursor", _("游标无效，请使用上一页返回的 next_cursor。"))
    return data


def parse_page(spec: Spec, params: Any) -> None:
    spec.limit = _int(params.get("limit"), "limit", 100, 1, MAX_LIMIT)
    spec.offset = _int(params.get("offset"), "offset", 0, 0, MAX_OFFSET)
    total = params.get("total") or "auto"
    if total not in ("auto", "exact", "estimate", "none"):
        raise bad("total", _("total 只能是 exact、estimate 或 none。"))
    spec.total = total
    if params.get("cursor"):
        if spec.offset:
            raise bad("cursor", _("cursor 与 offset 不能同时使用。"))
        spec.cursor = decode_cursor(params["cursor"])
        if len(spec.cursor) != len(spec.order) + 1:
            raise bad("cursor", _("游标与排序方式不匹配。"))


def data_sql(spec: Spec, *, ids_only: bool = False) -> tuple[str, list[Any]]:
    """The page query. Rows are ordered by the sort columns then `_id`, so keyset pagination is exact.
    `ids_only`: the same rows as `_id`s alone (the row store supplies the columns). It asks for one row more
    than the page, which says whether another page follows."""
    where = list(spec.where)
    params = list(spec.params)
    order_sql = [f"{quote_ident(n)} {'DESC' if d else 'ASC'} NULLS LAST" for n, d in spec.order] + ["_id ASC"]
    if spec.cursor is not None:
        after, after_params = keyset_after(spec)
        where.append(after)
        params += after_params
    select = "_id" if ids_only else ", ".join(["_id", *(quote_ident(n) for n in spec.read_columns)])
    sql = f"SELECT {select} FROM {TABLE}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if spec.order:
        sql += " ORDER BY " + ", ".join(order_sql)
    # Without a sort the rows come in `_id` order already: the Parquet file is written in that order and
    # scans preserve it, so no ORDER BY (which would read the whole table for a top-N) is needed.
    sql += " LIMIT ? OFFSET ?"
    params += [spec.limit + 1, spec.offset]
    return sql, params


def keyset_after(spec: Spec) -> tuple[str, list[Any]]:
    """The rows after the cursor's row in the page order (each sort column, nulls last, then `_id`): the
    rows that tie with it on the first k sort columns and come after it on the next, for every k. A null
    sort value has nothing after it but nulls; a tie on every sort column continues by `_id`."""
    cursor = cursor_values(spec)
    ties: list[str] = []
    tie_params: list[Any] = []
    terms: list[str] = []
    params: list[Any] = []
    for (name, desc), value in zip(spec.order, cursor, strict=False):
        q = quote_ident(name)
        cast = f"CAST(? AS {spec.by_name[name].get('sql_type', 'VARCHAR')})"
        if value is not None:
            after = f"({q} {'<' if desc else '>'} {cast} OR {q} IS NULL)"
            terms.append("(" + " AND ".join([*ties, after]) + ")")
            params += [*tie_params, value]
            ties.append(f"{q} = {cast}")
            tie_params.append(value)
        else:
            ties.append(f"{q} IS NULL")
    terms.append("(" + " AND ".join([*ties, "_id > ?"]) + ")")
    params += [*tie_params, cursor[-1]]
    return "(" + " OR ".join(terms) + ")", params


def cursor_values(spec: Spec) -> list[Any]:
    """The cursor's sort values as the columns' types, then its `_id`; refused when it does not fit the
    sort (another sort's cursor, a value that is not of the column's type)."""
    cursor = spec.cursor or []
    if len(cursor) != len(spec.order) + 1:
        raise bad("cursor", _("游标与排序方式不匹配。"))
    values = []
    for (name, _desc), value in zip(spec.order, cursor, strict=False):
        if isinstance(value, list | dict):
            raise bad("cursor", _("游标无效，请使用上一页返回的 next_cursor。"))
        values.append(None if value is None else convert(spec.by_name[name], str(value), "cursor"))
    return [*values, _cursor_id(cursor[-1])]


def cursor_id(cursor: list[Any]) -> int:
    """The `_id` an unsorted page continues after."""
    if len(cursor) != 1:
        raise bad("cursor", _("游标与排序方式不匹配。"))
    return _cursor_id(cursor[0])


def _cursor_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad("cursor", _("游标无效，请使用上一页返回的 next_cursor。")) from None


def export_sql(spec: Spec) -> tuple[str, list[Any]]:
    """All matching rows, in order, without the row id (downloads)."""
    select = ", ".join(quote_ident(n) for n in spec.select)
    sql = f"SELECT {select} FROM {TABLE}"
    if spec.where:
        sql += " WHERE " + " AND ".join(spec.where)
    if not spec.order:
        return sql, list(spec.params)  # file order is `_id` order (see data_sql)
    order = [f"{quote_ident(n)} {'DESC' if d else 'ASC'} NULLS LAST" for n, d in spec.order] + ["_id ASC"]
    return sql + " ORDER BY " + ", ".join(order), list(spec.params)


def count_sql(spec: Spec) -> tuple[str, list[Any]]:
    sql = f"SELECT count(*) FROM {TABLE}"
    if spec.where:
        sql += " WHERE " + " AND ".join(spec.where)
    return sql, list(spec.params)


def sample_count_sql(spec: Spec) -> tuple[str, list[Any]]:
    """Matches and rows of a sample table named like the served one (see rowstore.sample)."""
    cond = " AND ".join(spec.where) or "true"
    return f"SELECT count(*) FILTER (WHERE {cond}), count(*) FROM {TABLE}", list(spec.params)


def estimate_sql(
    spec: Spec, row_count: int, windows: int = 6, fraction: float = 0.03
) -> tuple[str, list[Any]]:
    """Count the matches in `windows` ranges of `_id` spread evenly over the table, about `fraction` of its
    rows, and how many rows those ranges hold: the total is estimated as matches × rows / sampled. Ranges of
    `_id` prune whole row groups (the file is in `_id` order), so only the sampled groups are read, where
    DuckDB's SAMPLE clause would read the whole file first; spreading them keeps an ordered file (by date,
    by district) from skewing the estimate."""
    width = max(1, int(row_count * fraction / windows))
    step = max(width, row_count // windows)
    lead = (step - width) // 2  # each range in the middle of its stretch of the table
    ranges = " OR ".join(
        f"_id BETWEEN {i * step + lead + 1} AND {i * step + lead + width}" for i in range(windows)
    )
    cond = " AND ".join(spec.where) or "true"
    sql = f"SELECT count(*) FILTER (WHERE {cond}), count(*) FROM {TABLE} WHERE ({ranges})"
    return sql, list(spec.params)


def aggregate_sql(spec: Spec, params: Any) -> tuple[str, list[Any], list[str]]:
    group_raw = params.get("group_by") or ""
    groups = [g.strip() for g in group_raw.split(",") if g.strip()]
    if len(groups) > 5:
        raise bad("group_by", _("最多按 5 列分组。"))
    groups = [_column(spec, g, "group_by")["name"] for g in groups]
    aggs_raw = params.get("agg") or "count"
    selects = [quote_ident(g) for g in groups]
    aliases: dict[str, Any] = {g: True for g in groups}
    items = [a.strip() for a in aggs_raw.split(",") if a.strip()]
    if not items or len(items) > 10:
        raise bad("agg", _("agg 需要 1 到 10 个聚合，例如 count,sum:金额。"))
    for item in items:
        fn, _sep, name = item.partition(":")
        if fn not in AGGS:
            raise bad("agg", _("不支持的聚合“%(fn)s”，可选：count、sum、avg、min、max。") % {"fn": fn[:32]})
        if fn == "count" and not name:
            selects.append('count(*) AS "count"')
            aliases["count"] = True
            continue
        col = _column(spec, name, "agg")
        if fn in ("sum", "avg") and col.get("sql_type") not in NUMERIC:
            raise bad("agg", _("%(fn)s 只能用于数值列，“%(name)s”不是数值列。") % {"fn": fn, "name": name})
        alias = f"{fn}_{col['name']}"
        selects.append(f"{fn}({quote_ident(col['name'])}) AS {quote_ident(alias)}")
        aliases[alias] = True
    parse_sort(spec, params.get("sort"), allowed=aliases)
    sql = f"SELECT {', '.join(selects)} FROM {TABLE}"
    if spec.where:
        sql += " WHERE " + " AND ".join(spec.where)
    if groups:
        sql += " GROUP BY " + ", ".join(quote_ident(g) for g in groups)
    if spec.order:
        sql += " ORDER BY " + ", ".join(
            f"{quote_ident(n)} {'DESC' if d else 'ASC'} NULLS LAST" for n, d in spec.order
        )
    elif groups:
        first = next(iter(a for a in aliases if a not in groups), None)
        sql += f" ORDER BY {quote_ident(first)} DESC NULLS LAST" if first else ""
    sql += " LIMIT ?"
    return sql, [*spec.params, spec.limit + 1], list(aliases)


def plain_rows(
    names: list[str], rows: list[tuple[Any, ...]], columns: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows as JSON objects without `_id`, converting only the columns whose type needs it (text and
    integers pass as they are)."""
    keep = [i for i, n in enumerate(names) if n != "_id"]
    keys = [names[i] for i in keep]
    values = []
    for i in keep:
        column = [r[i] for r in rows]
        sql_type = columns.get(names[i], {}).get("sql_type", "VARCHAR")
        if sql_type in ("DOUBLE", "FLOAT", "REAL"):
            column = [None if v != v else v for v in column]  # NaN is not JSON
        elif sql_type == "DATE":
            column = [None if v is None else v.isoformat() for v in column]
        elif sql_type not in ("VARCHAR", "BIGINT", "INTEGER", "BOOLEAN"):
            column = [plain(v) for v in column]
        values.append(column)
    return (
        [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]
        if keep
        else [{} for _r in rows]
    )


def plain(value: Any) -> Any:
    """A DuckDB value as JSON."""
    if value is None or type(value) in (str, int):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None
    return value
