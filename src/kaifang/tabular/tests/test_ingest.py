"""Formats, encodings, validation, quarantine and every kind of bad input."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from kaifang.tabular.ingest import IngestError
from kaifang.tabular.models import TableVersion

from .conftest import GOOD_CSV, HEADER


def _rows(version: Any) -> list[tuple[Any, ...]]:
    """The raw rows of a version, read back from the raw zone (sealed from upload on, never left plain)."""
    from kaifang.privacy.rawzone import raw_file
    from kaifang.tabular.engine import TableEngine
    from kaifang.tabular.store import get_store

    assert not get_store().local_path(version.store_key).exists()
    with raw_file(version.store_key, version.content_hash) as path:
        return TableEngine().query("SELECT * FROM t ORDER BY _id", tables={"t": path}).rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_is_detected_and_read(table_ds, ingest, encoding):
    v = ingest(table_ds, GOOD_CSV, file_encoding=encoding)
    assert v.state == TableVersion.State.VALIDATED
    assert v.row_count == 4
    assert v.source_encoding == {"utf-8-sig": "utf-8-sig"}.get(
        encoding, encoding if encoding != "gb18030" else "gbk"
    )
    rows = _rows(v)
    assert rows[0][1:3] == ("A001", "咸宁市第一中学")
    # ID numbers stay text: no integer sniffing.
    assert rows[0][8] == "421202199001011234"
    assert v.profile["数量"]["nulls"] == 1
    assert v.profile["类别"]["top"][0] == ["甲", 2]
    assert len(v.profile["数量"]["histogram"]) == 10
    assert v.schema[2]["sql_type"] == "DOUBLE"
    assert len(v.content_hash) == 64


def test_gb18030_only_characters(table_ds, ingest):
    content = GOOD_CSV.replace("咸宁市第一中学", "𠀀学校")  # outside GBK, inside GB18030
    v = ingest(table_ds, content, file_encoding="gb18030")
    assert v.source_encoding == "gb18030"
    assert _rows(v)[0][2] == "𠀀学校"


def test_encoding_override(table_ds, ingest):
    v = ingest(table_ds, GOOD_CSV, file_encoding="gbk", encoding="GBK")
    assert v.source_encoding == "gbk"


def test_tsv(table_ds, ingest):
    v = ingest(table_ds, GOOD_CSV.replace(",", "\t"), name="data.tsv")
    assert v.row_count == 4


def test_xlsx(table_ds, ingest, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for line in GOOD_CSV.splitlines():
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    v = ingest(table_ds, buf.getvalue(), name="表格.xlsx")
    assert v.row_count == 4 and v.source_format == "xlsx"


def _records() -> list[dict[str, Any]]:
    keys = HEADER.strip().split(",")
    return [
        dict(
            zip(
                keys,
                ["A001", "一中", "1", "2024-01-01", "甲", "114.3", "29.8", "421202199001011234"],
                strict=True,
            )
        ),
        dict(
            zip(
                keys,
                ["A002", "二中", "2.5", "2024-01-02", "乙", "114.2", "29.7", "421202199001011235"],
                strict=True,
            )
        ),
    ]


def test_json_array_and_lines(table_ds, ingest):
    v = ingest(table_ds, json.dumps(_records(), ensure_ascii=False), name="d.json")
    assert v.row_count == 2
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in _records())
    v2 = ingest(table_ds, lines, name="d.jsonl")
    assert v2.row_count == 2 and v2.source_format == "jsonl"


def test_geojson_points_become_coordinates(table_ds, ingest):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [114.3, 29.8]},
            "properties": {"编号": "G1", "名称": "站点一"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [114.1, 29.6]},
            "properties": {"编号": "G2", "名称": "站点二"},
        },
    ]
    v = ingest(
        table_ds,
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        name="p.geojson",
    )
    assert v.row_count == 2
    assert [c["name"] for c in v.schema] == ["编号", "名称", "经度", "纬度"]
    assert _rows(v)[1][3:] == (114.1, 29.6)


def _refused(ingest: Any, ds: Any, content: Any, code: str, text: str, **kw: Any) -> IngestError:
    with pytest.raises(IngestError) as err:
        ingest(ds, content, **kw)
    assert err.value.code == code, (err.value.code, err.value.message)
    assert text in str(err.value.message)
    assert (
        not TableVersion.objects.filter(dataset=ds)
        .exclude(state="failed")
        .exclude(number=1)
        .filter(state="validated", number__gt=1)
        .exists()
    )
    return err.value


def test_type_mismatch_range_length_and_duplicates_are_reported(table_ds, ingest):
    bad = (
        HEADER
        + "\n".join(
            [
                "A001,一中,abc,2024-01-02,甲,114,29,",
                "A002,二中,1,2024-13-40,丁,114,29,",
                "A001,三中,1,2024-01-02,甲,114,29,",
                "," + "很" * 70 + ",1,2024-01-02,甲,114,29,",
            ]
        )
        + "\n"
    )
    err = _refused(ingest, table_ds, bad, "bad_rows", "有 4 行未通过校验")
    reasons = {(r["row"], r["column"], r["reason"]) for r in err.details["bad_rows"]}
    assert (1, "数量", "不是有效的数值") in reasons
    assert (2, "日期", "不是有效的日期") in reasons
    assert (2, "类别", "不在值域内") in reasons
    assert (3, "编号", "主键重复，与第 1 行相同") in reasons
    assert (4, "编号", "主键为空") in reasons
    assert (4, "名称", "长度超过 64 个字符") in reasons
    failed = TableVersion.objects.get(dataset=table_ds)
    assert failed.state == "failed" and failed.bad_row_count == 4 and not failed.store_key


def test_quarantine_keeps_good_rows(table_ds, ingest):
    bad = GOOD_CSV + "A005,坏行,abc,2024-01-02,甲,114,29,\nA001,重复,1,2024-01-02,甲,114,29,\n"
    v = ingest(table_ds, bad, quarantine=True)
    assert v.row_count == 4 and v.quarantined_count == 2 and v.quarantine_key
    assert {r["row"] for r in v.bad_rows} == {5, 6}


@pytest.mark.parametrize(
    "name,content,code,text",
    [
        ("empty.csv", b"", "empty_file", "文件为空"),
        ("header.csv", HEADER, "empty_file", "没有数据行"),
        ("ragged.csv", HEADER + "A001,一中,1\n", "ragged_rows", "列数与表头不一致"),
        ("quote.csv", HEADER + 'A001,"一中,1,2024-01-02,甲,114,29,\n', "unbalanced_quotes", "引号"),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "format_mismatch", "与扩展名"),
        ("zip.csv", b"PK\x03\x04" + b"\x00" * 50, "format_mismatch", "与扩展名"),
        ("notx.xlsx", GOOD_CSV, "format_mismatch", "不是 XLSX"),
        ("notjson.json", GOOD_CSV, "format_mismatch", "不是 JSON"),
        ("data.pdf", GOOD_CSV, "unsupported_format", "不支持的文件类型"),
        ("../../etc/passwd.csv", GOOD_CSV, "bad_filename", "路径"),
        ("a\x07b.csv", GOOD_CSV, "bad_filename", "控制字符"),
        ("cols.csv", "未知列," + HEADER, "unknown_columns", "未在信息项中登记"),
        ("wide.csv", ",".join(f"c{i}" for i in range(10_000)) + "\n", "too_many_columns", "列数过多"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message(
    table_ds, ingest, write, personas, name, content, code, text
):
    from kaifang.tabular.services import table_ingest

    with pytest.raises(IngestError) as err:
        table_ingest(
            actor=personas["officer"], dataset=table_ds, path=write("upload.bin", content), filename=name
        )
    assert err.value.code == code, err.value.message
    assert text in str(err.value.message)
    assert not TableVersion.objects.filter(dataset=table_ds).exclude(state="failed").exists()


def test_wrong_encoding_claims(table_ds, ingest):
    _refused(
        ingest, table_ds, GOOD_CSV, "bad_encoding", "不是有效的 UTF-8", file_encoding="gbk", encoding="utf-8"
    )
    _refused(ingest, table_ds, GOOD_CSV, "bad_encoding", "文件是有效的 UTF-8", encoding="gbk")


def test_mixed_encodings(table_ds, ingest):
    content = GOOD_CSV.encode("utf-8") + "A009,咸安区公园,1,2024-01-02,甲,114,29,\n".encode("gbk")
    err = _refused(ingest, table_ds, content, "bad_encoding", "混合了多种编码")
    assert err.details["offset"] == len(GOOD_CSV.encode("utf-8")) + 5


def test_truncated_files(table_ds, ingest):
    gbk = GOOD_CSV.encode("gbk")
    cut = gbk[: gbk.index("图书馆".encode("gbk")) + 1]  # the middle of a two-byte character
    _refused(ingest, table_ds, cut, "truncated", "截断")
    utf8 = (HEADER + 'A001,"咸宁市第一中学').encode()
    _refused(ingest, table_ds, utf8, "unbalanced_quotes", "引号")


def test_xlsx_zip_bomb(table_ds, ingest, settings):
    settings.KAIFANG_XLSX_MAX_UNCOMPRESSED = 1024 * 1024
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (5 * 1024 * 1024))
    _refused(ingest, table_ds, buf.getvalue(), "zip_bomb", "压缩炸弹", name="bomb.xlsx")


def test_truncated_xlsx(table_ds, ingest):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["编号"])
    buf = io.BytesIO()
    wb.save(buf)
    _refused(ingest, table_ds, buf.getvalue()[:200], "truncated", "不完整", name="cut.xlsx")


def test_a_failed_ingest_keeps_the_previous_version(published, ingest):
    from kaifang.tabular.selectors import current_version

    before = current_version(published)
    with pytest.raises(IngestError):
        ingest(published, HEADER + "A001,一中,abc,2024-01-02,甲,114,29,\n")
    assert current_version(published) == before


@pytest.mark.parametrize("odd", [["NaN", "inf"], ["-inf", "-inf"], ["nan", "NaN"]])
def test_non_finite_numbers_get_a_profile_of_the_finite_ones(table_ds, ingest, odd):
    """NaN and ±inf are doubles to DuckDB; as histogram bounds they made the profile's SQL invalid."""
    csv = (
        HEADER
        + "\n".join(
            [
                "A001,一中,12.5,2024-01-02,甲,114.32,29.84,",
                f"A002,二中,{odd[0]},2024-02-03,乙,114.30,29.85,",
                f"A003,三中,{odd[1]},2024-03-04,丙,113.92,29.97,",
                "A004,四中,40,2024-04-05,甲,113.90,29.72,",
            ]
        )
        + "\n"
    )
    version = ingest(table_ds, csv)
    assert version.state == "validated" and version.row_count == 4
    bins = version.profile["数量"]["histogram"]
    assert len(bins) == 10 and sum(b[2] for b in bins) == 2
    assert bins[0][0] == 12.5 and bins[-1][1] == 40


def test_a_number_column_of_only_non_finite_values_has_no_histogram(table_ds, ingest):
    csv = HEADER + "A001,一中,NaN,2024-01-02,甲,114.32,29.84,\nA002,二中,inf,2024-02-03,乙,114.30,29.85,\n"
    version = ingest(table_ds, csv)
    assert version.state == "validated"
    assert "histogram" not in version.profile["数量"]
