"""The row store: a served object's rows in an uncompressed Arrow IPC file, for fetching rows by `_id`.

A Parquet file answers "which rows" fast (DuckDB reads only the filter and sort columns) but fetching 100
rows scattered through the file decodes every wide column of almost every row group: a sorted page of a
2-million-row table costs ~400 ms that way against ~30 ms for the `_id`s alone. The row store makes the
second step a memory-mapped lookup: the data API asks DuckDB for the page's `_id`s (with every filter,
search, grant scope and sort applied) and takes the rows from here (`fetch`). For a page sorted by one
number or date column and nothing else, even the first step is a read by position of the column's stored
sort order (`sorted_ids`).

It is a cache of one store object (the open version the public is served, never a raw object), built by
the worker right after publication for tables of at least `KAIFANG_ROW_STORE_MIN_ROWS` rows, stored next
to the object's downloads (`downloads.export_dir`, so destroying the object removes it too), and written
to a temporary name then moved into place. Until it exists the data API reads rows through DuckDB as
before. Cost: about the size of the uncompressed data on disk (612 MB for the 2-million-row benchmark).
"""

from __future__ import annotations

import bisect
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

BATCH_ROWS = 65_536
FILE_NAME = "rows.arrow"


def path_for(served: Path) -> Path:
    from kaifang.tabular.downloads import export_dir

    return export_dir(Path(served).stem) / FILE_NAME


def wanted(row_count: int) -> bool:
    return row_count >= int(getattr(settings, "KAIFANG_ROW_STORE_MIN_ROWS", 100_000))


def build(served: Path) -> Path:
    """Write the row store of a served Parquet object and the sort orders of its number and date columns
    (idempotent: what exists is kept)."""
    dest = _build_rows(served)
    build_sort_orders(served)
    return dest


def _build_rows(served: Path) -> Path:
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    dest = path_for(served)
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        pf = pq.ParquetFile(served)
        with ipc.new_file(str(tmp), pf.schema_arrow) as writer:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                writer.write_batch(batch)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


# --- stored sort orders ---------------------------------------------------------------------------------------
# A sorted page without filters (a column header clicked in the preview, `?sort=-注册资本`) is a slice of the
# column's stored order: the `_id`s sorted exactly as the data API's SQL sorts them (nulls last, ties by `_id`),
# one small Parquet file per column and direction, read by position like an unsorted page.


def sort_path(served: Path, column: str, desc: bool) -> Path:
    import hashlib

    digest = hashlib.sha256(column.encode()).hexdigest()[:16]
    return path_for(served).with_name(f"sort-{digest}-{'desc' if desc else 'asc'}.parquet")


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
                    os.replace(tmp, dest)
                finally:
                    tmp.unlink(missing_ok=True)
            out.append(dest)
    return out


def sorted_ids(served: Path, column: str, desc: bool, offset: int, limit: int) -> list[int] | None:
    """`_id`s at positions offset … offset+limit of the column's stored order, or None without one."""
    from kaifang.tabular.engine import TableEngine

    path = sort_path(served, column, desc)
    if not path.is_file():
        return None
    return [r[0] for r in TableEngine().read_slice(path, [], offset, limit).rows]


class _Open:
    """One memory-mapped row store: its batches and the first and last `_id` of each."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.ipc as ipc

        self.reader = ipc.open_file(pa.memory_map(str(path)))
        self.batches = [self.reader.get_batch(i) for i in range(self.reader.num_record_batches)]
        self.ids = [self._id_view(b) for b in self.batches]
        self.first = [v[0] if len(v) else 0 for v in self.ids]

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


def _opened(path: Path) -> _Open:
    key = str(path)
    with _lock:
        found = _cache.get(key)
        if found is None:
            if len(_cache) >= 64:
                _cache.clear()
            found = _cache[key] = _Open(path)
        return found


def fetch(served: Path, row_ids: list[int], columns: list[str]) -> list[tuple[Any, ...]] | None:
    """The rows with these `_id`s, in that order, as tuples of (`_id`, *columns); None when the object has
    no row store (or it lacks one of the ids), so that the caller reads through DuckDB instead."""
    path = path_for(served)
    if not path.is_file():
        with _lock:
            _cache.pop(str(path), None)  # destroyed with its object: let go of the mapping
        return None
    store = _opened(path)
    located = [store.locate(int(i)) for i in row_ids]
    if any(loc is None for loc in located):
        return None
    names = ["_id", *columns]
    by_batch: dict[int, list[int]] = {}
    for b, i in located:  # type: ignore[misc]
        by_batch.setdefault(b, []).append(i)
    values: dict[tuple[int, int], tuple[Any, ...]] = {}
    for b, positions in by_batch.items():
        batch = store.batches[b]
        picked = batch.select(names).take(positions)
        data = [picked.column(k).to_pylist() for k in range(len(names))]
        for p, row in zip(positions, zip(*data, strict=True), strict=True):
            values[(b, p)] = row
    return [values[loc] for loc in located]  # type: ignore[index]
