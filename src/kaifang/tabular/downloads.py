"""Streaming downloads of a table or a filtered query: CSV (UTF-8, UTF-8 with BOM, GBK), XLSX, JSON,
Parquet and GeoJSON. Memory stays constant: rows come from the engine in Arrow batches and leave as bytes.

Spreadsheet formula injection (OWASP "CSV injection") is neutralised in CSV and XLSX: a text cell starting
with = + - @ (or a tab / carriage return) gets a leading apostrophe, so a spreadsheet shows it as text.
"""

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
    tmp = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    wb.save(tmp)
    return _file_chunks(tmp)


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
