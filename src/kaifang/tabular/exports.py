"""Whole-table downloads kept in the store, served with Range, each with the SHA-256 of its bytes.

A whole-table download (any format) is built once into the store's export cache and then served as a file:
a client can resume a broken download or fetch parts (Range, If-Range, 206, 416), and the bytes go out at
file speed (DuckDB writes CSV and Parquet on every core). Everything that determines the bytes (format, the
query with the actor's column and row scope, its parameters, the content-addressed files it reads, and for
XLSX the publication time written into it) names the file, so a cached file is never stale or another
actor's. Rebuilding it gives the same bytes (`downloads.py`), and its ETag and `X-Content-SHA256` are the
SHA-256 of the stored file, written next to it (`<file>.sha256`) when the file is made. JSON and GeoJSON
are streamed to their first requester while being stored. Filtered downloads are generated per request
and streamed, without Accept-Ranges, checksum or strong validator.
"""

# SQL here is built from schema names (quoted with quote_ident) and the engine's own parameterised filters.
# ruff: noqa: S608

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaifang.tabular import query as Q
from kaifang.tabular.downloads import DANGEROUS, FORMATS, Source, export_dir, neutralise
from kaifang.tabular.engine import quote_ident

# Part of every key: files built before downloads were byte-stable (rows in thread order) are not reused.
LAYOUT = "2"
# Every format a whole table is stored in, in the order the background task builds them (cheapest first).
STORED = ("csv", "csv-bom", "csv-gbk", "parquet", "json", "geojson", "xlsx")
# Written row by row in Python: the first request streams them while storing them (`stream_and_store`).
SENT_WHILE_STORED = ("json", "geojson")
# Publication prepares every format up to this many rows, and the DuckDB-written ones (CSV, Parquet) for any
# table: JSON, GeoJSON and XLSX of millions of rows would hold the worker for minutes (openpyxl writes
# ~30,000 cells/s), so those are stored by their first request.
PREPARE_ALL_ROWS = 200_000
PREPARED_ALWAYS = ("csv", "csv-bom", "csv-gbk", "parquet")


@dataclass
class Download:
    """One whole-table download: what it reads and how it is written."""

    fmt: str
    source: Source
    header: list[str]
    stamp: datetime.datetime  # the version's publication time (XLSX dates)
    lonlat: tuple[str, str] | None = None
    crs: str = ""

    def key(self) -> str:
        basis: list[Any] = [
            LAYOUT,
            self.fmt,
            self.source.sql(),
            [str(p) for p in self.source.params],
            sorted((k, str(v)) for k, v in self.source.tables.items()),
            self.header,
        ]
        if self.fmt == "xlsx":
            basis.append(
                self.stamp.astimezone(datetime.UTC).isoformat() if self.stamp.tzinfo else str(self.stamp)
            )
        if self.fmt == "geojson":
            basis += [self.lonlat, self.crs]
        return hashlib.sha256(json.dumps(basis, ensure_ascii=False).encode()).hexdigest()

    def path(self) -> Path:
        # Named by the content hashes it was made from: destroying an object removes its downloads.
        folder = "-".join(sorted(Path(p).stem for p in self.source.tables.values()))
        return export_dir(folder) / f"{self.key()}{FORMATS[self.fmt][1]}"


def is_whole_table(fmt: str, query: Any) -> bool:
    """No filter, field list or sort in the request (the actor's own column and row scope is in the key)."""
    return fmt in STORED and all(k == "format" for k in query)


SAMPLE_FORMATS = ("csv", "csv-bom", "csv-gbk", "xlsx", "json")


def for_sample(sample: Any, fmt: str) -> Download:
    """A public sample's download: its file holds no row number and is in row order (read on one thread)."""
    from kaifang.tabular.selectors import sample_path

    names = sample.column_names
    return Download(
        fmt, Source(names, {Q.TABLE: sample_path(sample)}, ordered=False), names, sample.created_at
    )


