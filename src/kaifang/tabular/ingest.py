"""From an uploaded file to a validated, profiled Parquet file (not yet a version: services.py records it).

Pipeline: check the name → sniff the format from the bytes (the extension must agree) → for text, detect or
take the encoding and transcode to UTF-8 in a streaming pass with strict errors (DuckDB cannot read GBK) →
parse with DuckDB with every column as VARCHAR (its sniffer would turn ID and phone numbers into integers) →
validate against the declared catalog fields in SQL → write Parquet with explicit casts → profile.
All DuckDB work runs through `engine.TableEngine.write`.
"""

# SQL here is built from schema-validated, quoted identifiers and bound parameters only (see quote_ident).
# ruff: noqa: S608

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import json
import re
import shutil
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AnyStr

from django.conf import settings
from django.utils.translation import gettext as _

from kaifang.core.errors import ValidationFailed
from kaifang.tabular.engine import ROW_GROUP_ROWS, TableEngine, quote_ident
from kaifang.tabular.fastcode import gbk_to_utf8
from kaifang.tabular.store import LocalStore, file_sha256, get_store

Progress = Callable[[str, float], None]

CHUNK = 16 * 1024 * 1024
SAMPLE = 1024 * 1024
REPORT_LIMIT = 1000
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-8-bom": "utf-8-sig",
    "gbk": "gbk",
    "gb2312": "gbk",
    "cp936": "gbk",
    "gb18030": "gb18030",
}
TEXT_EXTS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv"}
JSON_EXTS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".geojson": "geojson"}
TRUE_WORDS = ("true", "t", "1", "y", "yes", "是", "真")
FALSE_WORDS = ("false", "f", "0", "n", "no", "否", "假")
TYPE_LABELS = {
    "N": "数值",
    "Y": "货币金额",
    "D": "日期",
    "T": "日期时间",
    "L": "逻辑值",
    "B": "双精度数",
    "I": "整数",
    "F": "浮点数",
}


class IngestError(ValidationFailed):
    code = "ingest_failed"


@dataclass
class FieldSpec:
    name: str
    data_type: str = "C"
    length: int | None = None
    is_primary_key: bool = False
    value_range: str = ""
    open_attribute: str = "unconditional"
    code: str = ""
    name_en: str = ""

    @classmethod
    def from_field(cls, f: Any) -> FieldSpec:
        return cls(
            name=f.name,
            data_type=f.data_type,
            length=f.length,
            is_primary_key=f.is_primary_key,
            value_range=f.value_range or "",
            open_attribute=f.open_attribute,
            code=f.code,
            name_en=f.name_en or "",
        )


@dataclass
class IngestResult:
    parquet: Path
    row_count: int
    schema: list[dict[str, Any]]
    profile: dict[str, Any]
    bad_rows: list[dict[str, Any]]
    bad_row_count: int
    quarantined_count: int
    source_format: str
    source_encoding: str
    source_hash: str
    quarantine: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- names, formats, encodings --------------------------------------------------------------------------------


def check_filename(name: str) -> str:
    """Refuse names with control characters or path parts; return the bare name."""
    if not name or len(name) > 255:
        raise IngestError(_("文件名为空或过长。"), code="bad_filename")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in name):
        raise IngestError(_("文件名包含控制字符，已拒绝。"), code="bad_filename")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".."):
        raise IngestError(_("文件名包含路径（如 ../），已拒绝。"), code="bad_filename")
    return name


def detect_format(path: Path, filename: str) -> str:
    ext = Path(filename).suffix.lower()
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head:
        raise IngestError(_("文件为空。"), code="empty_file")
    is_zip = head.startswith(b"PK\x03\x04")
    if ext == ".xlsx":
        if not is_zip:
            raise IngestError(_("文件内容不是 XLSX 表格，与扩展名不符。"), code="format_mismatch")
        return "xlsx"
    if ext not in TEXT_EXTS and ext not in JSON_EXTS:
        raise IngestError(
            _("不支持的文件类型“%(ext)s”，请上传 CSV、TSV、XLSX、JSON 或 GeoJSON。") % {"ext": ext or "—"},
            code="unsupported_format",
        )
    binary_magic = (
        b"PK\x03\x04",
        b"%PDF",
        b"\x89PNG",
        b"\xff\xd8\xff",
        b"GIF8",
        b"\xd0\xcf\x11\xe0",
        b"\x1f\x8b",
    )
    if is_zip or head.startswith(binary_magic) or b"\x00" in head:
        raise IngestError(
            _("文件内容不是文本表格（可能是压缩包、图片或其他二进制文件），与扩展名“%(ext)s”不符。")
            % {"ext": ext},
            code="format_mismatch",
        )
    if ext in JSON_EXTS:
        first = head.lstrip(codecs.BOM_UTF8).lstrip()[:1]
        if first not in (b"[", b"{"):
            raise IngestError(
                _("文件内容不是 JSON，与扩展名“%(ext)s”不符。") % {"ext": ext}, code="format_mismatch"
            )
        kind = JSON_EXTS[ext]
        if kind == "json" and first == b"{":
            kind = "geojson" if b'"FeatureCollection"' in head else "jsonl"
        return kind
    return TEXT_EXTS[ext]


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    utf8_error = None
    for enc in ("utf-8", "gbk", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)("strict").decode(head, final=False)
            return enc
        except UnicodeDecodeError as exc:
            if enc == "utf-8":
                utf8_error = exc
            continue
    if utf8_error is not None and not head[: utf8_error.start].isascii():
        offset = utf8_error.start
        raise IngestError(
            _("第 %(offset)s 字节之前是 UTF-8，之后不是：文件混合了多种编码。请统一编码后重新上传。")
            % {"offset": offset},
            code="bad_encoding",
            details={"offset": offset, "encoding": "utf-8"},
        )
    raise IngestError(
        _("无法识别文件编码：既不是 UTF-8，也不是 GBK/GB18030。请另存为 UTF-8 后重新上传。"),
        code="bad_encoding",
    )


