"""The publish gate (X5): scan the actual output — every row of every column — and refuse to publish while
it still holds a personal identifier, or while k-anonymity (l-diversity) over the declared
quasi-identifiers fails.

`check_publishable(source, profile)` takes the raw table ({column: values}, a pyarrow Table or a Parquet
path) and the dataset's publication profile; it writes the open version (profile applied) to a temporary
Parquet file and scans it. With `already_applied=True` the source is taken to be the open version
itself and the profile only supplies context (quasi-identifiers, which columns were gridded).
`prepare_open_version(raw_path, dest, profile, key)` writes the open version to `dest` and gates it, for
the tabular app's publish step.

The open version is scanned as it is written (`_write_scanned`): each batch goes to the Parquet writer
and through the scan, so the scan sees exactly what the file holds and the file is not read back. A file
that already exists is read back batch by batch (`_scan_file`); both feed `_Scan` the same batches.

Speed: string columns are first filtered in Arrow (RE2) for anything that could hold an identifier (a run
of digits, '@', a plate's province character, building/unit/room words, name context words); only those
values go through the Python recognizers. Name-hinted columns are checked value by value.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kaifang.privacy import kinds as K
from kaifang.privacy.kanon import k_anonymity, to_arrow
from kaifang.privacy.masking import (
    NotExpressibleInSQL,
    PublicationProfile,
    apply_profile,
    compact,
    profile_select_sql,
)
from kaifang.privacy.recognizers import (
    MAX_COLUMNS,
    PERSON_LOCATION_HINT,
    name_hints,
    names_column,
    scan_text,
)
from kaifang.tabular.engine import ROW_GROUP_ROWS

GATE_MIN_CONFIDENCE = 0.5
MAX_EVIDENCE = 50
BATCH_ROWS = 65_536
_D = "[0-9０-９]"
_S = "[ \\-－‐‑‒–—―−﹣]?"
# A superset, in RE2, of every value the recognizers could flag (full-width forms included): the digit
# identifiers by their shapes (15+ digits in groups: IDs and cards; 1[3-9]+9: mobiles; 0xx…: landlines;
# the GB 32100 layout: credit codes), '@', plate province characters, address and name context words,
# travel-document letters + digits, precise decimals.
_PREFILTER = (
    f"{_D}(?:{_S}{_D}){{14,}}"
    f"|[1１][3-9３-９]{_D}(?:{_S}{_D}){{8}}"
    f"|(?:[(（][0０]{_D}{{2,3}}[)）]|[0０][1-9１-９]{_D}{{1,2}}){_S}[2-9２-９]{_D}{{2,3}}{_S}{_D}{{4}}"
    "|[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]{2}[0-9０-９]{6}[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]{10}"
    r"|@|＠|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][ ·\-]?[A-Za-zＡ-Ｚａ-ｚ]"
    r"|号楼|栋|幢|单元|室|组|户|出生|生日|姓名|名字|联系人|申请人|负责人|法定代表人|法人|患者|病人|户主|"
    r"经办人|收件人|寄件人|当事人|投诉人|举报人|监护人|家长|学生|职工|员工|业主|租户|承租人|驾驶人|车主|先生|女士|同志|"
    r"老师|医生|护士|师傅|台胞证|台湾居民|身份证|[0-9]\.[0-9]{4}"
    r"|(?:^|[^0-9A-Za-z])[CDEGHLMPSTcdeghlmpst][A-Za-z]?[0-9]{7}"
)
_NAME_PREFILTER = r"^\s*[\p{Han}·]{2,12}\s*$"
# A value that is nothing but an enterprise's (91…) or a cooperative's (93…) credit code holds no personal
# identifier: 18 characters starting 91/93 are no ID (no such province), no card (a 9x card has 19 digits),
# and the look-arounds keep a mobile or a permit from matching inside them. Leaving them to the recognizers
# cost 80 % of the scan of a register of companies; 92… (个体工商户, personal) is still scanned.
_ENTERPRISE_CODE = r"^\s*9[13][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}\s*$"
# A column with this many findings is refused already; the rest of it is not scanned value by value.
FINDINGS_CAP_PER_COLUMN = 1000


@dataclass
class GateDecision:
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reasons": self.reasons,
            "evidence": self.evidence,
            "stats": self.stats,
        }


class _Collector:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.first: dict[tuple[str, str], dict[str, Any]] = {}
        self.evidence: list[dict[str, Any]] = []
        self.per_column: dict[str, int] = {}
        self.shapes: dict[tuple[str, str], int] = {}
        self.held: dict[tuple[str, str], list[Any]] = {}
        self.notes: list[str] = []

    def add(self, column: str, row: int, kind: str, evidence: str, confidence: float) -> None:
        key = (column, kind)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.per_column[column] = self.per_column.get(column, 0) + 1
        # Where and what, never the value: a masked identifier still shows its region code and last digits,
        # and the record is kept with the version (and read by staff who may not see the raw data).
        item = {
            "column": column,
            "row": row + 1,
            "kind": kind,
            "label": K.label(kind),
            "confidence": round(confidence, 2),
        }
        self.first.setdefault(key, item)
        # The first finding of every (column, kind) always; a few more of each up to the cap.
        if self.counts[key] == 1 or (self.counts[key] <= 3 and len(self.evidence) < MAX_EVIDENCE):
            self.evidence.append(item)

    def shape(self, column: str, kind: str) -> None:
        key = (column, kind)
        self.shapes[key] = self.shapes.get(key, 0) + 1

    def hold(self, column: str, row: int, kind: str, evidence: str, confidence: float) -> None:
        """A whole value that is a valid ID or card number: kept aside until the column is complete."""
        held = self.held.setdefault((column, kind), [0, []])
        held[0] += 1
        if len(held[1]) < FINDINGS_CAP_PER_COLUMN:
            held[1].append((row, evidence, confidence))

    def settle(self, hinted: dict[str, frozenset[str]]) -> None:
        """A column of plain digit strings where fewer than half of the ID- or card-shaped values pass the
        check digits is a column of other numbers (order numbers, serials): under chance, about 1 in 10
        random numbers passes Luhn. Its chance hits are noted, not refused. A column whose name says it
        holds IDs or cards is never excused."""
        for (column, kind), (n_valid, items) in self.held.items():
            n_shape = self.shapes.get((column, kind), 0)
            if kind not in hinted.get(column, frozenset()) and n_shape >= 20 and n_valid < 0.5 * n_shape:
                self.notes.append(
                    f"字段“{column}”的{n_shape}个数字串中只有{n_valid}个通过{K.label(kind)}校验，"
                    f"符合随机编号的特征，未视为{K.label(kind)}。"
                )
                continue
            for row, evidence, confidence in items:
                self.add(column, row, kind, evidence, confidence)
            extra = n_valid - len(items)
            if extra > 0:
                self.counts[(column, kind)] += extra

    def saturated(self, column: str) -> bool:
        """The column will be refused whatever the rest of it holds: stop scanning it value by value."""
        if self.per_column.get(column, 0) >= FINDINGS_CAP_PER_COLUMN:
            return True
        for kind in (K.ID_CARD, K.BANK_CARD):
            n_valid = self.held.get((column, kind), [0])[0]
            if n_valid >= FINDINGS_CAP_PER_COLUMN and n_valid >= 0.5 * self.shapes.get((column, kind), 0):
                return True
        return False

    def looks_random(self, column: str) -> bool:
        """Enough shaped values seen to call the column a column of random numbers (see `settle`); its
        further whole-value digit strings need not be checked one by one."""
        for kind in (K.ID_CARD, K.BANK_CARD):
            n_valid = self.held.get((column, kind), [0])[0]
            n_shape = self.shapes.get((column, kind), 0)
            if n_shape >= 2000 and n_valid < 0.5 * n_shape:
                return True
        return False

    def reasons(self) -> list[str]:
        out = []
        for (column, kind), n in self.counts.items():
            first = self.first[(column, kind)]
            where = "列名" if first["row"] == 0 else f"第{first['row']}行"
            many = "至少" if self.saturated(column) else ""
            out.append(
                f"字段“{column}”{where}等{many}{n}处仍含有{K.label(kind)}，"
                f"请在发布方案中对该字段屏蔽、假名化或不予公开。"
            )
        return out


def _is_identifier(kind: str, confidence: float) -> bool:
    info = K.KINDS.get(kind)
    return bool(info and info.identifier and confidence >= GATE_MIN_CONFIDENCE)


def _decimals(v: float) -> int:
    s = repr(v)
    return len(s.split(".")[1]) if "." in s and "e" not in s else 0


_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_CARD_SHAPE = re.compile(r"\d{16,19}")


def _scan_value(name: str, row: int, value: Any, hints: frozenset[str], out: _Collector) -> list[Any]:
    """Findings of one value. A value that is nothing but an ID- or card-shaped digit string is counted,
    and its ID/card finding held back for the column-level check (`_Collector.settle`)."""
    findings = scan_text(value, hints=hints)
    c = compact(str(value)).upper()
    shapes = set()
    if _ID_SHAPE.fullmatch(c):
        shapes.add(K.ID_CARD)
    if _CARD_SHAPE.fullmatch(c):
        shapes.add(K.BANK_CARD)
    for kind in shapes:
        out.shape(name, kind)
    if not shapes:
        return findings
    rest = []
    for f in findings:
        if f.kind in shapes and _is_identifier(f.kind, f.confidence):
            out.hold(name, row, f.kind, f.evidence, f.confidence)
        else:
            rest.append(f)
    return rest


def _scan_array(
    name: str,
    arr: pa.Array,
    offset: int,
    hints: frozenset[str],
    person_table: bool,
    grid: bool,
    out: _Collector,
) -> None:
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        if K.TAIWAN_PERMIT in hints:
            idx: Any = range(len(arr))
        else:
            mask = pc.match_substring_regex(arr, _PREFILTER)
            if K.NAME in hints:
                mask = pc.or_(mask, pc.match_substring_regex(arr, _NAME_PREFILTER))
            idx = pc.indices_nonzero(pc.fill_null(mask, False))
            if len(idx):  # the exclusions, on the values the prefilter kept only
                kept = arr.take(idx)
                drop = pc.match_substring_regex(kept, _ENTERPRISE_CODE)
                if out.looks_random(name) and not hints & {K.ID_CARD, K.BANK_CARD}:
                    drop = pc.or_(drop, pc.match_substring_regex(kept, r"^\s*[0-9]{16,19}[Xx]?\s*$"))
                idx = idx.filter(pc.invert(drop))
            idx = idx.to_pylist()
        values = arr.to_pylist() if len(idx) > len(arr) // 4 else None
        for i in idx:
            if out.saturated(name):
                break
            v = values[i] if values is not None else arr[i].as_py()
            if v is None:
                continue
            for f in _scan_value(name, offset + i, v, hints, out):
                if _is_identifier(f.kind, f.confidence):
                    out.add(name, offset + i, f.kind, f.evidence, f.confidence)
                elif f.kind in (K.BIRTH_DATE, K.LANDLINE) and person_table:
                    out.add(name, offset + i, f.kind, f.evidence, f.confidence)
                elif f.kind == K.COORDINATE and person_table and not grid:
                    out.add(name, offset + i, K.PERSON_COORDINATE, f.evidence, f.confidence)
        if K.BIRTH_DATE in hints and person_table:
            _birth_dates(name, arr.to_pylist(), offset, out)
    elif pa.types.is_integer(t):
        nonnull = pc.drop_null(arr)
        if len(nonnull) and pc.max(nonnull).as_py() >= 10**9:  # short integers hold no identifier
            for i, v in enumerate(arr.to_pylist()):
                if out.saturated(name):
                    break
                if v is not None and v >= 10**9 and not (v >= 10**15 and out.looks_random(name)):
                    for f in _scan_value(name, offset + i, v, hints, out):
                        if _is_identifier(f.kind, f.confidence):
                            out.add(name, offset + i, f.kind, f.evidence, f.confidence)
    elif pa.types.is_floating(t) or pa.types.is_decimal(t):
        if K.COORDINATE in hints and (person_table or PERSON_LOCATION_HINT.search(name)) and not grid:
            for i, v in enumerate(arr.to_pylist()):
                if v is not None and v == v and 3.0 <= abs(float(v)) <= 136.0 and _decimals(float(v)) >= 4:
                    out.add(name, offset + i, K.PERSON_COORDINATE, f"{float(v):.2f}…", 0.8)
    elif (pa.types.is_date(t) or pa.types.is_timestamp(t)) and K.BIRTH_DATE in hints and person_table:
        _birth_dates(name, arr.to_pylist(), offset, out)


def _birth_dates(name: str, values: list[Any], offset: int, out: _Collector) -> None:
    from kaifang.privacy.masking import parse_date

    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, dt.date):
            precise = True
        else:
            s = str(v)
            precise = bool(re.search(r"\d{4}\D?\d{1,2}\D?\d{1,2}", s)) and parse_date(s) is not None
        if precise:
            d = v if isinstance(v, dt.date) else parse_date(str(v))
            out.add(name, offset + i, K.BIRTH_DATE, f"{d.year}-**-**（精确到日）" if d else "****", 0.8)


def _infer_name_columns(batch: pa.RecordBatch | pa.Table, hints: dict[str, frozenset[str]]) -> None:
    """A string column whose values mostly read as names is a name column even if its header says nothing
    (e.g. 'col3'): check it value by value like a 姓名 column. Decided on the table's first 1,000 rows."""
    batch = batch.slice(0, 1000)
    for c, arr in zip(batch.schema.names, batch.columns, strict=True):
        if K.NAME in hints[c] or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            continue
        values = [v for v in arr.to_pylist() if v]
        if names_column(values):
            hints[c] = hints[c] | {K.NAME}


