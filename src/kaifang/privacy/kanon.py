"""k-anonymity and l-diversity over declared quasi-identifiers (GB/T 37964 附录B), by GROUP BY in DuckDB.

The table is a Parquet file, a pyarrow Table or {column: values}; the last two are written to a temporary
Parquet file so that every query goes through the platform's one DuckDB class (`tabular.engine`), with its
memory and time limits. Below the threshold the result names the number of offending groups and rows and
suggests the generalization (or column or row suppression) that would reach k, each one measured.
"""

# SQL here is built from quoted column names of the table itself and integer thresholds.
# ruff: noqa: S608

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kaifang.privacy.masking import ACTION_LABELS, NotExpressibleInSQL, rule_sql

DEFAULT_K = 5


@dataclass
class KAnonResult:
    quasi_identifiers: list[str]
    threshold: int
    rows: int
    groups: int
    k: int
    offending_groups: int
    offending_rows: int
    sensitive_attribute: str = ""
    l_threshold: int = 0
    l: int | None = None  # noqa: E741 - the model's own letter
    l_offending_groups: int = 0
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.missing:
            return False
        k_ok = self.rows == 0 or self.k >= self.threshold
        l_ok = not self.l_threshold or self.rows == 0 or (self.l or 0) >= self.l_threshold
        return k_ok and l_ok

    @property
    def suggestion(self) -> str:
        return self.suggestions[0]["text"] if self.suggestions else ""

    def reasons(self) -> list[str]:
        out = []
        if self.missing:
            out.append("准标识符在输出中不存在：" + "、".join(self.missing))
        if self.rows and self.k < self.threshold:
            out.append(
                f"k-匿名不满足：按准标识符（{'、'.join(self.quasi_identifiers)}）分组后最小组只有{self.k}条记录，"
                f"低于阈值{self.threshold}；共有{self.offending_groups}个组（{self.offending_rows}条记录）不达标。"
                + (f"建议：{self.suggestion}" if self.suggestion else "")
            )
        if self.l_threshold and self.rows and (self.l or 0) < self.l_threshold:
            out.append(
                f"l-多样性不满足：敏感属性“{self.sensitive_attribute}”在{self.l_offending_groups}个组中"
                f"取值少于{self.l_threshold}种（最少{self.l}种）。"
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "threshold": self.threshold,
            "rows": self.rows,
            "groups": self.groups,
            "k": self.k,
            "offending_groups": self.offending_groups,
            "offending_rows": self.offending_rows,
            "sensitive_attribute": self.sensitive_attribute,
            "l_threshold": self.l_threshold,
            "l": self.l,
            "l_offending_groups": self.l_offending_groups,
            "ok": self.ok,
            "suggestions": self.suggestions,
            "missing": self.missing,
        }


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def to_arrow(columns: dict[str, Any]) -> pa.Table:
    """{column: values} as an Arrow table; a column of mixed Python types becomes text (never dropped)."""
    arrays = {}
    for name, values in columns.items():
        values = list(values)
        try:
            arrays[str(name)] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            arrays[str(name)] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(arrays)


@contextmanager
def parquet_source(source: Any) -> Iterator[Path]:
    """A Parquet path for a path, a pyarrow Table or {column: values} (the last two via a temp file)."""
    if isinstance(source, str | Path):
        yield Path(source)
        return
    table = source if isinstance(source, pa.Table) else to_arrow(source)
    with tempfile.TemporaryDirectory(prefix="kf-kanon-") as tmp:
        path = Path(tmp) / "t.parquet"
        pq.write_table(table, path)
        yield path


def _engine() -> Any:
    from kaifang.tabular.engine import TableEngine

    return TableEngine(max_rows=100_000)


def _measure(
    path: Path, exprs: list[str], k: int, sensitive: str = "", l_threshold: int = 0
) -> tuple[Any, ...]:
    group = ", ".join(exprs) if exprs else "()"  # `GROUP BY 1` would name the first output column: count(*)
    d = f", count(DISTINCT {_q(sensitive)}) AS d" if sensitive else ", 0 AS d"
    sql = (
        f"WITH g AS (SELECT count(*) AS c{d} FROM t GROUP BY {group}) "
        f"SELECT coalesce(sum(c), 0), count(*), coalesce(min(c), 0), count(*) FILTER (WHERE c < {int(k)}), "
        f"coalesce(sum(c) FILTER (WHERE c < {int(k)}), 0), min(d), count(*) FILTER (WHERE d < {int(l_threshold)}) "
        f"FROM g"
    )
    return tuple(_engine().query(sql, tables={"t": path}).rows[0])


