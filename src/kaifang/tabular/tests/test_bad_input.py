"""Hostile files that must be refused with a clear message in bounded memory: a 1 GB line, a header of
10,000 columns, an XLSX zip bomb at the default limits, and files that are not what their extension says.
(The smaller bad inputs are in test_ingest.py.) Peak memory is measured in a subprocess (VmHWM)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaifang.tabular.ingest import IngestError, _newlines_before_byte, long_line_at

from .conftest import GOOD_CSV, HEADER

SCRIPT = r"""
import json, sys
import django
django.setup()
from pathlib import Path
from kaifang.tabular.ingest import FieldSpec, IngestError, run_ingest

def peak_kb():
    # The high-water mark of this address space (reset by exec). getrusage's ru_maxrss is not: a child
    # forked from a large pytest process starts with the parent's peak.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

before = peak_kb()
try:
    run_ingest(Path(sys.argv[1]), sys.argv[2], [])
    out = {"code": None}
except IngestError as exc:
    out = {"code": exc.code, "message": str(exc.message)}
out["before_kb"] = before
out["peak_kb"] = peak_kb()
print(json.dumps(out, ensure_ascii=False))
"""
# Python, Django, DuckDB and pyarrow loaded take ~150 MB; reading any of these files whole would take > 1 GB.
PEAK_LIMIT_KB = 450 * 1024


def _ingest_in_subprocess(home: Path, path: Path, name: str) -> dict:
    env = {**os.environ, "KAIFANG_HOME": str(home), "DJANGO_SETTINGS_MODULE": "kaifang.config.settings"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), name], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_single_1gb_line_is_refused_without_reading_it_whole(tmp_path, home):
    big = tmp_path / "one-line.csv"
    block = b"x" * (1024 * 1024)
    with open(big, "wb") as fh:
        fh.write("编号,名称\nA001,".encode())
        for _ in range(1024):
            fh.write(block)
        fh.write(b"\n")
    assert big.stat().st_size > 1024**3
    result = _ingest_in_subprocess(home, big, "one-line.csv")
    assert result["code"] == "line_too_long"
    assert "第 2 行过长" in result["message"] and "已拒绝" in result["message"]
    assert result["peak_kb"] < PEAK_LIMIT_KB, result
    big.unlink()


def test_a_1gb_header_line_is_refused(tmp_path, home):
    big = tmp_path / "header.csv"
    with open(big, "wb") as fh:
        for _ in range(1024):
            fh.write(b"c," * (512 * 1024))
        fh.write(b"\nx\n")
    result = _ingest_in_subprocess(home, big, "header.csv")
    assert result["code"] == "line_too_long" and "第 1 行过长" in result["message"]
    assert result["peak_kb"] < PEAK_LIMIT_KB, result
    big.unlink()


def test_a_header_of_10000_columns_is_refused_in_bounded_memory(tmp_path, home):
    wide = tmp_path / "wide.csv"
    names = [f"第{i}列名称" for i in range(10_000)]
    with open(wide, "w", encoding="utf-8") as fh:
        fh.write(",".join(names) + "\n")
        for r in range(200):
            fh.write(",".join(str(r) for _ in names) + "\n")
    result = _ingest_in_subprocess(home, wide, "wide.csv")
    assert result["code"] == "too_many_columns"
    assert "列数过多：10000 列，上限为 1000 列" in result["message"]
    assert result["peak_kb"] < PEAK_LIMIT_KB, result


def test_an_xlsx_zip_bomb_at_the_default_limits(tmp_path, home):
    """520 MB of sheet XML in a ~0.5 MB file: refused from the zip directory, before anything is inflated."""
    bomb = tmp_path / "bomb.xlsx"
    zeros = b"0" * (1024 * 1024)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(520):
                member.write(zeros)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    result = _ingest_in_subprocess(home, bomb, "bomb.xlsx")
    assert result["code"] == "zip_bomb" and "压缩炸弹" in result["message"]
    assert result["peak_kb"] - result["before_kb"] < 64 * 1024, result  # nothing was inflated


@pytest.mark.parametrize(
    "name,make,code,text",
    [
        # A Word document renamed .xlsx: a zip, but no workbook in it.
        ("report.xlsx", "docx", "format_mismatch", "不是 XLSX"),
        # A real workbook renamed .csv.
        ("table.csv", "xlsx", "format_mismatch", "与扩展名“.csv”不符"),
        # A PDF named .json.
        ("data.json", "pdf", "format_mismatch", "与扩展名"),
        # A CSV named .geojson.
        ("map.geojson", "csv", "format_mismatch", "不是 JSON"),
        # A gzip named .tsv.
        ("rows.tsv", "gzip", "format_mismatch", "与扩展名"),
    ],
)
def test_content_that_is_not_what_the_extension_says(table_ds, personas, write, name, make, code, text):
    import gzip

    import openpyxl

    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.services import table_ingest

    if make == "docx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("word/document.xml", "<w:document/>")
        content = buf.getvalue()
    elif make == "xlsx":
        wb = openpyxl.Workbook()
        wb.active.append(HEADER.strip().split(","))
        buf = io.BytesIO()
        wb.save(buf)
        content = buf.getvalue()
    elif make == "pdf":
        content = b"%PDF-1.7\n" + GOOD_CSV.encode()
    elif make == "gzip":
        content = gzip.compress(GOOD_CSV.encode())
    else:
        content = GOOD_CSV.encode()
    with pytest.raises(IngestError) as err:
        table_ingest(
            actor=personas["officer"], dataset=table_ds, path=write("upload.bin", content), filename=name
        )
    assert err.value.code == code, err.value.message
    assert text in str(err.value.message)
    assert not TableVersion.objects.filter(dataset=table_ds).exclude(state="failed").exists()


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=30),
    trailing_newline=st.booleans(),
    max_line=st.integers(min_value=1, max_value=20),
    cuts=st.lists(st.integers(min_value=1, max_value=50), max_size=20),
)
def test_the_streaming_line_check_agrees_with_splitting_the_whole_text(
    tmp_path_factory, lines, trailing_newline, max_line, cuts
):
    text = "\n".join("a" * n for n in lines) + ("\n" if trailing_newline else "")
    expected = next((i + 1 for i, n in enumerate(lines) if n > max_line), None)
    path = tmp_path_factory.mktemp("lines") / "t.csv"
    path.write_text(text)
    for chunk_size in {1, 7, max(cuts or [3]), 1 << 20}:
        at = long_line_at(path, max_line, chunk_size)
        got = None if at is None else 1 + _newlines_before_byte(path, at)
        assert got == expected, chunk_size