def _person_table(profile: PublicationProfile | None, column_names: list[str]) -> bool:
    """Is the table about persons? The profile masks or pseudonymizes a personal field, or a column name
    says so (姓名, 身份证, 患者 …)."""
    if profile is not None:
        for rule in profile.fields.values():
            if rule.get("action") in ("mask", "pseudonymize", "generalize_address", "age_band"):
                return True
            if rule.get("action") == "generalize_date" and rule.get("person"):
                return True
    # Strong signs only: a contact phone (联系电话) is as common in tables about facilities as about people.
    personal_hints = {K.ID_CARD, K.NAME, K.PASSPORT, K.HK_MACAU_PERMIT, K.TAIWAN_PERMIT, K.BANK_CARD}
    return any(personal_hints & set(name_hints(c)) for c in column_names)


# --- the scan, fed batch by batch ----------------------------------------------------------------------------


def _inspected(name: str, t: pa.DataType, hints: frozenset[str], person: bool, grid: bool) -> bool:
    """Can `_scan_array` find anything in a column of this type (the same tests)? A file's other columns
    are not even read back."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return True
    if pa.types.is_integer(t):
        return True
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return K.COORDINATE in hints and (person or bool(PERSON_LOCATION_HINT.search(name))) and not grid
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return K.BIRTH_DATE in hints and person
    return False


class _Scan:
    """The scan of one table, fed its batches in row order: read back from a Parquet file (`_scan_file`), or
    the very batches being written to the open version (`_write_scanned`). Both feed batches of exactly
    BATCH_ROWS rows (the per-column shortcuts are taken batch by batch), so both decide alike."""

    def __init__(self, schema: pa.Schema, profile: PublicationProfile | None) -> None:
        self.names = schema.names
        self.profile = profile
        self.out = _Collector()
        self.person = _person_table(profile, self.names)
        self.hints = {c: frozenset(name_hints(c)) for c in self.names}
        self.grid = {
            c: bool(profile and profile.rule(c).get("action") in ("coordinate_grid", "suppress", "noise"))
            for c in self.names
        }
        self.inspected = {
            f.name
            for f in schema
            if _inspected(f.name, f.type, self.hints[f.name], self.person, self.grid[f.name])
        }
        self.rows = 0
        for c in self.names:
            for f in scan_text(c):
                if _is_identifier(f.kind, f.confidence):
                    self.out.add(c, -1, f.kind, f.evidence, f.confidence)

    def feed(self, batch: pa.RecordBatch | pa.Table) -> None:
        if not batch.num_rows:
            return
        if self.rows == 0:
            _infer_name_columns(batch, self.hints)
        for c, arr in zip(batch.schema.names, batch.columns, strict=True):
            if c in self.inspected:
                _scan_array(c, arr, self.rows, self.hints[c], self.person, self.grid[c], self.out)
        self.rows += batch.num_rows

    def decision(self, path: Path) -> GateDecision:
        """The decision over everything fed; k-anonymity is measured on `path`, the file fed."""
        out, profile = self.out, self.profile
        out.settle(self.hints)
        reasons = out.reasons()
        stats: dict[str, Any] = {
            "rows": self.rows,
            "columns": len(self.names),
            "findings": sum(out.counts.values()),
            "notes": out.notes,
        }
        if profile is not None and profile.quasi_identifiers:
            present = [c for c in profile.quasi_identifiers if c in self.names]
            sensitive = profile.sensitive_attribute if profile.sensitive_attribute in self.names else ""
            ka = k_anonymity(
                path,
                present,
                k=profile.k,
                sensitive=sensitive,
                l_threshold=profile.l_diversity if sensitive else 0,
            )
            stats["k_anonymity"] = ka.as_dict()
            reasons += ka.reasons()
        return GateDecision(not reasons, reasons, out.evidence, stats)


def _scan_file(path: Path, profile: PublicationProfile | None) -> GateDecision:
    """The gate over a Parquet file as it stands, read back batch by batch."""
    pf = pq.ParquetFile(path)
    scan = _Scan(pf.schema_arrow, profile)
    names = pf.schema_arrow.names
    columns = [c for c in names if c in scan.inspected] if len(set(names)) == len(names) else None
    if columns != []:
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            scan.feed(batch)
    scan.rows = pf.metadata.num_rows
    return scan.decision(path)


def _rebatched(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """The stream cut into tables of exactly `rows` rows (the last one shorter), without copying: the
    engine's batches follow its threads' row groups, not a fixed size."""
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        held.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            held, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(held)


def _dictionary_columns(table: pa.Table) -> list[str]:
    """The columns whose values repeat (fewer than 1 in 10 distinct among the first rows): dictionary-encoded,
    as DuckDB's writer decides it, which keeps the file the size the engine's COPY writes."""
    out = []
    table = table.slice(0, 8192)
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        simple = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
        if pa.types.is_dictionary(t) or (
            (simple or pa.types.is_primitive(t)) and pc.count_distinct(col).as_py() * 10 < len(col)
        ):
            out.append(name)
    return out


class _ParquetOut:
    """A Parquet file written batch by batch on a thread of its own: pyarrow encodes and compresses without
    the GIL, so the write of one batch overlaps the scan of the next. zstd and row groups of
    ROW_GROUP_ROWS rows, as the engine's COPY writes the store's objects."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self._writer: pq.ParquetWriter | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kf-gate-write")
        self._pending: Future[None] | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.dest,
                table.schema,
                compression="zstd",
                compression_level=3,
                use_dictionary=_dictionary_columns(table),
            )
        self._wait()
        self._pending = self._pool.submit(self._writer.write_table, table, ROW_GROUP_ROWS)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._pool.shutdown()
            if self._writer is not None:
                self._writer.close()


