"""Streaming downloads of a table or a filtered query: CSV (UTF-8, UTF-8 with BOM, GBK), XLSX, JSON,
Parquet and GeoJSON. Memory stays constant: rows come from the engine in Arrow batches and leave as bytes.

Spreadsheet formula injection (OWASP "CSV injection") is neutralised in CSV and XLSX: a text cell starting
with = + - @ (or a tab / carriage return) gets a leading apostrophe, so a spreadsheet shows it as text.
"""

# SQL here wraps the engine's own validated queries, with quoted identifiers (see quote_ident).
# ruff: noqa: S608

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kaifang.tabular import query as Q
from kaifang.tabular.engine import TableEngine

FORMATS = {
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "csv-bom": ("text/csv; charset=utf-8", ".csv"),
    "csv-gbk": ("text/csv; charset=gbk", ".csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "json": ("application/json; charset=utf-8", ".json"),
    "parquet": ("application/vnd.apache.parquet", ".parquet"),
    "geojson": ("application/geo+json; charset=utf-8", ".geojson"),
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    v = Q.plain(value)
    return "" if v is None else v


def _batches(
    sql: str, params: list[Any], tables: dict[str, Path]
) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    for batch in TableEngine().stream(sql, params, tables=tables):
        names = batch.schema.names
        cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        yield names, list(zip(*cols, strict=True)) if cols else []


def _neutralise_batch(batch: Any) -> Any:
    """The formula guard on every text column of an Arrow batch, in Arrow (no per-cell Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for col in batch.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.match_substring_regex(col, r"^[=+\-@\t\r]")
            col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        columns.append(col)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def stream_csv(
    sql: str, params: list[Any], tables: dict[str, Path], header: list[str], variant: str
) -> Iterator[bytes]:
    """CSV written by Arrow's C++ writer batch by batch; GBK is re-encoded per batch (as GB18030, which is
    byte-identical to GBK for every GBK character)."""
    import pyarrow.csv as pacsv

    def encode(data: bytes) -> bytes:
        return data.decode("utf-8").encode("gb18030") if variant == "csv-gbk" else data

    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow(header)
    yield ("\ufeff" if variant == "csv-bom" else "").encode() + encode(head.getvalue().encode())
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed", delimiter=",", eol="\r\n")
    for batch in TableEngine().stream(sql, params, tables=tables):
        sink = io.BytesIO()
        pacsv.write_csv(_neutralise_batch(batch), sink, options)
        yield encode(sink.getvalue())


def stream_json(sql: str, params: list[Any], tables: dict[str, Path], header: list[str]) -> Iterator[bytes]:
    yield b"["
    first = True
    for _names, rows in _batches(sql, params, tables):
        parts = []
        for row in rows:
            parts.append(
                json.dumps(dict(zip(header, [Q.plain(v) for v in row], strict=True)), ensure_ascii=False)
            )
        if parts:
            yield ((b"" if first else b",") + ",\n".join(parts).encode())
            first = False
    yield b"]\n"


def stream_geojson(
    sql: str, params: list[Any], tables: dict[str, Path], header: list[str], lonlat: tuple[str, str]
) -> Iterator[bytes]:
    lon_i, lat_i = header.index(lonlat[0]), header.index(lonlat[1])
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for _names, rows in _batches(sql, params, tables):
        parts = []
        for row in rows:
            try:
                coords = [float(row[lon_i]), float(row[lat_i])]
            except (TypeError, ValueError):
                continue
            props = {
                h: Q.plain(v)
                for i, (h, v) in enumerate(zip(header, row, strict=True))
                if i not in (lon_i, lat_i)
            }
            feature = {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": coords},
                "properties": props,
            }
            parts.append(json.dumps(feature, ensure_ascii=False))
        if parts:
            yield ((b"" if first else b",") + ",\n".join(parts).encode())
            first = False
    yield b"]}\n"


def _file_chunks(path: Path, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while data := fh.read(chunk):
                yield data
    finally:
        path.unlink(missing_ok=True)


def xlsx_file(sql: str, params: list[Any], tables: dict[str, Path], header: list[str]) -> Iterator[bytes]:
    """openpyxl's write-only mode streams rows to disk; the finished file is then streamed out and removed."""
    tmp = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    _write_xlsx(tmp, sql, params, tables, header)
    return _file_chunks(tmp)


def _write_xlsx(dest: Path, sql: str, params: list[Any], tables: dict[str, Path], header: list[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title="data")
    ws.append(header)
    n = 0
    for _names, rows in _batches(sql, params, tables):
        for row in rows:
            n += 1
            if n > XLSX_MAX_ROWS:
                break
            ws.append([neutralise(_cell(v)) for v in row])
    wb.save(dest)


def parquet_file(sql: str, params: list[Any], tables: dict[str, Path]) -> Iterator[bytes]:
    tmp = Path(tempfile.mkdtemp()) / "export.parquet"
    TableEngine().export_parquet(sql, params, tables=tables, dest=tmp)
    return _file_chunks(tmp)


def body(
    fmt: str, sql: str, params: list[Any], tables: dict[str, Path], header: list[str], lonlat: Any
) -> Iterator[bytes]:
    if fmt.startswith("csv"):
        return stream_csv(sql, params, tables, header, fmt)
    if fmt == "json":
        return stream_json(sql, params, tables, header)
    if fmt == "geojson":
        return stream_geojson(sql, params, tables, header, lonlat)
    if fmt == "xlsx":
        return xlsx_file(sql, params, tables, header)
    if fmt == "parquet":
        return parquet_file(sql, params, tables)
    raise Q.bad("format", _("不支持的下载格式。"))


# --- whole-table files kept in the store, served with Range ----------------------------------------------------
#
# A whole-table Parquet, XLSX or CSV download is built once into the store's export cache and then served as
# a file: a client can resume a broken download or fetch parts (Range, If-Range, 206, 416), and the bytes go
# out at file speed (DuckDB writes the CSV on every core; the streamed writer managed ~55 MB/s). Everything that
# determines the bytes (format, the SQL with the actor's column and row scope, its parameters, and the
# content-addressed files it reads) names the file, so a cached file can never be stale or another actor's.
# Filtered downloads, JSON and GeoJSON are generated per request and streamed, without Accept-Ranges.

PREBUILT = ("parquet", "xlsx", "csv", "csv-bom", "csv-gbk")


def prebuilt_key(fmt: str, query: Any, sql: str, params: list[Any], tables: dict[str, Path]) -> str | None:
    """The cache key of a whole-table download in a pre-built format; None for anything generated."""
    import hashlib

    if fmt not in PREBUILT or any(k != "format" for k in query):
        return None
    basis = json.dumps(
        [fmt, sql, [str(p) for p in params], sorted((k, str(v)) for k, v in tables.items())],
        ensure_ascii=False,
    )
    return hashlib.sha256(basis.encode()).hexdigest()


def export_dir(object_stem: str) -> Path:
    """Where the stored downloads made from one store object live: destroying the object (privacy, X1)
    removes the folder, whichever actor's column and row scope each file was cut to."""
    from kaifang.tabular.store import get_store

    return get_store().root / "exports" / object_stem


def prebuilt_file(
    key: str, fmt: str, sql: str, params: list[Any], tables: dict[str, Path], header: list[str]
) -> Path:
    """The stored file for `key`, built (in the store's temp area, then moved into place) if missing."""
    import os

    from kaifang.tabular.store import get_store

    store = get_store()
    folder = "-".join(sorted(Path(p).stem for p in tables.values()))  # the content hashes it was made from
    dest = export_dir(folder) / f"{key}{FORMATS[fmt][1]}"
    if dest.is_file():
        return dest
    tmp = store.new_temp(FORMATS[fmt][1])
    try:
        if fmt == "parquet":
            TableEngine().export_parquet(sql, params, tables=tables, dest=tmp)
        elif fmt.startswith("csv"):
            _write_csv(tmp, sql, params, tables, fmt)
        else:
            _write_xlsx(tmp, sql, params, tables, header)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _guarded_select(sql: str, params: list[Any], tables: dict[str, Path]) -> str:
    """The query with the formula guard on its text columns, in SQL (the same rule as `neutralise`)."""
    from kaifang.tabular.engine import quote_ident

    probe = TableEngine().query(f"SELECT * FROM ({sql}) AS export LIMIT 0", params, tables=tables)
    risky = ", ".join(f"chr({ord(c)})" for c in DANGEROUS)
    columns = []
    for name, sql_type in zip(probe.columns, probe.types, strict=True):
        q = quote_ident(name)
        if sql_type == "VARCHAR":
            columns.append(f"CASE WHEN left({q}, 1) IN ({risky}) THEN chr(39) || {q} ELSE {q} END AS {q}")
        else:
            columns.append(q)
    return f"SELECT {', '.join(columns)} FROM ({sql}) AS export"


def _write_csv(dest: Path, sql: str, params: list[Any], tables: dict[str, Path], variant: str) -> None:
    """A whole-table CSV: UTF-8 written by DuckDB, then given its BOM or re-encoded as GBK (GB18030, which
    is byte-identical to GBK for every GBK character) chunk by chunk."""
    import codecs

    from kaifang.tabular.store import get_store

    guarded = _guarded_select(sql, params, tables)
    if variant == "csv":
        TableEngine().export_csv(guarded, params, tables=tables, dest=dest)
        return
    utf8 = get_store().new_temp(".csv")
    try:
        TableEngine().export_csv(guarded, params, tables=tables, dest=utf8)
        decoder = codecs.getincrementaldecoder("utf-8")()
        with open(utf8, "rb") as fin, open(dest, "wb") as fout:
            if variant == "csv-bom":
                fout.write(codecs.BOM_UTF8)
            while data := fin.read(16 * 1024 * 1024):
                fout.write(data if variant == "csv-bom" else decoder.decode(data).encode("gb18030"))
    finally:
        utf8.unlink(missing_ok=True)


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