def for_whole_table(
    actor: Any, dataset: Any, formats: tuple[str, ...] = STORED
) -> tuple[Any, dict[str, Download]]:
    """The current version and the whole-table downloads `actor` gets (its columns and rows), by format;
    GeoJSON only for a table with coordinates."""
    from django.http import QueryDict

    from kaifang.tabular import selectors

    version, spec, _sql, _params = selectors.table_export(actor, dataset, QueryDict("format=csv"))
    lonlat = selectors.coordinate_columns([c for c in spec.columns if c["name"] in spec.select])
    source = Source.of(spec, selectors.version_tables(version))
    stamp = version.published_at or version.created_at
    return version, {
        fmt: Download(fmt, source, spec.select, stamp, lonlat, dataset.coordinate_system)
        for fmt in formats
        if fmt != "geojson" or lonlat
    }


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def stored_checksum(download: Download) -> str | None:
    """The SHA-256 of a stored download if it has been built, else None (nothing is built here)."""
    path = download.path()
    if not path.is_file():
        return None
    return _read_or_write_checksum(path)


def _read_or_write_checksum(path: Path) -> str:
    from kaifang.tabular.store import file_sha256, get_store

    side = _checksum_path(path)
    try:
        digest = side.read_text().strip()
        if len(digest) == 64:
            return digest
    except FileNotFoundError:
        pass
    digest = file_sha256(path)  # a file stored before checksums were kept
    tmp = get_store().new_temp(".sha256")
    tmp.write_text(digest)
    os.replace(tmp, side)
    return digest


def stored_file(download: Download) -> tuple[Path, str]:
    """The stored file and its SHA-256, built (in the store's temp area, then moved into place) if missing.
    The checksum is moved in before the file: whoever sees the file finds its checksum."""
    from kaifang.tabular.store import file_sha256, get_store

    dest = download.path()
    if dest.is_file():
        return dest, _read_or_write_checksum(dest)
    store = get_store()
    tmp = store.new_temp(FORMATS[download.fmt][1])
    side = store.new_temp(".sha256")
    try:
        _write(download, tmp)
        digest = file_sha256(tmp)
        _move_into_place(tmp, side, digest, dest)
    finally:
        tmp.unlink(missing_ok=True)
        side.unlink(missing_ok=True)
    return dest, digest


def stream_and_store(download: Download) -> Iterator[bytes]:
    """A format generated row by row (JSON, GeoJSON) sent as it is written, and stored with its checksum
    once complete, for the next request: the first client gets its first byte at once instead of after
    the whole file. A client that goes away leaves nothing behind."""
    from kaifang.tabular import downloads
    from kaifang.tabular.store import get_store

    store = get_store()
    tmp, side = store.new_temp(FORMATS[download.fmt][1]), store.new_temp(".sha256")
    d, digest, complete = download, hashlib.sha256(), False
    try:
        with open(tmp, "wb") as out:
            for chunk in downloads.body(d.fmt, d.source, d.header, lonlat=d.lonlat, stamp=d.stamp, crs=d.crs):
                out.write(chunk)
                digest.update(chunk)
                yield chunk
        complete = True
    finally:
        if complete:
            _move_into_place(tmp, side, digest.hexdigest(), download.path())
        tmp.unlink(missing_ok=True)
        side.unlink(missing_ok=True)