def _prefetched(batches: Iterable[pa.RecordBatch], ahead: int = 2) -> Iterator[pa.RecordBatch]:
    """`batches` produced on a thread of their own, up to `ahead` in advance: the engine computes the next
    batches of the open version (without the GIL) while this thread scans the last one."""
    it = iter(batches)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kf-gate-read") as pool:
        pending = deque(pool.submit(next, it, None) for _ in range(ahead))
        while (batch := pending.popleft().result()) is not None:
            pending.append(pool.submit(next, it, None))
            yield batch


def _write_scanned(
    batches: Iterable[pa.RecordBatch], dest: Path, profile: PublicationProfile | None
) -> _Scan | None:
    """Write `batches` to `dest` and scan each one as it is written: the scan sees exactly the batches the
    file is made of, and nothing is read back. None when there were no rows (nothing is written)."""
    scan: _Scan | None = None
    out = _ParquetOut(dest)
    try:
        for table in _rebatched(batches, BATCH_ROWS):
            out.write(table)
            if scan is None:
                scan = _Scan(table.schema, profile)
            scan.feed(table)
    finally:
        out.close()
    return scan


def _open_batches(raw: Path, profile: PublicationProfile, key: bytes) -> Iterator[pa.RecordBatch]:
    """The open version of a raw Parquet file as a stream of batches: the profile's SQL streamed by the
    engine when every rule has a SQL form, else the Python rules over the whole table."""
    from django.conf import settings

    from kaifang.tabular.engine import TableEngine

    try:
        sql = profile_select_sql(profile, pq.read_schema(raw).names, key=key)
    except NotExpressibleInSQL:
        yield from to_arrow(apply_profile(pq.read_table(raw).to_pydict(), profile, key=key)).to_batches()
        return
    limit = getattr(settings, "KAIFANG_INGEST_TIME_LIMIT", 3600.0)
    yield from TableEngine().stream(sql, [], tables={"t": raw}, batch_rows=BATCH_ROWS, time_limit=limit)


