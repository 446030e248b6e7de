"""GBK on every core (glibc iconv on ranges split at newlines), the line check before parsing, and the
profile of a large table."""

from __future__ import annotations

import pytest

from kaifang.tabular import fastcode
from kaifang.tabular.ingest import IngestError
from kaifang.tabular.models import TableVersion

from .conftest import HEADER

pytestmark = pytest.mark.skipif(not fastcode.shutil.which("iconv"), reason="glibc iconv is not installed")


def _gbk_text(rows: int) -> str:
    lines = [HEADER.strip()]
    for i in range(rows):
        # A quoted field with line breaks: a range boundary may fall inside it.
        name = f'"咸宁市第{i}中学\n温泉路{i}号\n（嘉鱼县）"' if i % 7 == 0 else f"咸宁市第{i}中学·"
        lines.append(f"A{i:05d},{name},{i}.5,2024-01-02,甲,114.32,29.84,")
    return "\n".join(lines) + "\n"


def test_the_ranges_join_into_exactly_the_single_pass_text(tmp_path, monkeypatch):
    text = _gbk_text(3000)
    src = tmp_path / "gbk.csv"
    src.write_bytes(text.encode("gbk"))
    monkeypatch.setattr(fastcode, "MIN_PART", 1)
    ranges = fastcode.split_at_newlines(src, 5)
    assert len(ranges) == 5 and ranges[0][0] == 0 and ranges[-1][1] == src.stat().st_size
    data = src.read_bytes()
    assert all(data[start - 1 : start] == b"\n" for start, _end in ranges[1:])
    dest = tmp_path / "utf8.csv"
    seen: list[float] = []
    assert fastcode.gbk_to_utf8(src, dest, workers=5, progress=seen.append)
    assert dest.read_text(encoding="utf-8") == text
    assert not list(tmp_path.glob("utf8.csv.part*"))


@pytest.mark.parametrize("tail", [b"\xff\xfe bad", b"\xd6"])  # not GBK; cut inside a character
def test_a_refused_byte_leaves_no_output(tmp_path, monkeypatch, tail):
    src = tmp_path / "gbk.csv"
    src.write_bytes(_gbk_text(500).encode("gbk") + tail)
    monkeypatch.setattr(fastcode, "MIN_PART", 1)
    dest = tmp_path / "utf8.csv"
    assert not fastcode.gbk_to_utf8(src, dest, workers=2)
    assert not dest.exists() and not list(tmp_path.glob("utf8.csv.part*"))


def test_a_bad_byte_past_the_sample_is_reported_by_the_strict_pass(table_ds, ingest, monkeypatch):
    """iconv refuses, the Python pass names the byte; nothing is published."""
    monkeypatch.setattr(fastcode, "MIN_PART", 1)
    good = _gbk_text(40000).encode("gbk")
    assert len(good) > 1024 * 1024  # detection (first MB) says GBK
    content = good + b"A99999,\xff\xfe,1,2024-01-02,x,114.3,29.8,\n"
    with pytest.raises(IngestError) as err:
        ingest(table_ds, content)
    assert err.value.code == "bad_encoding"
    assert f"第 {len(good) + 7} 字节处的内容不是有效的 GBK 编码" in str(err.value.message)
    assert not TableVersion.objects.filter(dataset=table_ds).exclude(state="failed").exists()


def test_a_large_gbk_file_is_ingested_through_the_ranges(table_ds, ingest, monkeypatch):
    monkeypatch.setattr(fastcode, "MIN_PART", 1)
    v = ingest(table_ds, _gbk_text(20000).encode("gbk"))
    assert v.state == TableVersion.State.VALIDATED and v.row_count == 20000
    assert v.source_encoding == "gbk"
    assert v.profile["名称"]["min"].startswith("咸宁市第")


def test_a_line_too_long_is_refused_before_parsing(table_ds, ingest, settings):
    settings.KAIFANG_MAX_LINE_BYTES = 4096
    content = HEADER + "A1,短,1,2024-01-02,甲,114.3,29.8,\n" + "A2," + "长" * 2000 + ",1,2024-01-02,甲,1,2,\n"
    with pytest.raises(IngestError) as err:
        ingest(table_ds, content)
    assert err.value.code == "line_too_long" and "第 3 行过长" in str(err.value.message)


def test_mostly_distinct_columns_of_a_large_table_skip_their_top_values(table_ds, ingest):
    rows = [f"A{i:06d},学校{i},{i % 10},2024-01-02,{'甲乙丙'[i % 3]},114.3,29.8," for i in range(60_000)]
    v = ingest(table_ds, HEADER + "\n".join(rows) + "\n")
    assert v.profile["编号"]["top_omitted"] and v.profile["编号"]["top"] == []
    assert v.profile["名称"]["top_omitted"]
    assert "top_omitted" not in v.profile["类别"]
    assert v.profile["类别"]["top"] == [["丙", 20000], ["乙", 20000], ["甲", 20000]]
    assert v.profile["数量"]["top"][0][1] == 6000
    assert [b[2] for b in v.profile["数量"]["histogram"]] == [6000] * 10
    from kaifang.tabular.selectors import profile_charts

    charts = {c["name"]: c for c in profile_charts(v, v.schema)}
    assert charts["编号"]["unique"] and charts["编号"]["kind"] == ""
    assert charts["类别"]["kind"] == "top"
