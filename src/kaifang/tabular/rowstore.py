"""The row store: a served object's rows in an uncompressed Arrow IPC file, for fetching rows by `_id`.

A Parquet file answers "which rows" fast (DuckDB reads only the filter and sort columns) but fetching 100
rows scattered through the file decodes every wide column of almost every row group: a sorted page of a
2-million-row table costs ~400 ms that way against ~30 ms for the `_id`s alone. The row store makes the
second step a memory-mapped lookup: the data API asks DuckDB for the page's `_id`s (with every filter,
search, grant scope and sort applied) and takes the rows from here (`fetch`). DuckDB runs that first step
over this file too (`whole`: no Parquet pages to decode), and estimates over samples of it (`sample`). For a
page sorted by one number or date column and nothing else, the first step is a read by position of the
column's stored sort order (`sorted_ids`); for a lone equality filter on a text column, a binary search of
its stored value order (`ids_with_value`), which also counts a column's values (`value_counts`).

It is a cache of one store object (the open version the public is served, never a raw object), built by
the worker right after publication for tables of at least `KAIFANG_ROW_STORE_MIN_ROWS` rows, stored next
to the object's downloads (`downloads.export_dir`, so destroying the object removes it too), and written
to a temporary name then moved into place. Until it exists the data API reads rows through DuckDB as
before. Cost: about the size of the uncompressed data on disk (612 MB for the 2-million-row benchmark),
and the uncompressed text columns again for the value orders (668 MB there).
"""

from __future__ import annotations

import bisect
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from kaifang.tabular.columnread import value_reader

BATCH_ROWS = 65_536
FILE_NAME = "rows.arrow"


def path_for(served: Path) -> Path:
    from kaifang.tabular.downloads import export_dir

    return export_dir(Path(served).stem) / FILE_NAME


def wanted(row_count: int) -> bool:
    return row_count >= int(getattr(settings, "KAIFANG_ROW_STORE_MIN_ROWS", 100_000))


def build(served: Path) -> Path:
    """Write the row store of a served Parquet object, the sort orders of its number and date columns and
    the value orders of its text columns (idempotent: what exists is kept)."""
    dest = _build_rows(served)
    build_sort_orders(served)
    build_value_orders(served)
    build_text_facts(served)
    return dest


def _build_rows(served: Path) -> Path:
    dest = path_for(served)
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    _to_ipc(served, dest)
    return dest


# --- stored sort orders ---------------------------------------------------------------------------------------
# A sorted page without filters (a column header clicked in the preview, `?sort=-注册资本`) is a slice of the
# column's stored order: the `_id`s sorted exactly as the data API's SQL sorts them (nulls last, ties by `_id`),
# one memory-mapped Arrow file per column and direction (8 bytes a row), read by position without decoding.


def sort_path(served: Path, column: str, desc: bool) -> Path:
    import hashlib

    digest = hashlib.sha256(column.encode()).hexdigest()[:16]
    return path_for(served).with_name(f"sort-{digest}-{'desc' if desc else 'asc'}.arrow")


