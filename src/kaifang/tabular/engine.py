"""The one class that owns every DuckDB connection (guideline 9; nothing else may call `duckdb.connect`).

Reads (the data API, previews, downloads, later the sandbox and reports) run as exactly one SELECT (checked
with DuckDB's own parser) on a cursor of a per-process in-memory database that has a memory limit, a thread
cap and *no file system access* except the store's object folder (`allowed_directories`, then
`enable_external_access = false` and `lock_configuration = true`). A cursor costs 0.5 ms where a new
database costs 20-30 ms. Every query has a time limit (enforced by `interrupt()` from a timer) and a row cap
that sets a `truncated` flag. Parquet exports get a private database allowed to write one file. Writes
(ingest) go through one serialised path, `write()`, which hands a full-access connection to a callback.
"""

# SQL here is built from schema-validated, quoted identifiers and bound parameters only (see quote_ident).
# ruff: noqa: S608

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kaifang.core.errors import DomainError


class QueryFailed(DomainError):
    status = 400
    code = "query_failed"

    def default_message(self) -> Any:
        return _("查询执行失败。")


class QueryTimeout(DomainError):
    status = 503
    code = "query_timeout"

    def default_message(self) -> Any:
        return _("查询超时，请缩小查询范围（增加筛选条件或减少返回行数）后重试。")


@dataclass
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    elapsed_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