def _types(path: Path) -> dict[str, str]:
    """Column types from the Parquet schema ('DATE', 'TIMESTAMP', 'STRING', …)."""
    out = {}
    for f in pq.read_schema(path):
        t = f.type
        out[f.name] = (
            "DATE" if pa.types.is_date(t) else "TIMESTAMP" if pa.types.is_timestamp(t) else str(t).upper()
        )
    return out


def _candidates(column: str, col_type: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    if re.search(r"年龄|岁|age", column, re.I):
        rules += [{"action": "age_band", "width": 5}, {"action": "age_band", "width": 10}]
    if col_type.startswith(("DATE", "TIMESTAMP")) or re.search(
        r"日期|时间|出生|生日|date|birth", column, re.I
    ):
        rules += [{"action": "generalize_date", "to": "month"}, {"action": "generalize_date", "to": "year"}]
    if re.search(r"经度|lng|lon", column, re.I):
        rules += [{"action": "coordinate_grid", "axis": "lng", "metres": m} for m in (500, 2000)]
    elif re.search(r"纬度|lat", column, re.I):
        rules += [{"action": "coordinate_grid", "axis": "lat", "metres": m} for m in (500, 2000)]
    return rules


def _describe(column: str, rule: dict[str, Any]) -> str:
    action = rule["action"]
    extra = {
        "generalize_date": lambda r: "到年" if r.get("to") == "year" else "到月",
        "age_band": lambda r: f"（每{r['width']}岁一段）",
        "coordinate_grid": lambda r: f"（{r['metres']}米网格）",
    }.get(action, lambda r: "")(rule)
    return f"对“{column}”{ACTION_LABELS[action]}{extra}"


def k_anonymity(
    source: Any,
    quasi_identifiers: list[str],
    *,
    k: int = DEFAULT_K,
    sensitive: str = "",
    l_threshold: int = 0,
    suggest: bool = True,
) -> KAnonResult:
    """k (the smallest group over the quasi-identifiers), the groups and rows below `k`, and for a chosen
    sensitive attribute l (the fewest distinct values in a group)."""
    qi = list(dict.fromkeys(quasi_identifiers))
    with parquet_source(source) as path:
        types = _types(path)
        missing = [c for c in qi + ([sensitive] if sensitive else []) if c not in types]
        if missing:
            return KAnonResult(qi, k, 0, 0, 0, 0, 0, sensitive, l_threshold, missing=missing)
        exprs = [_q(c) for c in qi]
        rows, groups, kmin, off_g, off_r, lmin, l_off = _measure(path, exprs, k, sensitive, l_threshold)
        result = KAnonResult(
            qi,
            k,
            int(rows),
            int(groups),
            int(kmin),
            int(off_g),
            int(off_r),
            sensitive,
            l_threshold,
            int(lmin) if sensitive and lmin is not None else None,
            int(l_off or 0),
        )
        if suggest and rows and kmin < k:
            result.suggestions = _suggest(path, qi, types, k, int(rows), int(off_r))
    return result


def _suggest(
    path: Path, qi: list[str], types: dict[str, str], k: int, rows: int, off_rows: int
) -> list[dict[str, Any]]:
    """Single changes measured one by one: generalizations first (least loss), then dropping one
    quasi-identifier, then suppressing the offending rows; if none is enough, all generalizations together."""
    out: list[dict[str, Any]] = []
    generalized: dict[str, str] = {}
    for col in qi:
        for rule in _candidates(col, types.get(col, "")):
            try:
                expr = rule_sql(col, rule, key=b"")
            except NotExpressibleInSQL:
                continue
            exprs = [expr if c == col else _q(c) for c in qi]
            kk = int(_measure(path, exprs, k)[2])
            generalized[col] = expr
            if kk >= k:
                out.append({"column": col, "rule": rule, "k": kk, "text": f"{_describe(col, rule)}后k={kk}"})
                break
    for col in qi:
        kk = int(_measure(path, [_q(c) for c in qi if c != col], k)[2])
        if kk >= k:
            out.append(
                {
                    "column": col,
                    "rule": {"action": "suppress"},
                    "k": kk,
                    "text": f"不公开“{col}”（删除该列）后k={kk}",
                }
            )
    if not out and len(generalized) > 1:
        exprs = [generalized.get(c, _q(c)) for c in qi]
        kk = int(_measure(path, exprs, k)[2])
        if kk >= k:
            out.append(
                {"column": "", "rule": {}, "k": kk, "text": f"同时泛化{'、'.join(generalized)}后k={kk}"}
            )
    out.append(
        {
            "column": "",
            "rule": {"suppress_rows_below_k": True},
            "k": k,
            "text": f"抑制不达标的{off_rows}条记录（占{off_rows * 100 / max(1, rows):.1f}%）",
        }
    )
    return out