def sortable_columns(served: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = (
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_decimal,
        pa.types.is_date,
        pa.types.is_timestamp,
    )
    return [f.name for f in pq.read_schema(served) if f.name != "_id" and any(k(f.type) for k in kinds)]


def build_sort_orders(served: Path) -> list[Path]:
    from kaifang.tabular.engine import TableEngine, quote_ident

    out = []
    for name in sortable_columns(served):
        for desc in (False, True):
            dest = sort_path(served, name, desc)
            if not dest.is_file():
                tmp = dest.with_name(f".{uuid.uuid4().hex}.tmp.parquet")
                order = f"{quote_ident(name)} {'DESC' if desc else 'ASC'} NULLS LAST, _id ASC"
                try:
                    TableEngine(time_limit=600).export_parquet(
                        f"SELECT _id FROM t ORDER BY {order}",  # noqa: S608 - a schema name, quoted
                        [],
                        tables={"t": served},
                        dest=tmp,
                    )
                    _to_ipc(tmp, dest)
                    dest.with_suffix(".parquet").unlink(missing_ok=True)  # the earlier format of the cache
                finally:
                    tmp.unlink(missing_ok=True)
            out.append(dest)
    return out


def sorted_ids(served: Path, column: str, desc: bool, offset: int, limit: int) -> list[int] | None:
    """`_id`s at positions offset … offset+limit of the column's stored order, or None without one."""
    ids = _memoised(_sort_cache, sort_path(served, column, desc), _ids_column, 256)
    return None if ids is None else ids.slice(offset, limit).to_pylist()


def sorted_position_after(served: Path, column: str, desc: bool, value: Any, row_id: int) -> int | None:
    """The position in the column's stored order of the first row after the cursor's row (`value`, `_id`),
    by binary search (about 21 probes for 2 million rows, each a row-store read): a cursor page is then a
    slice of the order like an offset page. None without a stored order or a row store."""
    ids = _memoised(_sort_cache, sort_path(served, column, desc), _ids_column, 256)
    store = _mapped(served)
    if ids is None or store is None or column not in store.index:
        return None
    k = store.index[column]
    lo, hi = 0, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        mid_id = ids[mid].as_py()
        found = store.locate(mid_id)
        if found is None:
            return None  # the order and the row store disagree: let DuckDB answer
        try:
            after = _comes_after(store.values_of(found[0], k)(found[1]), mid_id, value, row_id, desc)
        except TypeError:  # a value Python cannot compare with the cursor's: let DuckDB answer
            return None
        if after:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _group(value: Any, desc: bool) -> int:
    """Where a sort value's group comes in the data API's order, as DuckDB sorts: NaN above every number
    (after them ascending, before them descending), nulls last."""
    if value is None:
        return 2
    if isinstance(value, float) and value != value:
        return 0 if desc else 1
    return 1 if desc else 0


def _comes_after(value: Any, row_id: int, cursor_value: Any, cursor_id: int, desc: bool) -> bool:
    """Whether the row (`value`, `row_id`) comes after the cursor's row in the order by the column then `_id`."""
    group, cursor_group = _group(value, desc), _group(cursor_value, desc)
    if group != cursor_group:
        return group > cursor_group
    if group == (1 if desc else 0) and value != cursor_value:  # two numbers or dates
        return bool(value < cursor_value) if desc else bool(value > cursor_value)
    return row_id > cursor_id


_sort_cache: dict[str, Any] = {}


def _ids_column(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    return ipc.open_file(pa.memory_map(str(path))).read_all().column("_id")  # zero-copy


# --- text facts ------------------------------------------------------------------------------------------------
# Which text columns hold only ASCII (codes, phone numbers, credit codes): a search term with any other
# character cannot occur in them, so a search skips them (a third of the string tests for the benchmark's
# table). Found once by the worker with the row store, read from a small JSON file.


def facts_path(served: Path) -> Path:
    return path_for(served).with_name("text-facts.json")


def build_text_facts(served: Path) -> Path:
    import json

    import pyarrow.compute as pc

    dest = facts_path(served)
    if dest.is_file():
        return dest
    store = _mapped(served)
    if store is None:
        raise FileNotFoundError(path_for(served))
    ascii_only = [
        name
        for name in text_columns(served)
        if pc.all(pc.string_is_ascii(store.table.column(name))).as_py() is not False
    ]
    tmp = dest.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps({"ascii_only": ascii_only}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def ascii_only_columns(served: Path) -> frozenset[str]:
    """The text columns holding only ASCII; empty when not known (no row store yet)."""
    found: frozenset[str] | None = _memoised(_facts_cache, facts_path(served), _read_facts, 256)
    return found or frozenset()


_facts_cache: dict[str, Any] = {}


def _read_facts(path: Path) -> frozenset[str]:
    import json

    return frozenset(json.loads(path.read_text(encoding="utf-8")).get("ascii_only", []))


# --- stored value orders ---------------------------------------------------------------------------------------
# An equality filter on a text column (`?企业名称=…`, a click on a value in the preview) reads the column's value
# order: its (value, `_id`) pairs sorted by value then `_id`, in a memory-mapped Arrow file. A value's rows are
# one contiguous run found by two binary searches (about 40 probes for 2 million rows): the run's length is the
# exact count and its `_id`s are already in page order. The same runs count a column's values for a group-by.


def value_path(served: Path, column: str) -> Path:
    import hashlib

    digest = hashlib.sha256(column.encode()).hexdigest()[:16]
    return path_for(served).with_name(f"value-{digest}.arrow")


def text_columns(served: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    return [
        f.name
        for f in pq.read_schema(served)
        if f.name != "_id" and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]


def build_value_orders(served: Path) -> list[Path]:
    from kaifang.tabular.engine import TableEngine, quote_ident

    out = []
    for name in text_columns(served):
        dest = value_path(served, name)
        if not dest.is_file():
            sorted_tmp = dest.with_name(f".{uuid.uuid4().hex}.tmp.parquet")
            q = quote_ident(name)
            try:
                TableEngine(time_limit=600).export_parquet(
                    f"SELECT {q} AS v, _id FROM t WHERE {q} IS NOT NULL ORDER BY v, _id",  # noqa: S608 - quoted
                    [],
                    tables={"t": served},
                    dest=sorted_tmp,
                )
                _to_ipc(sorted_tmp, dest)
            finally:
                sorted_tmp.unlink(missing_ok=True)
        out.append(dest)
    return out


class _Values:
    """A memory-mapped value order as two arrays, searched without copying them."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.ipc as ipc

        # Zero-copy: the chunked columns index and slice across batches without combining them.
        table = ipc.open_file(pa.memory_map(str(path))).read_all()
        self.values = table.column("v")
        self.ids = table.column("_id")
        self.keys = _Run(self.values, 0, len(self.values))

    def run(self, value: str) -> tuple[int, int]:
        return bisect.bisect_left(self.keys, value), bisect.bisect_right(self.keys, value)


_value_cache: dict[str, _Values] = {}


def _value_order(served: Path, column: str) -> _Values | None:
    found: _Values | None = _memoised(_value_cache, value_path(served, column), _Values, 256)
    return found


def ids_with_value(
    served: Path, column: str, value: str, *, after_id: int | None, offset: int, limit: int
) -> tuple[list[int], int] | None:
    """The `_id`s (in order) of the rows where the text column equals `value`, from `offset` or after the
    cursor's `_id`, and how many rows hold the value in all; None without a value order."""
    order = _value_order(served, column)
    if order is None:
        return None
    lo, hi = order.run(value)
    start = lo
    if after_id is not None:
        start = lo + bisect.bisect_right(_Run(order.ids, lo, hi), after_id)
    start += offset
    ids = order.ids.slice(start, max(0, min(limit, hi - start))).to_pylist()
    return ids, hi - lo


class _Run:
    """Positions lo … hi of a sorted Arrow array (values, or a value's `_id`s) as a sequence for `bisect`:
    one value read per probe, nothing copied."""

    def __init__(self, array: Any, lo: int, hi: int) -> None:
        self.array, self.lo, self.hi = array, lo, hi

    def __len__(self) -> int:
        return self.hi - self.lo

    def __getitem__(self, i: int) -> Any:
        return self.array[self.lo + i].as_py()


def value_counts(served: Path, column: str, most: int) -> list[tuple[str, int]] | None:
    """Every value of a text column with its number of rows, walking the value order run by run; None
    without one, or when the column has more than `most` distinct values (then grouping is cheaper)."""
    order = _value_order(served, column)
    if order is None:
        return None
    out: list[tuple[str, int]] = []
    i, n = 0, len(order.keys)
    while i < n:
        if len(out) >= most:
            return None
        value = order.keys[i]
        end = bisect.bisect_right(order.keys, value, i)
        out.append((value, end - i))
        i = end
    return out


def _to_ipc(parquet: Path, dest: Path) -> None:
    """Copy a Parquet file into an uncompressed Arrow IPC file at `dest` (through a temporary name)."""
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    tmp = dest.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        pf = pq.ParquetFile(parquet)
        with ipc.new_file(str(tmp), pf.schema_arrow) as writer:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                writer.write_batch(batch)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class _Open:
    """One memory-mapped row store: its batches and the first and last `_id` of each."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.ipc as ipc

        self.reader = ipc.open_file(pa.memory_map(str(path)))
        self.batches = [self.reader.get_batch(i) for i in range(self.reader.num_record_batches)]
        self.ids = [self._id_view(b) for b in self.batches]
        self.first = [v[0] if len(v) else 0 for v in self.ids]
        self.table = pa.Table.from_batches(self.batches, self.reader.schema)  # zero-copy, for slices
        self.index = {n: k for k, n in enumerate(self.reader.schema.names)}
        self.columns = [b.columns for b in self.batches]
        self.readers: list[list[Any]] = [[None] * len(cols) for cols in self.columns]
        self.samples: dict[tuple[int, int], Any] = {}

    def values_of(self, batch: int, column: int) -> Any:
        """The value reader of one column of one batch, made on first use (threads racing make the same)."""
        found = self.readers[batch][column]
        if found is None:
            found = self.readers[batch][column] = value_reader(self.columns[batch][column])
        return found

    @staticmethod
    def _id_view(batch: Any) -> Any:
        col = batch.column(batch.schema.get_field_index("_id"))
        # The `_id` column is int64 without nulls: its value buffer, zero-copy, in ascending order.
        return memoryview(col.buffers()[1]).cast("q")[col.offset : col.offset + len(col)]

    def locate(self, row_id: int) -> tuple[int, int] | None:
        b = bisect.bisect_right(self.first, row_id) - 1
        if b < 0:
            return None
        view = self.ids[b]
        i = bisect.bisect_left(view, row_id)
        return (b, i) if i < len(view) and view[i] == row_id else None


_cache: dict[str, _Open] = {}
_lock = threading.Lock()


def _memoised(cache: dict[str, Any], path: Path, make: Any, most: int) -> Any:
    """The file at `path` opened (memory-mapped) once per process by `make`; None, and the mapping let go,
    once the file is gone (destroyed with its object)."""
    key = str(path)
    with _lock:
        if not path.is_file():
            cache.pop(key, None)
            return None
        found = cache.get(key)
        if found is None:
            if len(cache) >= most:
                cache.clear()
            found = cache[key] = make(path)
        return found


def _mapped(served: Path) -> _Open | None:
    found: _Open | None = _memoised(_cache, path_for(served), _Open, 64)
    return found


def read_slice(served: Path, offset: int, limit: int, columns: list[str]) -> list[tuple[Any, ...]] | None:
    """Rows offset … offset+limit in file (`_id`) order as tuples of (`_id`, *columns): an unfiltered page
    without decoding a Parquet row group. None when the object has no row store."""
    store = _mapped(served)
    if store is None:
        return None
    picked = store.table.slice(offset, limit).select(["_id", *columns])
    return list(zip(*(picked.column(k).to_pylist() for k in range(picked.num_columns)), strict=True))


def whole(served: Path) -> Any:
    store = _mapped(served)
    return None if store is None else store.table


def sample(served: Path, windows: int = 6, rows: int = 8192) -> Any:
    """`windows` runs of `rows` rows spread evenly over the table, each in the middle of its stretch (an
    ordered table, by date or district, does not skew an estimate made from them), as one zero-copy Arrow
    table; None without a row store. An estimate evaluates its filter here, on uncompressed memory, instead
    of decoding the Parquet row groups that hold the same rows."""
    import pyarrow as pa

    store = _mapped(served)
    if store is None:
        return None
    found = store.samples.get((windows, rows))
    if found is None:
        table = store.table
        step = max(table.num_rows // windows, 1)
        width = min(rows, step)
        lead = (step - width) // 2
        # Kept with the open store: the same table object each time, so the engine's cursor that has it
        # registered is reused.
        found = store.samples[(windows, rows)] = pa.concat_tables(
            [table.slice(i * step + lead, width) for i in range(windows)]
        )
    return found


def fetch(served: Path, row_ids: list[int], columns: list[str]) -> list[tuple[Any, ...]] | None:
    """The rows with these `_id`s, in that order, as tuples of (`_id`, *columns); None when the object has
    no row store (or it lacks one of the ids), so that the caller reads through DuckDB instead."""
    store = _mapped(served)
    if store is None:
        return None
    located = [store.locate(int(i)) for i in row_ids]
    if any(loc is None for loc in located):
        return None
    # Value by value through buffer readers: for a page of scattered rows this beats `take` (a compute call
    # per batch, or a copy of every column when taken over the whole table) by 5x, and `as_py` by 1.7x.
    index = store.index
    values = [[store.values_of(b, k)(i) for b, i in located] for k in (index[n] for n in ["_id", *columns])]  # type: ignore[misc]
    return list(zip(*values, strict=True))