# Rows per Parquet row group in every object the platform writes: a page of rows, an estimate or a range of
# `_id`s reads one small group instead of DuckDB's default 122,880 rows, at a cost of a few per cent in size.
ROW_GROUP_ROWS = 16_384
# Rows a read returns at most unless its engine was made with another cap; `truncated` says there were more.
ROW_CAP = 10_000


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB. Callers pass only names validated against a schema; quoting is
    the second line of defence."""
    return '"' + str(name).replace('"', '""') + '"'


def _literal_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class TableEngine:
    _write_lock = threading.Lock()

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        time_limit: float | None = None,
        max_rows: int | None = None,
    ) -> None:
        self.memory_limit = memory_limit or getattr(settings, "KAIFANG_DUCKDB_MEMORY_LIMIT", "1GB")
        self.threads = threads or getattr(settings, "KAIFANG_DUCKDB_THREADS", 2)
        self.time_limit = time_limit or getattr(settings, "KAIFANG_QUERY_TIME_LIMIT", 10.0)
        self.max_rows = max_rows or ROW_CAP

    # --- connections ----------------------------------------------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:", config={"memory_limit": self.memory_limit, "threads": self.threads})
        con.execute("SET enable_progress_bar = false")
        return con

    # One locked, file-access-restricted database per process and set of directories; each query gets a cursor
    # of it (0.5 ms) instead of a new database (20-30 ms).
    _readers: dict[tuple[str, ...], duckdb.DuckDBPyConnection] = {}
    _readers_lock = threading.Lock()

    @staticmethod
    def _store_root(path: Path) -> str | None:
        """The store folder of immutable files a path is in: the objects (named by hash) or the caches derived
        from one (`exports/<hash>/`: sort and value orders, written once under a new name then moved)."""
        for parent in Path(path).resolve().parents:
            if parent.name in ("objects", "exports") and parent.parent.name == "store":
                return str(parent) + "/"
        return None

    def _shared(self, root: str) -> duckdb.DuckDBPyConnection:
        """A cursor of the process's database for the store (its objects are immutable: named by hash)."""
        key = (root, self.memory_limit, str(self.threads))
        with self._readers_lock:
            base = self._readers.get(key)
            if base is None:
                base = self._connect()
                base.execute("SET parquet_metadata_cache = true")  # objects never change: named by hash
                base.execute("SET allowed_directories = ?", [[root]])
                base.execute("SET enable_external_access = false")
                base.execute("SET lock_configuration = true")
                self._readers[key] = base
            return base.cursor()

    def _private(self, tables: dict[str, Path]) -> duckdb.DuckDBPyConnection:
        """A database of its own for files outside the store (temporary files of other modules)."""
        con = self._connect()
        try:
            con.execute("SET allowed_paths = ?", [[str(Path(p).resolve()) for p in tables.values()]])
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        except Exception:
            con.close()
            raise
        return con

    def _reader(self, tables: dict[str, Path]) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """A cursor with a view per table, and whether it is kept for the thread's next query over the same
        store files (a new cursor and its views cost ~2 ms, a third of a small query)."""
        roots = {self._store_root(p) for p in tables.values()}
        root = next(iter(roots)) if len(roots) == 1 else None
        key = (root, self.memory_limit, str(self.threads), *sorted((n, str(p)) for n, p in tables.items()))
        kept: dict[tuple[Any, ...], duckdb.DuckDBPyConnection] | None = None
        if root:
            kept = _thread_cursors()
            found = kept.get(key)
            if found is not None:
                return found, True
        con = self._shared(root) if root else self._private(tables)
        try:
            for name, path in tables.items():
                con.execute(
                    f"CREATE TEMP VIEW {quote_ident(name)} AS "
                    f"SELECT * FROM read_parquet({_literal_path(Path(path).resolve())})"
                )
        except Exception:
            con.close()
            raise
        if kept is None:
            return con, False
        if len(kept) >= KEPT_CURSORS:
            kept.pop(next(iter(kept))).close()
        kept[key] = con
        return con, True

    @staticmethod
    def _release(con: duckdb.DuckDBPyConnection, kept: bool, failed: bool) -> None:
        """Close a query's cursor unless the thread keeps it; a kept one that failed is dropped."""
        if not kept:
            con.close()
        elif failed:
            cursors = _thread_cursors()
            for key, found in list(cursors.items()):
                if found is con:
                    del cursors[key]
            con.close()

    def _exporter(self, tables: dict[str, Path], dest: Path) -> duckdb.DuckDBPyConnection:
        """A private database that may read the tables and write one file (downloads as Parquet)."""
        con = self._connect()
        try:
            allowed = [str(Path(p).resolve()) for p in tables.values()] + [str(dest)]
            con.execute("SET allowed_paths = ?", [allowed])
            for name, path in tables.items():
                con.execute(
                    f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM read_parquet({_literal_path(Path(path).resolve())})"
                )
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        except Exception:
            con.close()
            raise
        return con

    _checked: dict[str, bool] = {}

    @classmethod
    def _only_select(cls, sql: str) -> None:
        """Reads run exactly one SELECT: no COPY, SET, ATTACH or second statement can ride along. The data API
        asks the same few parameterised statements again and again: each is parsed once per process."""
        if cls._checked.get(sql):
            return
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryFailed(details={"engine": str(exc).splitlines()[0][:300]}) from exc
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise QueryFailed(_("只允许执行单条查询语句。"), code="not_a_query")
        if len(cls._checked) >= 4096:
            cls._checked.clear()
        cls._checked[sql] = True

    def _with_timer(self, con: duckdb.DuckDBPyConnection, seconds: float) -> _Armed:
        return _WATCHDOG.arm(con, seconds)

    @staticmethod
    def _translate(exc: Exception) -> DomainError:
        if isinstance(exc, duckdb.InterruptException):
            return QueryTimeout()
        if isinstance(exc, duckdb.OutOfMemoryException):
            return QueryFailed(_("查询所需内存超出限制，请缩小查询范围。"), code="query_memory")
        return QueryFailed(details={"engine": str(exc).splitlines()[0][:300]})

    # --- reads ----------------------------------------------------------------------------------------------

    def query(
        self,
        sql: str,
        params: Sequence[Any] = (),
        *,
        tables: dict[str, Path],
        max_rows: int | None = None,
        time_limit: float | None = None,
    ) -> QueryResult:
        """Run one read-only query over the named Parquet tables; at most `max_rows` rows are returned and
        `truncated` says whether there were more."""
        self._only_select(sql)
        con, kept = self._reader(tables)
        return self._run(con, kept, sql, params, max_rows, time_limit)

    def query_arrow(
        self,
        sql: str,
        params: Sequence[Any],
        *,
        name: str,
        table: Any,
        source: Path,
        max_rows: int | None = None,
    ) -> QueryResult:
        """One read-only query over an in-memory Arrow table `name` (a row store or a sample of one, read from
        the store file `source`), on a cursor of that file's folder's locked database."""
        self._only_select(sql)
        root = self._store_root(source)
        if root is None:
            raise ValueError(source)
        # The thread keeps the cursor with the table registered (registering costs ~0.7 ms): the key holds the
        # table's identity, which cannot be reused while the kept cursor holds a reference to the table.
        key = (root, self.memory_limit, str(self.threads), "arrow", name, id(table))
        kept = _thread_cursors()
        con = kept.get(key)
        if con is None:
            con = self._shared(root)
            try:
                con.register(name, table)
            except Exception:
                con.close()
                raise
            if len(kept) >= KEPT_CURSORS:
                kept.pop(next(iter(kept))).close()
            kept[key] = con
        return self._run(con, True, sql, params, max_rows, None)

    def _run(
        self,
        con: duckdb.DuckDBPyConnection,
        kept: bool,
        sql: str,
        params: Sequence[Any],
        max_rows: int | None,
        time_limit: float | None,
    ) -> QueryResult:
        cap = min(max_rows or self.max_rows, self.max_rows)
        started = time.perf_counter()
        timer = self._with_timer(con, time_limit or self.time_limit)
        failed = True
        try:
            cur = con.execute(sql, list(params))
            columns = [d[0] for d in cur.description]
            types = [str(d[1]) for d in cur.description]
            rows = cur.fetchmany(cap + 1)
            failed = False
        except duckdb.Error as exc:
            raise self._translate(exc) from exc
        finally:
            timer.cancel()
            self._release(con, kept, failed)
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        return QueryResult(columns, types, rows[:cap], len(rows) > cap, elapsed)

    _footers: dict[str, Any] = {}

    def _footer(self, path: Path) -> Any:
        """The Parquet footer of a store object, read once per process (objects are immutable)."""
        import pyarrow.parquet as pq

        key = str(path)
        meta = self._footers.get(key)
        if meta is None:
            meta = pq.read_metadata(path)
            if len(self._footers) > 512:
                self._footers.clear()
            self._footers[key] = meta
        return meta

    def file_rows(self, path: Path) -> int:
        """How many rows a store object holds (from its footer)."""
        return int(self._footer(path).num_rows)

    def read_slice(self, path: Path, columns: list[str], offset: int, limit: int) -> QueryResult:
        """Rows `offset` .. `offset + limit` of a store object in file order, reading only the row groups that
        hold them (pyarrow; the footer of an immutable object is cached). The fast path for an unfiltered,
        unsorted page: DuckDB would plan a parallel scan for what is a read of one or two row groups."""

        import pyarrow.parquet as pq

        started = time.perf_counter()
        meta = self._footer(path)
        groups, first, seen = [], None, 0
        for i in range(meta.num_row_groups):
            n = meta.row_group(i).num_rows
            if seen + n > offset and seen < offset + limit:
                groups.append(i)
                first = seen if first is None else first
            seen += n
        wanted = ["_id", *columns]
        if not groups:
            return QueryResult(wanted, [], [], False, 0.0)
        table = pq.ParquetFile(path, metadata=meta).read_row_groups(groups, columns=wanted)
        table = table.slice(offset - (first or 0), limit)
        data = [table.column(i).to_pylist() for i in range(table.num_columns)]
        rows = list(zip(*data, strict=True)) if data else []
        return QueryResult(
            wanted,
            [str(f.type) for f in table.schema],
            rows,
            False,
            round((time.perf_counter() - started) * 1000, 2),
        )

    def stream(
        self,
        sql: str,
        params: Sequence[Any] = (),
        *,
        tables: dict[str, Path],
        batch_rows: int = 65_536,
        time_limit: float | None = None,
    ) -> Iterator[Any]:
        """Yield pyarrow RecordBatches of a read-only query, for downloads in constant memory."""
        self._only_select(sql)
        # A database of its own with a small memory limit and one thread: a download is a long sequential
        # read, and the shared database's buffers should not grow by a table's size for it.
        con = TableEngine(
            memory_limit=getattr(settings, "KAIFANG_STREAM_MEMORY_LIMIT", "256MB"), threads=1
        )._private(tables)
        for name, path in tables.items():
            con.execute(
                f"CREATE TEMP VIEW {quote_ident(name)} AS SELECT * FROM read_parquet({_literal_path(Path(path).resolve())})"
            )
        timer = self._with_timer(con, time_limit or getattr(settings, "KAIFANG_DOWNLOAD_TIME_LIMIT", 600.0))
        try:
            try:
                # `sql()` streams; `execute()` would materialise the whole result before the first batch.
                reader = con.sql(sql, params=list(params)).to_arrow_reader(batch_rows)
            except duckdb.Error as exc:
                raise self._translate(exc) from exc
            yield from reader
        finally:
            timer.cancel()
            con.close()

    def export_parquet(self, sql: str, params: Sequence[Any], *, tables: dict[str, Path], dest: Path) -> None:
        """Write a read-only query's result to one Parquet file (an open version, a sample, a download)."""
        self._export(
            sql, params, tables, dest, f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS}"
        )

    def export_csv(self, sql: str, params: Sequence[Any], *, tables: dict[str, Path], dest: Path) -> None:
        """Write a read-only query's result to one CSV file with a header and CRLF line ends, in file order.
        DuckDB's writer runs on every thread and keeps the order: several times a batch-by-batch writer."""
        self._export(sql, params, tables, dest, "FORMAT csv, HEADER, NEW_LINE '\\r\\n'")

    def _export(
        self, sql: str, params: Sequence[Any], tables: dict[str, Path], dest: Path, options: str
    ) -> None:
        self._only_select(sql)
        con = self._exporter(tables, dest)
        timer = self._with_timer(con, getattr(settings, "KAIFANG_DOWNLOAD_TIME_LIMIT", 600.0))
        try:
            con.execute(f"COPY ({sql}) TO {_literal_path(dest)} ({options})", list(params))
        except duckdb.Error as exc:
            raise self._translate(exc) from exc
        finally:
            timer.cancel()
            con.close()

    # --- the write path -------------------------------------------------------------------------------------

    _writer: duckdb.DuckDBPyConnection | None = None

    def write(
        self, fn: Callable[[duckdb.DuckDBPyConnection], Any], *, time_limit: float | None = None
    ) -> Any:
        """Run `fn(con)` on a full-access cursor, one at a time per process (ingest). `fn` keeps its work in
        TEMP tables and views, which belong to its cursor and vanish when it closes."""
        with self._write_lock:
            if TableEngine._writer is None:
                TableEngine._writer = self._connect()
                TableEngine._writer.execute("SET preserve_insertion_order = true")
            con = TableEngine._writer.cursor()
            timer = self._with_timer(
                con, time_limit or getattr(settings, "KAIFANG_INGEST_TIME_LIMIT", 3600.0)
            )
            try:
                return fn(con)
            finally:
                timer.cancel()
                con.close()


