"""Downloads of a table or a filtered query: CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX, JSON, Parquet and
GeoJSON, written from one ordered query. Memory stays constant: rows come from the engine in Arrow batches
and leave as bytes. Whole-table files are kept in the store (`exports.py`); everything here also streams.

The same version always gives the same bytes: rows in the data API's default order (the row number `_id`,
or the requested sort with `_id` breaking ties), and an XLSX whose dates are the version's publication time.

Spreadsheet formula injection (OWASP "CSV injection") is neutralised where a spreadsheet would run it: a CSV
text cell or header starting with = + - @ (or a tab / carriage return) gets a leading apostrophe; in XLSX
every text cell and header is written as a string cell, never a formula, so the text stays as it is. JSON,
GeoJSON and Parquet carry the data unchanged: nothing reading them evaluates formulas.
"""

# SQL here is built from schema names (quoted with quote_ident) and the engine's own parameterised filters.
# ruff: noqa: S608

from __future__ import annotations

import csv
import datetime
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kaifang.tabular import query as Q
from kaifang.tabular.engine import TableEngine, quote_ident

FORMATS = {
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "csv-bom": ("text/csv; charset=utf-8", ".csv"),
    # GB18030 (a superset of GBK): characters outside GBK survive, so the label must say GB18030.
    "csv-gbk": ("text/csv; charset=gb18030", ".csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "json": ("application/json; charset=utf-8", ".json"),
    "parquet": ("application/vnd.apache.parquet", ".parquet"),
    "geojson": ("application/geo+json; charset=utf-8", ".geojson"),
}
# Distinct file names for the variants of one format, so a checksum on the page names one file.
NAME_SUFFIX = {"csv-bom": "-excel", "csv-gbk": "-gb18030"}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575


def filename(stem: str, fmt: str) -> str:
    return f"{stem}{NAME_SUFFIX.get(fmt, '')}{FORMATS[fmt][1]}"


@dataclass
class Source:
    """What a download reads: columns, filters and order over `tables`. `ordered` is False only for files
    without the row number (a sample, written in row order): those are read on one thread, in file order."""

    select: list[str]
    tables: dict[str, Path]
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    ordered: bool = True

    @classmethod
    def of(cls, spec: Any, tables: dict[str, Path]) -> Source:
        return cls(list(spec.select), tables, list(spec.where), list(spec.params), list(spec.order))

    def sql(self, columns: list[str] | None = None) -> str:
        """The query, ordered at its top level (an ORDER BY in a subquery is not kept by DuckDB's parallel
        writers). Order keys name the table's own columns, not the select list's aliases."""
        sql = f"SELECT {', '.join(columns or [quote_ident(n) for n in self.select])} FROM {Q.TABLE}"
        if self.where:
            sql += " WHERE " + " AND ".join(self.where)
        if self.ordered:
            keys = [f"{Q.TABLE}.{quote_ident(n)} {'DESC' if d else 'ASC'} NULLS LAST" for n, d in self.order]
            sql += " ORDER BY " + ", ".join([*keys, f"{Q.TABLE}._id ASC"])
        return sql

    def engine(self, **kw: Any) -> TableEngine:
        return TableEngine(**kw) if self.ordered else TableEngine(threads=1, **kw)


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    v = Q.plain(value)
    return "" if v is None else v


def _batches(source: Source) -> Iterator[list[tuple[Any, ...]]]:
    for batch in source.engine().stream(source.sql(), source.params, tables=source.tables):
        cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        yield list(zip(*cols, strict=True)) if cols else []


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


def _encoder(variant: str) -> Any:
    if variant == "csv-gbk":
        return lambda data: data.decode("utf-8").encode("gb18030")
    return lambda data: data


def csv_header(header: list[str], variant: str) -> bytes:
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow([neutralise(h) for h in header])
    return ("\ufeff" if variant == "csv-bom" else "").encode() + _encoder(variant)(head.getvalue().encode())


def stream_csv(source: Source, header: list[str], variant: str) -> Iterator[bytes]:
    """CSV written by Arrow's C++ writer batch by batch; GB18030 is re-encoded per batch."""
    import pyarrow.csv as pacsv

    encode = _encoder(variant)
    yield csv_header(header, variant)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed", delimiter=",", eol="\r\n")
    for batch in source.engine().stream(source.sql(), source.params, tables=source.tables):
        sink = io.BytesIO()
        pacsv.write_csv(_neutralise_batch(batch), sink, options)
        yield encode(sink.getvalue())


def stream_json(source: Source, header: list[str]) -> Iterator[bytes]:
    yield b"["
    first = True
    for rows in _batches(source):
        parts = [
            json.dumps(dict(zip(header, [Q.plain(v) for v in row], strict=True)), ensure_ascii=False)
            for row in rows
        ]
        if parts:
            yield ((b"" if first else b",") + ",\n".join(parts).encode())
            first = False
    yield b"]\n"


def _point(lon: Any, lat: Any) -> dict[str, Any] | None:
    try:
        coords = [float(lon), float(lat)]
    except (TypeError, ValueError):
        return None
    if any(c != c or c in (float("inf"), float("-inf")) for c in coords):
        return None
    return {"type": "Point", "coordinates": coords}


def stream_geojson(source: Source, header: list[str], lonlat: tuple[str, str], crs: str) -> Iterator[bytes]:
    """Every row is a feature: a row without usable coordinates has `"geometry": null` (RFC 7946 §3.2).
    The coordinate system the publisher declared is stated as a foreign member (and as the legacy `crs`
    member where it has a registered name), since RFC 7946 presumes WGS 84."""
    from kaifang.catalog.choices import crs_geojson_members

    lon_i, lat_i = header.index(lonlat[0]), header.index(lonlat[1])
    members = json.dumps(crs_geojson_members(crs), ensure_ascii=False)[1:-1]
    yield ('{"type":"FeatureCollection",' + members + ',"features":[').encode()
    first = True
    for rows in _batches(source):
        parts = []
        for row in rows:
            props = {
                h: Q.plain(v)
                for i, (h, v) in enumerate(zip(header, row, strict=True))
                if i not in (lon_i, lat_i)
            }
            feature = {"type": "Feature", "geometry": _point(row[lon_i], row[lat_i]), "properties": props}
            parts.append(json.dumps(feature, ensure_ascii=False))
        if parts:
            yield ((b"" if first else b",") + ",\n".join(parts).encode())
            first = False
    yield b"]}\n"


def file_chunks(path: Path, chunk: int = 1024 * 1024, remove: bool = True) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while data := fh.read(chunk):
                yield data
    finally:
        if remove:
            path.unlink(missing_ok=True)


# --- XLSX ---------------------------------------------------------------------------------------------------


def _fixed_zip(dest: Path, stamp: datetime.datetime) -> Any:  # stamp: naive UTC
    """A ZipFile whose every entry has the same date and attributes, whenever and from whatever temp file
    it is written: openpyxl stamps entries with the clock and its temp files' mtimes."""
    import shutil
    import zipfile

    date_time = max(stamp, datetime.datetime(1980, 1, 1)).timetuple()[:6]

    class FixedZip(zipfile.ZipFile):
        def _info(self, name: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            return info

        def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kw: Any) -> None:
            name = (
                zinfo_or_arcname.filename
                if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
                else zinfo_or_arcname
            )
            super().writestr(self._info(name), data)

        def write(self, filename: Any, arcname: Any = None, *args: Any, **kw: Any) -> None:
            with (
                open(filename, "rb") as src,
                self.open(self._info(arcname or str(filename)), "w", force_zip64=True) as out,
            ):
                shutil.copyfileobj(src, out, 1024 * 1024)

    return FixedZip(dest, "w", zipfile.ZIP_DEFLATED, allowZip64=True)


def _text_cell(ws: Any, value: str) -> Any:
    """A string cell: openpyxl would make any text starting with "=" a formula. Control characters that
    XML cannot hold (and that would fail the whole file) become U+FFFD."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(ws)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell.data_type = "s"
    return cell


def _xlsx_value(ws: Any, value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    v = _cell(value)
    if isinstance(v, str) and (v.startswith("=") or ILLEGAL_CHARACTERS_RE.search(v)):
        return _text_cell(ws, v)
    return v


def write_xlsx(dest: Path, source: Source, header: list[str], stamp: datetime.datetime) -> None:
    """openpyxl's write-only mode streams rows to disk. Its dates (workbook properties and zip entries) are
    `stamp`, the version's publication time, so rebuilding gives the same bytes."""
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    naive = (stamp.astimezone(datetime.UTC) if stamp.tzinfo else stamp).replace(tzinfo=None, microsecond=0)
    wb = openpyxl.Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = naive
    wb.properties.creator = wb.properties.lastModifiedBy = "Kaifang"
    ws = wb.create_sheet(title="data")
    ws.append([_text_cell(ws, str(h)) for h in header])
    n = 0
    for rows in _batches(source):
        for row in rows:
            n += 1
            if n > XLSX_MAX_ROWS:
                break
            ws.append([_xlsx_value(ws, v) for v in row])
    ExcelWriter(wb, _fixed_zip(dest, naive)).save()


def xlsx_file(source: Source, header: list[str], stamp: datetime.datetime) -> Iterator[bytes]:
    """A generated XLSX: written to a temp file, then streamed out and removed."""
    tmp = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    write_xlsx(tmp, source, header, stamp)
    return file_chunks(tmp)


def parquet_file(source: Source) -> Iterator[bytes]:
    tmp = Path(tempfile.mkdtemp()) / "export.parquet"
    source.engine().export_parquet(source.sql(), source.params, tables=source.tables, dest=tmp)
    return file_chunks(tmp)


def body(
    fmt: str,
    source: Source,
    header: list[str],
    *,
    lonlat: tuple[str, str] | None = None,
    stamp: datetime.datetime | None = None,
    crs: str = "",
) -> Iterator[bytes]:
    """The bytes of a download, generated per request."""
    if fmt.startswith("csv"):
        return stream_csv(source, header, fmt)
    if fmt == "json":
        return stream_json(source, header)
    if fmt == "geojson" and lonlat:
        return stream_geojson(source, header, lonlat, crs)
    if fmt == "xlsx":
        return xlsx_file(source, header, stamp or datetime.datetime(1980, 1, 1))
    if fmt == "parquet":
        return parquet_file(source)
    raise Q.bad("format", _("不支持的下载格式。"))


def export_dir(object_stem: str) -> Path:
    """Where the stored downloads made from one store object live: destroying the object (privacy, X1)
    removes the folder, whichever actor's column and row scope each file was cut to."""
    from kaifang.tabular.store import get_store

    return get_store().root / "exports" / object_stem