def _normalise_encoding(encoding: str | None) -> str | None:
    if not encoding:
        return None
    enc = ENCODINGS.get(encoding.strip().lower())
    if enc is None:
        raise IngestError(
            _("不支持的编码“%(enc)s”，可选：UTF-8、UTF-8-SIG、GBK、GB18030。") % {"enc": encoding},
            code="bad_encoding",
        )
    return enc


def _is_valid_utf8_with_non_ascii(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE)
    if head.isascii():
        return False
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def transcode(
    path: Path,
    encoding: str,
    dest: Path | None,
    progress: Progress | None = None,
) -> None:
    """Decode the whole file strictly in chunks (constant memory) and, if `dest` is given, write UTF-8 there.
    Line lengths are checked before, in bytes (`long_line_at`)."""
    total = max(path.stat().st_size, 1)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    consumed = 0
    out = open(dest, "w", encoding="utf-8", newline="") if dest is not None else None
    try:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                final = not chunk
                try:
                    text = decoder.decode(chunk, final=final)
                except UnicodeDecodeError as exc:
                    if final:
                        raise IngestError(
                            _("文件在一个字符的中间结束，可能不完整（被截断）。"), code="truncated"
                        ) from exc
                    offset = consumed + exc.start
                    raise IngestError(
                        _(
                            "第 %(offset)s 字节处的内容不是有效的 %(enc)s 编码：编码声明可能有误，"
                            "或文件混合了多种编码。"
                        )
                        % {"offset": offset, "enc": encoding.upper()},
                        code="bad_encoding",
                        details={"offset": offset, "encoding": encoding},
                    ) from exc
                if out is not None and text:
                    out.write(text)
                if final:
                    break
                consumed += len(chunk)
                if progress:
                    progress("transcode", consumed / total)
    finally:
        if out is not None:
            out.close()


def _check_lines(text: AnyStr, line_len: int, max_line: int) -> tuple[int, int | None]:
    """Carry the length of the current line across a chunk (of text, or of bytes: then lengths are in bytes).
    Returns (new length, None), or (_, start) when a line is too long: `start` is where it begins in `text`,
    -1 if in an earlier chunk. Line numbers are not counted here; `_newlines_before_byte` counts them on
    refusal only."""
    nl = _newline(text)
    first = text.find(nl)
    if first < 0:
        return line_len + len(text), (-1 if line_len + len(text) > max_line else None)
    if line_len + first > max_line:
        return 0, -1
    last = text.rfind(nl)
    start = _long_line(text, first + 1, last, max_line)
    if start is not None:
        return 0, start
    line_len = len(text) - last - 1
    return line_len, (last + 1 if line_len > max_line else None)


def long_line_at(path: Path, max_line: int, chunk_size: int = CHUNK) -> int | None:
    """The byte offset where the file's first line longer than `max_line` bytes starts, or None. One read in
    chunks (constant memory; a few `find` calls per chunk), before DuckDB parses: DuckDB would hold such a
    line in memory and then skip it without a word."""
    return scan_lines(path, max_line, chunk_size)[0]


def scan_lines(path: Path, max_line: int, chunk_size: int = CHUNK) -> tuple[int | None, bool]:
    """`long_line_at`, and whether the file mixes CRLF and LF line ends, in the same read. DuckDB's strict
    parser takes the line end of the first lines for the whole file and refuses any other, so a file saved
    with CRLF whose last line an editor ended with LF would be refused. (A line break inside a quoted value
    counts too; unifying such a file costs a copy and changes nothing.)"""
    line_len, line_start, pos = 0, 0, 0
    crlf = lf = 0
    last_byte = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            line_len, start = _check_lines(chunk, line_len, max_line)
            if start is not None:
                return (line_start if start < 0 else pos + start), False
            if (last := chunk.rfind(b"\n")) >= 0:
                line_start = pos + last + 1
            lf += chunk.count(b"\n")
            crlf += chunk.count(b"\r\n") + (last_byte == b"\r" and chunk[:1] == b"\n")
            last_byte = chunk[-1:]
            pos += len(chunk)
    return None, 0 < crlf < lf


