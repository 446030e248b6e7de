"""The one class that owns every DuckDB connection (guideline 9; nothing else may call `duckdb.connect`).

Reads (the data API, previews, downloads, later the sandbox and reports) get a fresh in-memory connection
with a memory limit, a thread cap and *no file system access* except the Parquet objects named for that
query (`allowed_paths`, then `enable_external_access = false` and `lock_configuration = true`), so even a
bug in SQL building can neither read another file nor write one. Every query has a time limit (enforced by
`interrupt()` from a timer) and a row cap that sets a `truncated` flag. Writes (ingest) go through one
serialised path, `write()`, which hands a full-access connection to a callback.
"""

# SQL here is built from schema-validated, quoted identifiers and bound parameters only (see quote_ident).
# ruff: noqa: S608

from __future__ import annotations

import threading
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
        self.max_rows = max_rows or 10_000

    # --- connections ----------------------------------------------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(":memory:", config={"memory_limit": self.memory_limit, "threads": self.threads})

    def _reader(self, tables: dict[str, Path], writable: Sequence[Path] = ()) -> duckdb.DuckDBPyConnection:
        con = self._connect()
        try:
            allowed = [str(p) for p in tables.values()] + [str(p) for p in writable]
            con.execute("SET allowed_paths = ?", [allowed])
            for name, path in tables.items():
                con.execute(
                    f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM read_parquet({_literal_path(path)})"
                )
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        except Exception:
            con.close()
            raise
        return con

    def _with_timer(self, con: duckdb.DuckDBPyConnection, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, con.interrupt)
        timer.daemon = True
        timer.start()
        return timer

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
        import time

        cap = min(max_rows or self.max_rows, self.max_rows)
        started = time.perf_counter()
        con = self._reader(tables)
        timer = self._with_timer(con, time_limit or self.time_limit)
        try:
            cur = con.execute(sql, list(params))
            columns = [d[0] for d in cur.description]
            types = [str(d[1]) for d in cur.description]
            rows = cur.fetchmany(cap + 1)
        except duckdb.Error as exc:
            raise self._translate(exc) from exc
        finally:
            timer.cancel()
            con.close()
        truncated = len(rows) > cap
        return QueryResult(
            columns, types, rows[:cap], truncated, round((time.perf_counter() - started) * 1000, 2)
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
        con = self._reader(tables)
        timer = self._with_timer(con, time_limit or getattr(settings, "KAIFANG_DOWNLOAD_TIME_LIMIT", 600.0))
        try:
            try:
                reader = con.execute(sql, list(params)).to_arrow_reader(batch_rows)
            except duckdb.Error as exc:
                raise self._translate(exc) from exc
            yield from reader
        finally:
            timer.cancel()
            con.close()

    def export_parquet(self, sql: str, params: Sequence[Any], *, tables: dict[str, Path], dest: Path) -> None:
        """Write a read-only query's result to one Parquet file (a download of a filtered table)."""
        con = self._reader(tables, writable=[dest])
        timer = self._with_timer(con, getattr(settings, "KAIFANG_DOWNLOAD_TIME_LIMIT", 600.0))
        try:
            con.execute(
                f"COPY ({sql}) TO {_literal_path(dest)} (FORMAT parquet, COMPRESSION zstd)", list(params)
            )
        except duckdb.Error as exc:
            raise self._translate(exc) from exc
        finally:
            timer.cancel()
            con.close()

    # --- the write path -------------------------------------------------------------------------------------

    def write(
        self, fn: Callable[[duckdb.DuckDBPyConnection], Any], *, time_limit: float | None = None
    ) -> Any:
        """Run `fn(con)` on a full-access connection, one at a time per process (ingest)."""
        with self._write_lock:
            con = self._connect()
            con.execute("SET preserve_insertion_order = true")
            timer = self._with_timer(
                con, time_limit or getattr(settings, "KAIFANG_INGEST_TIME_LIMIT", 3600.0)
            )
            try:
                return fn(con)
            finally:
                timer.cancel()
                con.close()


def engine() -> TableEngine:
    return TableEngine()