def _move_into_place(tmp: Path, side: Path, digest: str, dest: Path) -> None:
    side.write_text(digest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(side, _checksum_path(dest))
    os.replace(tmp, dest)


def _write(download: Download, tmp: Path) -> None:
    from kaifang.tabular import downloads

    d, source = download, download.source
    if d.fmt == "parquet":
        source.engine().export_parquet(source.sql(), source.params, tables=source.tables, dest=tmp)
    elif d.fmt.startswith("csv"):
        _write_csv(tmp, d)
    elif d.fmt == "xlsx":
        downloads.write_xlsx(tmp, source, d.header, d.stamp)
    else:
        with open(tmp, "wb") as out:
            for chunk in downloads.body(d.fmt, source, d.header, lonlat=d.lonlat, stamp=d.stamp, crs=d.crs):
                out.write(chunk)


def _guarded_columns(source: Source) -> list[str]:
    """The select list with the formula guard on text columns and headers, in SQL (the rule of
    `neutralise`): a text value or a column name starting with a formula character gets an apostrophe."""
    names = ", ".join(quote_ident(n) for n in source.select)
    probe = source.engine().query(
        f"SELECT {names} FROM {Q.TABLE} LIMIT 0", [], tables=source.tables, max_rows=1
    )
    risky = ", ".join(f"chr({ord(c)})" for c in DANGEROUS)
    columns = []
    for name, sql_type in zip(source.select, probe.types, strict=True):
        q, alias = f"{Q.TABLE}.{quote_ident(name)}", quote_ident(neutralise(name))
        if sql_type == "VARCHAR":
            columns.append(f"CASE WHEN left({q}, 1) IN ({risky}) THEN chr(39) || {q} ELSE {q} END AS {alias}")
        else:
            columns.append(f"{q} AS {alias}")
    return columns


def _write_csv(dest: Path, download: Download) -> None:
    """A whole-table CSV: UTF-8 written by DuckDB (its header is the guarded aliases); the BOM and GB18030
    variants are made from the stored UTF-8 file of the same download (built first if missing), so the
    table is read and sorted once for all three."""
    import codecs
    import dataclasses

    source = download.source
    if download.fmt == "csv":
        source.engine().export_csv(
            source.sql(_guarded_columns(source)), source.params, tables=source.tables, dest=dest
        )
        return
    utf8, _digest = stored_file(dataclasses.replace(download, fmt="csv"))
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(utf8, "rb") as fin, open(dest, "wb") as fout:
        if download.fmt == "csv-bom":
            fout.write(codecs.BOM_UTF8)
        while data := fin.read(16 * 1024 * 1024):
            fout.write(data if download.fmt == "csv-bom" else decoder.decode(data).encode("gb18030"))


# --- Range --------------------------------------------------------------------------------------------------


def _range(header: str, size: int) -> tuple[int, int] | str | None:
    """One byte range of a `Range` header as (first, last) inclusive; "unsatisfiable"; or None when the
    header is to be ignored (not bytes, malformed, or several ranges: the whole file is the answer then)."""
    unit, _sep, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "":
            return None
        n = int(last)
        return "unsatisfiable" if n == 0 or size == 0 else (max(size - n, 0), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _if_range_holds(request: Any, etag: str, last_modified: Any) -> bool:
    from django.utils.http import http_date

    value = request.headers.get("If-Range")
    if not value:
        return True
    if value.startswith(('"', "W/")):
        return value == etag  # strong comparison: a weak validator never matches
    return value == http_date(last_modified.timestamp())


def _slice(path: Path, start: int, length: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        while length > 0:
            data = fh.read(min(chunk, length))
            if not data:
                break
            length -= len(data)
            yield data


def ranged_response(request: Any, path: Path, content_type: str, etag: str, last_modified: Any) -> Any:
    """A stored file as 200 (whole), 206 (one range) or 416 (a range outside the file)."""
    from django.http import FileResponse, HttpResponse, StreamingHttpResponse

    size = path.stat().st_size
    wanted = _range(request.headers.get("Range", ""), size) if request.headers.get("Range") else None
    if wanted is not None and not _if_range_holds(request, etag, last_modified):
        wanted = None  # the client's copy is of another file: send the whole new one
    if wanted == "unsatisfiable":
        response: Any = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        # FileResponse hands the open file to the server's sendfile path (wsgi.file_wrapper).
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 - closed by Django
        response["Content-Length"] = str(size)
    else:
        first, last = wanted  # type: ignore[misc]
        response = StreamingHttpResponse(
            _slice(path, first, last - first + 1), content_type=content_type, status=206
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    return response