def unify_line_ends(src: Path, dest: Path, chunk_size: int = CHUNK) -> None:
    """Copy a CSV with every CRLF outside quoted values written as LF (a quoted value keeps its own line
    breaks). The quote state is the parity of the quotes seen so far: a doubled quote toggles twice.
    Newline and quote bytes are never part of a multibyte UTF-8, GBK or GB18030 character, so this works on
    the original bytes of any accepted encoding."""
    inside = False
    carry = b""
    with open(src, "rb") as fin, open(dest, "wb") as out:
        while True:
            chunk = fin.read(chunk_size)
            data = carry + chunk
            carry = b""
            if chunk and data.endswith(b"\r"):  # its LF may open the next chunk
                carry, data = b"\r", data[:-1]
            parts = data.split(b'"')
            for i in range(1 if inside else 0, len(parts), 2):
                parts[i] = parts[i].replace(b"\r\n", b"\n")
            inside ^= (len(parts) - 1) % 2 == 1
            out.write(b'"'.join(parts))
            if not chunk:
                break


def _newlines_before_byte(path: Path, upto: int) -> int:
    n = done = 0
    with open(path, "rb") as fh:
        while done < upto and (chunk := fh.read(min(CHUNK, upto - done))):
            done += len(chunk)
            n += chunk.count(b"\n")
    return n


def _newline(text: AnyStr) -> AnyStr:
    return b"\n" if isinstance(text, bytes) else "\n"  # type: ignore[return-value]