# --- time limits and kept cursors -------------------------------------------------------------------------------

KEPT_CURSORS = 16
_local = threading.local()


def _thread_cursors() -> dict[tuple[Any, ...], duckdb.DuckDBPyConnection]:
    cursors = getattr(_local, "cursors", None)
    if cursors is None:
        cursors = _local.cursors = {}
    return cursors


class _Armed:
    def __init__(self, watchdog: _Watchdog, token: int) -> None:
        self.watchdog, self.token = watchdog, token

    def cancel(self) -> None:
        self.watchdog.disarm(self.token)


class _Watchdog:
    """One thread per process interrupts the queries that pass their time limit (a `threading.Timer` per
    query cost a thread start, ~1 ms, on every small query)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[int, tuple[float, duckdb.DuckDBPyConnection]] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, con: duckdb.DuckDBPyConnection, seconds: float) -> _Armed:
        with self._cond:
            token = next(self._tokens)
            self._due[token] = (time.monotonic() + seconds, con)
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(target=self._run, name="duckdb-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return _Armed(self, token)

    def disarm(self, token: int) -> None:
        with self._cond:
            self._due.pop(token, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for token in [t for t, (due, _c) in self._due.items() if due <= now]:
                    self._due.pop(token)[1].interrupt()
                nearest = min((due for due, _c in self._due.values()), default=None)
                self._cond.wait(None if nearest is None else max(nearest - now, 0.001))


_WATCHDOG = _Watchdog()


def close_all() -> None:
    """Close the process's DuckDB databases. A server calls this before it forks its workers: a DuckDB
    database (its threads and buffers) must not be shared across a fork; each worker opens its own."""
    cursors = _thread_cursors()
    for con in cursors.values():
        con.close()
    cursors.clear()
    with TableEngine._readers_lock:
        for con in TableEngine._readers.values():
            con.close()
        TableEngine._readers.clear()
    with TableEngine._write_lock:
        if TableEngine._writer is not None:
            TableEngine._writer.close()
            TableEngine._writer = None


def engine() -> TableEngine:
    return TableEngine()