def write_open_version(raw: Path, dest: Path, profile: PublicationProfile, *, key: bytes) -> None:
    """Write the open version of a raw Parquet file without gating it (the masked preview): one DuckDB COPY
    when every rule has a SQL form, else the Python rules over the whole table."""
    from kaifang.tabular.engine import TableEngine

    columns = pq.read_schema(raw).names
    try:
        sql = profile_select_sql(profile, columns, key=key)
    except NotExpressibleInSQL:
        table = pq.read_table(raw)
        pq.write_table(
            to_arrow(apply_profile(table.to_pydict(), profile, key=key)), dest, row_group_size=ROW_GROUP_ROWS
        )
        return
    TableEngine().export_parquet(sql, [], tables={"t": raw}, dest=dest)


def check_publishable(
    source: Any,
    profile: PublicationProfile | dict[str, Any] | None = None,
    *,
    key: bytes = b"",
    already_applied: bool = False,
) -> GateDecision:
    if isinstance(profile, dict):
        profile = PublicationProfile.from_json(profile)
    if isinstance(source, str | Path):
        names = pq.read_schema(source).names
    elif isinstance(source, pa.Table):
        names = source.column_names
    else:
        names = list(source)
    if len(names) > MAX_COLUMNS:
        return GateDecision(
            False,
            [
                f"数据表有{len(names)}列，超过隐私审查的上限{MAX_COLUMNS}列，无法逐列审查，不能发布；请拆分数据表。"
            ],
            stats={"columns": len(names)},
        )
    if isinstance(source, str | Path) and (profile is None or already_applied):
        return _scan_file(Path(source), profile)
    with tempfile.TemporaryDirectory(prefix="kf-gate-") as tmp:
        dest = Path(tmp) / "open.parquet"
        if isinstance(source, str | Path):
            return prepare_open_version(Path(source), dest, profile, key=key)
        table = source if isinstance(source, pa.Table) else to_arrow(source)
        if profile is not None and not already_applied:
            table = to_arrow(apply_profile(table.to_pydict(), profile, key=key))
        scan = _write_scanned(table.to_batches(), dest, profile)
        if scan is None:  # no rows
            pq.write_table(table, dest, row_group_size=ROW_GROUP_ROWS)
            return _scan_file(dest, profile)
        return scan.decision(dest)