def _long_line(text: AnyStr, lo: int, hi: int, max_line: int) -> int | None:
    """Start of the first line longer than `max_line` among the whole lines in text[lo:hi] (hi is a newline).
    Any such line covers a whole window of max_line/2 without a newline, so only windows are searched (a few
    `find` calls per 16 MB chunk), and a line is measured only where a window has none."""
    nl = _newline(text)
    step = max(max_line // 2, 1)
    p = lo
    while p + step <= hi:
        if text.find(nl, p, p + step) >= 0:
            p += step
            continue
        start = text.rfind(nl, 0, p) + 1
        end = text.find(nl, p, hi + 1)
        if end - start > max_line:
            return start
        p = end + 1
    return None


def _phase(progress: Progress | None) -> Callable[[float], None] | None:
    """The transcode phase's progress as a plain fraction callback."""
    if progress is None:
        return None
    return lambda done: progress("transcode", done)


def _line_too_long(line_no: int, max_line: int) -> IngestError:
    return IngestError(
        _("第 %(line)s 行过长（超过 %(mb)s MB），文件可能不是表格或已损坏，已拒绝。")
        % {"line": line_no, "mb": max(max_line // (1024 * 1024), 1)},
        code="line_too_long",
        details={"line": line_no},
    )


# --- readers into the VARCHAR staging table -------------------------------------------------------------------


def _read_header(path: Path, delim: str, explain: Callable[[], None] | None = None) -> list[str]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read(SAMPLE)
    except UnicodeDecodeError:
        if explain is not None:
            explain()
        raise IngestError(_("文件不是有效的 UTF-8 编码。"), code="bad_encoding") from None
    if not text.strip():
        raise IngestError(_("文件为空。"), code="empty_file")
    first_line_end = text.find("\n")
    if first_line_end < 0 and len(text) >= SAMPLE:
        if explain is not None:
            explain()
        raise IngestError(_("表头行过长（超过 1 MB），文件可能不是表格。"), code="header_too_long")
    line = text[: first_line_end if first_line_end >= 0 else len(text)].rstrip("\r")
    header = next(csv.reader([line], delimiter=delim))
    return _check_header([h.strip() for h in header])


def _check_header(header: list[str]) -> list[str]:
    limit = getattr(settings, "KAIFANG_MAX_COLUMNS", 1000)
    if len(header) > limit:
        raise IngestError(
            _("列数过多：%(n)s 列，上限为 %(limit)s 列。") % {"n": len(header), "limit": limit},
            code="too_many_columns",
        )
    if any(not h for h in header):
        raise IngestError(_("表头中有空列名。"), code="bad_header")
    seen: set[str] = set()
    dups = sorted({h for h in header if h in seen or seen.add(h)})  # type: ignore[func-returns-value]
    if dups:
        raise IngestError(
            _("表头中有重复的列名：%(names)s。") % {"names": "、".join(dups)}, code="bad_header"
        )
    if any(h.startswith("_") for h in header):
        raise IngestError(_("列名不能以下划线开头（保留给系统列）。"), code="bad_header")
    return header


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _columns_struct(header: list[str]) -> str:
    return "{" + ", ".join(f"{_sql_str(h)}: 'VARCHAR'" for h in header) + "}"


def _csv_error(exc: Exception) -> IngestError:
    text = str(exc)
    m = re.search(r"Line: (\d+)", text)
    line = m.group(1) if m else "?"
    if "Expected Number of Columns" in text:
        msg = _("第 %(line)s 行的列数与表头不一致。") % {"line": line}
        code = "ragged_rows"
    elif "unterminated quote" in text:
        msg = _("第 %(line)s 行附近有未闭合的引号（文件可能被截断或格式错误）。") % {"line": line}
        code = "unbalanced_quotes"
    elif "invalid state" in text:
        # DuckDB names no line here, and its text lists every option (`quote = "` among them): it is no
        # evidence of a quote problem. Mixed line ends were unified before parsing, so a stray carriage
        # return or quote is what is left.
        msg = _("文件不符合 CSV 格式：某处有单独的回车符或不成对的引号。请用表格软件另存为 CSV 后重新上传。")
        code = "csv_structure"
    elif "Maximum line size" in text or "line size" in text.lower():
        msg = _("第 %(line)s 行过长，超出单行大小上限。") % {"line": line}
        code = "line_too_long"
    else:
        msg = _("CSV 解析失败：%(reason)s") % {"reason": text.splitlines()[0][:200]}
        code = "csv_parse_error"
    return IngestError(msg, code=code, details={"line": line})


def _xlsx_to_csv(path: Path, dest: Path) -> None:
    limit = getattr(settings, "KAIFANG_XLSX_MAX_UNCOMPRESSED", 512 * 1024 * 1024)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            ratio_bad = any(
                i.compress_size and i.file_size / i.compress_size > 1000 and i.file_size > 10_000_000
                for i in infos
            )
            if len(infos) > 10_000 or total > limit or ratio_bad:
                raise IngestError(
                    _("XLSX 文件解压后过大（%(mb)s MB，上限 %(limit)s MB），疑似压缩炸弹，已拒绝。")
                    % {"mb": total // (1024 * 1024), "limit": limit // (1024 * 1024)},
                    code="zip_bomb",
                )
            if "xl/workbook.xml" not in zf.namelist():
                raise IngestError(_("文件内容不是 XLSX 表格，与扩展名不符。"), code="format_mismatch")
    except zipfile.BadZipFile as exc:
        raise IngestError(_("XLSX 文件已损坏或不完整（可能被截断）。"), code="truncated") from exc
    import openpyxl

    # An open file, not the path: openpyxl refuses a path whose suffix is not .xlsx, and uploads are stored as
    # `<id>.part` (the format was decided above, from the upload's own name and the file's content).
    fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below, after the workbook
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        fh.close()
        raise IngestError(
            _("XLSX 文件无法读取：%(reason)s") % {"reason": str(exc)[:200]}, code="bad_xlsx"
        ) from exc
    try:
        ws = wb.worksheets[0]
        with open(dest, "w", encoding="utf-8", newline="") as out:
            w = csv.writer(out)
            width = None
            for row in ws.iter_rows(values_only=True):
                cells = [_cell_text(v) for v in row]
                if width is None:
                    while cells and cells[-1] == "":
                        cells.pop()
                    width = len(cells)
                    if width == 0:
                        raise IngestError(_("文件为空。"), code="empty_file")
                elif not any(cells):
                    continue
                cells = (
                    (cells + [""] * width)[:width] if len(cells) <= width or not any(cells[width:]) else cells
                )
                w.writerow(cells)
            if width is None:
                raise IngestError(_("文件为空。"), code="empty_file")
    finally:
        wb.close()
        fh.close()


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time(0) else v.isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _geojson_to_csv(path: Path, dest: Path) -> None:
    limit = getattr(settings, "KAIFANG_GEOJSON_MAX_BYTES", 256 * 1024 * 1024)
    if path.stat().st_size > limit:
        raise IngestError(_("GeoJSON 文件过大，请改用 CSV（含经纬度列）上传。"), code="too_large")
    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(
            _("GeoJSON 格式错误或文件不完整：%(reason)s") % {"reason": str(exc)[:200]}, code="bad_json"
        ) from exc
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise IngestError(_("GeoJSON 必须是 FeatureCollection。"), code="bad_json")
    keys: list[str] = []
    for feat in doc["features"]:
        for k in feat.get("properties") or {}:
            if k not in keys:
                keys.append(k)
    points = all((f.get("geometry") or {}).get("type") == "Point" for f in doc["features"])
    header = keys + (["经度", "纬度"] if points else ["geometry"])
    with open(dest, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(header)
        for feat in doc["features"]:
            props = feat.get("properties") or {}
            geom = feat.get("geometry") or {}
            row = [
                _cell_text(props.get(k))
                if not isinstance(props.get(k), dict | list)
                else json.dumps(props.get(k), ensure_ascii=False)
                for k in keys
            ]
            if points:
                coords = geom.get("coordinates") or ["", ""]
                row += [str(coords[0]), str(coords[1])]
            else:
                row.append(json.dumps(geom, ensure_ascii=False))
            w.writerow(row)


# --- validation SQL -------------------------------------------------------------------------------------------


def typed_expr(col: str, data_type: str) -> tuple[str, str]:
    """(DuckDB type, expression casting the VARCHAR column or giving NULL when it does not parse)."""
    c = f"trim({quote_ident(col)})"

    def cast(t: str) -> str:
        # Casts skip ASCII blanks themselves; trim (which also takes the ideographic space) runs only for the
        # values the plain cast refuses: COALESCE evaluates an argument only for rows still NULL.
        return f"TRY_CAST({quote_ident(col)} AS {t}), TRY_CAST({c} AS {t})"

    if data_type in ("N", "B", "F"):
        return "DOUBLE", f"COALESCE({cast('DOUBLE')})"
    if data_type == "Y":
        return "DECIMAL(18,2)", f"COALESCE({cast('DECIMAL(18,2)')})"
    if data_type == "I":
        return "BIGINT", f"COALESCE({cast('BIGINT')})"
    if data_type == "D":
        return "DATE", (
            f"COALESCE({cast('DATE')}, TRY_STRPTIME({c}, '%Y/%m/%d')::DATE, "
            f"TRY_STRPTIME({c}, '%Y%m%d')::DATE, TRY_STRPTIME({c}, '%Y年%m月%d日')::DATE)"
        )
    if data_type == "T":
        return "TIMESTAMP", f"COALESCE({cast('TIMESTAMP')}, TRY_STRPTIME({c}, '%Y/%m/%d %H:%M:%S'))"
    if data_type == "L":
        t = ", ".join(_sql_str(w) for w in TRUE_WORDS)
        f = ", ".join(_sql_str(w) for w in FALSE_WORDS)
        return "BOOLEAN", f"CASE WHEN lower({c}) IN ({t}) THEN true WHEN lower({c}) IN ({f}) THEN false END"
    return "VARCHAR", quote_ident(col)


SEPARATORS = r"[、,，|/；;]"
NUM_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|~|～|至|到)\s*(-?\d+(?:\.\d+)?)\s*$")


def _checks(spec: FieldSpec) -> list[tuple[str, str]]:
    """(condition that marks a bad value, reason) for one column."""
    col = quote_ident(spec.name)
    present = f"({col} IS NOT NULL AND trim({col}) <> '')"
    out: list[tuple[str, str]] = []
    if spec.is_primary_key:
        out.append((f"NOT {present}", _("主键为空")))
    duck, expr = typed_expr(spec.name, spec.data_type)
    if duck != "VARCHAR":
        label = TYPE_LABELS.get(spec.data_type, spec.data_type)
        # The cast first: it is true for few rows, and AND evaluates the rest only for those.
        out.append((f"({expr}) IS NULL AND {present}", _("不是有效的%(type)s") % {"type": label}))
    if spec.data_type == "C" and spec.length:
        out.append(
            (f"length({col}) > {int(spec.length)}", _("长度超过 %(n)s 个字符") % {"n": int(spec.length)})
        )
    vr = spec.value_range.strip()
    if vr:
        m = NUM_RANGE.match(vr)
        if m and duck in ("DOUBLE", "DECIMAL(18,2)", "BIGINT"):
            lo, hi = float(m.group(1)), float(m.group(2))
            out.append(
                (
                    f"(({expr}) < {lo} OR ({expr}) > {hi})",
                    _("超出值域 %(range)s") % {"range": vr},
                )
            )
        elif duck == "VARCHAR":
            # An enumeration such as 甲、乙、丙. Items may themselves contain a separator
            # (交通运输、仓储和邮政业), so a value passes when it appears between separators.
            items = [i for i in re.split(SEPARATORS, vr) if i.strip()]
            if len(items) >= 2:
                listed = _sql_str("、" + re.sub(SEPARATORS, "、", vr) + "、")
                value = f"'、' || regexp_replace(trim({col}), {_sql_str(SEPARATORS)}, '、', 'g') || '、'"
                out.append((f"{present} AND strpos({listed}, {value}) = 0", _("不在值域内")))
    return out


# --- the pipeline ---------------------------------------------------------------------------------------------


def match_columns(header: list[str], fields: list[FieldSpec]) -> list[FieldSpec]:
    """One spec per file column, in file order. Columns must be declared (by name, English name or code)."""
    if not fields:
        return [FieldSpec(name=h) for h in header]
    by_key: dict[str, FieldSpec] = {}
    for f in fields:
        for key in (f.name, f.name_en.lower(), f.code):
            if key:
                by_key.setdefault(key, f)
    specs: list[FieldSpec] = []
    unknown = []
    for h in header:
        f = by_key.get(h) or by_key.get(h.lower())
        if f is None:
            if h == "geometry":
                specs.append(FieldSpec(name=h, data_type="M"))
                continue
            unknown.append(h)
            continue
        specs.append(FieldSpec(**{**f.__dict__, "name": f.name}))
    if unknown:
        raise IngestError(
            _("文件中有未在信息项中登记的列：%(cols)s。请先在目录中登记这些信息项，或删除这些列。")
            % {"cols": "、".join(unknown[:20])},
            code="unknown_columns",
            details={"columns": unknown[:100]},
        )
    got = {s.name for s in specs}
    missing_pk = [f.name for f in fields if f.is_primary_key and f.name not in got]
    if missing_pk:
        raise IngestError(
            _("文件缺少主键列：%(cols)s。") % {"cols": "、".join(missing_pk)}, code="missing_columns"
        )
    if len(got) != len(specs):
        raise IngestError(_("多个列对应同一个信息项。"), code="bad_header")
    return specs


def run_ingest(
    path: Path,
    filename: str,
    fields: list[FieldSpec],
    *,
    encoding: str | None = None,
    quarantine: bool = False,
    progress: Progress | None = None,
    store: LocalStore | None = None,
    engine: TableEngine | None = None,
) -> IngestResult:
    """Validate and convert one file. Raises IngestError (with a bad-row report in `details`) on refusal."""
    store = store or get_store()
    engine = engine or TableEngine()
    check_filename(filename)
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise IngestError(_("文件为空。"), code="empty_file")
    fmt = detect_format(path, filename)
    work = store.root / "tmp" / f"work-{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    out = store.new_temp()
    qpath = store.new_temp(".quarantine.parquet")
    try:
        max_line = int(getattr(settings, "KAIFANG_MAX_LINE_BYTES", 8 * 1024 * 1024))
        mixed_line_ends = False
        if fmt in ("csv", "tsv"):
            long_at, mixed_line_ends = scan_lines(path, max_line)
            if long_at is not None:
                raise _line_too_long(1 + _newlines_before_byte(path, long_at), max_line)
        # Hashed on a thread while DuckDB reads the file (hashlib releases the GIL).
        hashing = ThreadPoolExecutor(1)
        source_digest = hashing.submit(file_sha256, path).result
        hashing.shutdown(wait=False)
        explain: Callable[[], None] | None = None
        used_encoding = ""
        if fmt in ("csv", "tsv", "json", "jsonl", "geojson"):
            claimed = _normalise_encoding(encoding)
            if fmt in ("json", "jsonl", "geojson") and claimed is None:
                claimed = "utf-8-sig" if detect_encoding(path) == "utf-8-sig" else detect_encoding(path)
            used_encoding = claimed or detect_encoding(path)
            if claimed in ("gbk", "gb18030") and _is_valid_utf8_with_non_ascii(path):
                raise IngestError(
                    _("声明的编码为 %(enc)s，但文件是有效的 UTF-8：编码声明可能有误。")
                    % {"enc": claimed.upper()},
                    code="bad_encoding",
                )
            # The strict pass over the original says where and how the encoding went wrong.
            explain = functools.partial(transcode, path, used_encoding, None, None)
            if used_encoding == "utf-8" and fmt in ("csv", "tsv"):
                # DuckDB reads the original, checking UTF-8 as it parses; `explain` runs only when it refuses
                # the file.
                text_path = path
            elif used_encoding == "utf-8":
                transcode(path, "utf-8", None, progress)
                text_path = path
            else:
                text_path = work / "utf8.txt"
                if not (
                    used_encoding == "gbk"
                    and gbk_to_utf8(path, text_path, workers=engine.threads, progress=_phase(progress))
                ):
                    transcode(path, used_encoding, text_path, progress)
        elif fmt == "xlsx":
            text_path = work / "sheet.csv"
            _xlsx_to_csv(path, text_path)
            fmt_read = "csv"
        if mixed_line_ends:
            unified = work / "lines.csv"
            unify_line_ends(text_path, unified)
            text_path = unified
        if fmt == "geojson":
            csv_path = work / "geo.csv"
            _geojson_to_csv(text_path, csv_path)
            text_path = csv_path
        fmt_read = {"tsv": "tsv", "json": "json", "jsonl": "jsonl"}.get(fmt, "csv")
        if progress:
            progress("parse", 0.0)

        def work_fn(con: Any) -> IngestResult:
            return _convert(
                con,
                text_path,
                fmt_read,
                fields,
                quarantine,
                out,
                qpath,
                progress,
                source=(fmt, used_encoding, source_digest),
                explain=explain,
            )

        result: IngestResult = engine.write(work_fn)
        return result
    except BaseException:
        out.unlink(missing_ok=True)
        qpath.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _stage(con: Any, path: Path, fmt: str, explain: Callable[[], None] | None = None) -> list[str]:
    """Load the file into the VARCHAR table `raw_rows` and the view `raw` over it (`__row` = data row number,
    1-based: the table's rowid, which is file order as insertion order is preserved; a row_number() window
    over the scan would double the load's time). Returns the header. `explain` (a strict pass over the
    original text) runs before a parse error is reported, so a bad encoding or line length is named as such."""
    import duckdb

    p = _sql_str(str(path))
    if fmt in ("csv", "tsv"):
        delim = "\t" if fmt == "tsv" else ","
        header = _read_header(path, delim, explain)
        if fmt == "csv" and len(header) == 1 and "\t" in header[0]:
            delim = "\t"
            header = _read_header(path, delim, explain)
        src = (
            f"read_csv({p}, header=true, auto_detect=false, columns={_columns_struct(header)}, "
            f"delim={_sql_str(delim)}, quote='\"', escape='\"', strict_mode=true, null_padding=false, "
            f"max_line_size={int(getattr(settings, 'KAIFANG_MAX_LINE_BYTES', 8 * 1024 * 1024))})"
        )
        try:
            con.execute(f"CREATE TEMP TABLE raw_rows AS SELECT * FROM {src}")
        except duckdb.Error as exc:
            if explain is not None:
                explain()
            raise _csv_error(exc) from exc
        con.execute("CREATE TEMP VIEW raw AS SELECT rowid + 1 AS __row, * FROM raw_rows")
        return header
    jfmt = "array" if fmt == "json" else "newline_delimited"
    try:
        names = [
            r[0]
            for r in con.execute(
                f"DESCRIBE SELECT * FROM read_json({p}, format={_sql_str(jfmt)}, sample_size=-1, maximum_object_size=16777216)"
            ).fetchall()
        ]
        header = _check_header(names)
        con.execute(
            f"CREATE TEMP TABLE raw_rows AS SELECT * FROM read_json({p}, "
            f"format={_sql_str(jfmt)}, columns={_columns_struct(header)}, maximum_object_size=16777216)"
        )
        con.execute("CREATE TEMP VIEW raw AS SELECT rowid + 1 AS __row, * FROM raw_rows")
    except duckdb.Error as exc:
        raise IngestError(
            _("JSON 格式错误或文件不完整：%(reason)s") % {"reason": str(exc).splitlines()[0][:200]},
            code="bad_json",
        ) from exc
    return header


def _convert(
    con: Any,
    path: Path,
    fmt: str,
    fields: list[FieldSpec],
    quarantine: bool,
    out: Path,
    qpath: Path,
    progress: Progress | None,
    *,
    source: tuple[str, str, Callable[[], str]],
    explain: Callable[[], None] | None = None,
) -> IngestResult:
    header = _stage(con, path, fmt, explain)
    fmt_name, enc, source_digest = source
    digest = source_digest()
    specs = match_columns(header, fields)
    total = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    if total == 0:
        raise IngestError(_("文件只有表头，没有数据行。"), code="empty_file")
    if progress:
        progress("validate", 0.0)
    # Every bad value as (row, column, value, reason). Most files have none: one scan of every check and one
    # grouping of the key say so, and the per-check report (a scan each, a window over the key) is built
    # only when they find something.
    checks = [(s, cond, reason) for s in specs for cond, reason in _checks(s)]
    pk = [s for s in specs if s.is_primary_key]
    if not _any_bad(con, [cond for _s, cond, _r in checks], pk):
        checks, pk = [], []
    parts = []
    params: list[Any] = []
    for s, cond, reason in checks:
        parts.append(
            f"SELECT __row, ? AS col, {quote_ident(s.name)}::VARCHAR AS val, ? AS reason FROM raw WHERE {cond}"
        )
        params += [s.name, reason]
    if pk:
        keys = ", ".join(quote_ident(s.name) for s in pk)
        parts.append(
            f"SELECT __row, ? AS col, concat_ws('|', {keys}) AS val, ? || first_row || ? AS reason FROM ("
            f"SELECT __row, {keys}, row_number() OVER (PARTITION BY {keys} ORDER BY __row) AS n, "
            f"min(__row) OVER (PARTITION BY {keys}) AS first_row FROM raw) WHERE n > 1"
        )
        prefix, _sep, suffix = (_("主键重复，与第 %(n)s 行相同") % {"n": "\x00"}).partition("\x00")
        params += ["、".join(s.name for s in pk), prefix, suffix]
    if parts:
        con.execute("CREATE TEMP TABLE bad AS " + " UNION ALL ".join(parts), params)
    else:
        con.execute("CREATE TEMP TABLE bad (__row BIGINT, col VARCHAR, val VARCHAR, reason VARCHAR)")
    bad_count = con.execute("SELECT count(DISTINCT __row) FROM bad").fetchone()[0]
    report = [
        {"row": r[0], "column": r[1], "value": r[2], "reason": r[3]}
        for r in con.execute(f"SELECT * FROM bad ORDER BY __row, col LIMIT {REPORT_LIMIT}").fetchall()
    ]
    if bad_count and not quarantine:
        raise IngestError(
            _("有 %(n)s 行未通过校验，整个文件已拒绝，未生成新版本。可修正后重新上传，或选择“隔离问题行”。")
            % {"n": bad_count},
            code="bad_rows",
            details={"bad_row_count": bad_count, "bad_rows": report},
        )
    if bad_count and bad_count >= total:
        raise IngestError(
            _("全部 %(n)s 行都未通过校验，未生成新版本。") % {"n": total},
            code="bad_rows",
            details={"bad_row_count": bad_count, "bad_rows": report},
        )
    if progress:
        progress("write", 0.0)
    select = ", ".join(f"({typed_expr(s.name, s.data_type)[1]}) AS {quote_ident(s.name)}" for s in specs)
    where = "WHERE __row NOT IN (SELECT __row FROM bad)" if bad_count else ""
    # No ORDER BY: `raw` is in file order and scans preserve insertion order, so the Parquet file comes out in
    # `_id` order without sorting the whole table (the data API relies on this order).
    con.execute(
        f"COPY (SELECT __row AS _id, {select} FROM raw {where}) TO {_sql_str(str(out))} "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
    )
    quarantine_path = None
    if bad_count:
        con.execute(
            f"COPY (SELECT * FROM raw WHERE __row IN (SELECT __row FROM bad)) TO {_sql_str(str(qpath))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
        quarantine_path = qpath
    con.execute("DROP VIEW raw")
    con.execute("DROP TABLE raw_rows")
    if progress:
        progress("profile", 0.0)
    con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM read_parquet({_sql_str(str(out))})")
    row_count = con.execute("SELECT count(*) FROM t").fetchone()[0]
    schema = [
        {
            "name": s.name,
            "type": s.data_type,
            "sql_type": typed_expr(s.name, s.data_type)[0],
            "field_code": s.code,
            "open_attribute": s.open_attribute,
            "is_primary_key": s.is_primary_key,
        }
        for s in specs
    ]
    profile = profile_table(con, schema, row_count)
    return IngestResult(
        parquet=out,
        row_count=row_count,
        schema=schema,
        profile=profile,
        bad_rows=report,
        bad_row_count=bad_count,
        quarantined_count=bad_count,
        source_format=fmt_name,
        source_encoding=enc,
        source_hash=digest,
        quarantine=quarantine_path,
    )


def _any_bad(con: Any, conditions: list[str], pk: list[FieldSpec]) -> bool:
    """Whether any row fails a check or repeats a primary key, in one statement."""
    tests = []
    if conditions:
        tests.append(f"EXISTS (SELECT 1 FROM raw WHERE {' OR '.join(f'({c})' for c in conditions)})")
    if pk:
        keys = ", ".join(quote_ident(s.name) for s in pk)
        tests.append(f"EXISTS (SELECT 1 FROM raw GROUP BY {keys} HAVING count(*) > 1)")
    if not tests:
        return False
    return bool(con.execute("SELECT " + " OR ".join(tests)).fetchone()[0])


def profile_table(con: Any, schema: list[dict[str, Any]], row_count: int) -> dict[str, Any]:
    """Per column: nulls, distinct (approximate), min/max, top 5 values, and a 10-bin histogram for numbers
    and dates. Top values are counted only where values repeat: in a column of mostly distinct values (a
    code, an amount) they would each count one or two, and grouping millions of distinct values is the
    profile's most expensive step; such a column gets `top_omitted`."""
    if not schema:
        return {}
    exprs = []
    for c in schema:
        q = quote_ident(c["name"])
        exprs += [f"count({q})", f"approx_count_distinct({q})", f"min({q})::VARCHAR", f"max({q})::VARCHAR"]
    row = con.execute(f"SELECT {', '.join(exprs)} FROM t").fetchone()
    stats = [row[i * 4 : i * 4 + 4] for i in range(len(schema))]
    counted = [
        i
        for i, (non_null, distinct, _lo, _hi) in enumerate(stats)
        if not _mostly_distinct(non_null, distinct)
    ]
    # The top values of those columns in one statement (one scan per column, but a single round trip).
    tops: dict[int, list[list[Any]]] = {}
    if counted:
        top_sql = " UNION ALL ".join(
            f"(SELECT {i} AS i, {quote_ident(schema[i]['name'])}::VARCHAR AS v, count(*) AS n FROM t "
            f"WHERE {quote_ident(schema[i]['name'])} IS NOT NULL GROUP BY 2 ORDER BY n DESC, v LIMIT 5)"
            for i in counted
        )
        for i, v, n in con.execute(f"SELECT * FROM ({top_sql}) ORDER BY i, n DESC, v").fetchall():
            tops.setdefault(i, []).append([v, n])
    histograms = _histograms(con, schema, stats)
    out: dict[str, Any] = {}
    for i, c in enumerate(schema):
        non_null, distinct, lo, hi = stats[i]
        col: dict[str, Any] = {
            "nulls": row_count - non_null,
            "distinct": distinct,
            "min": lo,
            "max": hi,
            "top": tops.get(i, []),
        }
        if i not in counted:
            col["top_omitted"] = True
        if i in histograms:
            col["histogram"] = histograms[i]
        out[c["name"]] = col
    return out


# Top values are counted for columns up to this many rows whatever their values, and beyond it unless most
# values are distinct.
TOP_VALUES_ALWAYS_ROWS = 50_000


def _mostly_distinct(non_null: int, distinct: int) -> bool:
    return non_null > TOP_VALUES_ALWAYS_ROWS and distinct > non_null // 5


def _histograms(con: Any, schema: list[dict[str, Any]], stats: list[Any]) -> dict[int, list[list[Any]]]:
    """Ten equal bins between min and max for every number and date column, counted in one scan (a
    `histogram` map of bin to count per column). Date and
    time bounds are ISO text, for the profile charts."""
    import datetime as dt

    bins: dict[int, tuple[float, float, str]] = {}  # column -> (low, width, kind)
    spans = []
    for i, c in enumerate(schema):
        if stats[i][2] is None or stats[i][3] is None:
            continue
        if c["sql_type"] in ("DOUBLE", "BIGINT", "DECIMAL(18,2)"):
            spans.append((i, f"{quote_ident(c['name'])}::DOUBLE", "number"))
        elif c["sql_type"] in ("DATE", "TIMESTAMP"):
            spans.append((i, f"epoch({quote_ident(c['name'])})", c["sql_type"]))
    if not spans:
        return {}
    # A number column may hold NaN or ±inf (DuckDB reads them as doubles): they have no bin, and as bounds
    # they would make every width NaN and the SQL below invalid; the bins cover the finite values.
    bounds = con.execute(
        "SELECT "
        + ", ".join(f"min({e}) FILTER (isfinite({e})), max({e}) FILTER (isfinite({e}))" for _i, e, _k in spans)
        + " FROM t"
    ).fetchone()
    counts = []
    for n, (i, expr, kind) in enumerate(spans):
        if bounds[2 * n] is None:
            continue
        lo, hi = float(bounds[2 * n]), float(bounds[2 * n + 1])
        width = (hi - lo) / 10 or (86400.0 if kind != "number" else 1.0)
        bins[i] = (lo, width, kind)
        counts.append(
            f"histogram(CASE WHEN isfinite({expr}) THEN least(floor(({expr} - {lo!r}) / {width!r}), 9)::INT END)"
        )
    if not counts:
        return {}
    spans = [span for span in spans if span[0] in bins]
    row = con.execute("SELECT " + ", ".join(counts) + " FROM t").fetchone()

    def label(seconds: float, kind: str) -> Any:
        if kind == "number":
            return seconds
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
        return moment.date().isoformat() if kind == "DATE" else moment.strftime("%Y-%m-%d %H:%M")

    out = {}
    for n, (i, _expr, _kind) in enumerate(spans):
        lo, width, kind = bins[i]
        out[i] = [
            [label(lo + k * width, kind), label(lo + (k + 1) * width, kind), (row[n] or {}).get(k, 0)]
            for k in range(10)
        ]
    return out