def prepare_open_version(
    raw: Path, dest: Path, profile: PublicationProfile | None, *, key: bytes
) -> GateDecision:
    """Write the open version of `raw` to `dest` (profile applied) and gate exactly what is written: each
    batch is scanned on its way into the file, which is not read back."""
    if profile is None:
        profile = PublicationProfile()
    raw, dest = Path(raw), Path(dest)
    scan = None
    # Row suppression is a window over the whole table: the engine's COPY (with its larger memory) writes
    # that open version and the file is read back.
    suppress_rows = profile.suppress_rows_below_k and bool(profile.quasi_identifiers)
    if len(profile.output_columns(pq.read_schema(raw).names)) <= MAX_COLUMNS and not suppress_rows:
        # Closed in this order: the read-ahead thread stops before the engine's stream is closed.
        with closing(_open_batches(raw, profile, key)) as source, closing(_prefetched(source)) as batches:
            scan = _write_scanned(batches, dest, profile)
    if scan is None:  # no rows, too many columns to scan, or rows suppressed: gated as written
        write_open_version(raw, dest, profile, key=key)
        return check_publishable(dest, profile, key=key, already_applied=True)
    return scan.decision(dest)


def gate_table_version(version: Any, *, apply_profile: bool = False) -> GateDecision:
    """The gate for a tabular TableVersion, over its stored Parquet *as it is served*: columns of fields
    the catalog marks 不予开放 are withheld from the public by the tabular app, so they are left out here
    too; every other column is scanned in full, and the dataset's profile supplies the quasi-identifiers
    for k-anonymity. The profile's masking rules are NOT applied here, because the stored object is what
    the public gets: to publish a masked version, write it with `prepare_open_version` and serve that.
    With `apply_profile=True` the profile's rules are applied first (what the masked version would give;
    the review page shows both)."""
    from kaifang.privacy.rawzone import raw_file

    if not version.store_key:
        return GateDecision(False, ["该版本没有可审查的数据文件。"])
    with raw_file(version.store_key, version.content_hash) as path:
        return _gate_stored(version, path, apply_profile)


def _gate_stored(version: Any, path: Path, apply_profile: bool) -> GateDecision:
    from kaifang.privacy.masking import dataset_key
    from kaifang.privacy.selectors import current_profile
    from kaifang.tabular.permissions import open_columns_visible_to

    public = {c["name"] for c in open_columns_visible_to(version.dataset, version)}
    withheld = [c["name"] for c in version.schema if c["name"] not in public]
    declared = current_profile(version.dataset) or PublicationProfile()
    rules = dict(declared.fields) if apply_profile else {}
    profile = PublicationProfile(
        fields={**rules, **{c: {"action": "suppress"} for c in withheld}},
        quasi_identifiers=[c for c in declared.quasi_identifiers if c not in withheld],
        sensitive_attribute=declared.sensitive_attribute
        if declared.sensitive_attribute not in withheld
        else "",
        k=declared.k,
        l_diversity=declared.l_diversity,
    )
    decision = check_publishable(
        path, profile, key=dataset_key(version.dataset_id), already_applied=not profile.fields
    )
    decision.stats["withheld_columns"] = withheld
    return decision
