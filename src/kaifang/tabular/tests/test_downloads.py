"""Downloads in every format, read back; formula neutralisation; names, ETag and checksum headers."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest

from kaifang.catalog.codes import slug_for_code


def dl(client, ds, fmt, **params):
    q = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in {"format": fmt, **params}.items())
    r = client.get(f"/api/v1/datasets/{slug_for_code(ds.code)}/download?{q}")
    assert r.status_code == 200, r.content
    return r, b"".join(r.streaming_content)


@pytest.mark.parametrize("fmt,encoding", [("csv", "utf-8"), ("csv-bom", "utf-8-sig"), ("csv-gbk", "gbk")])
def test_csv_variants(published, client, fmt, encoding):
    r, data = dl(client, published, fmt)
    if fmt == "csv-bom":
        assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode(encoding))))
    assert rows[0] == ["编号", "名称", "数量", "日期", "类别", "经度", "纬度"]
    assert rows[1] == ["A001", "咸宁市第一中学", "12.5", "2024-01-02", "甲", "114.32", "29.84"]
    assert rows[2][1] == '\'=HYPERLINK("http://x")'  # formula neutralised
    assert len(rows) == 5
    disposition = r["Content-Disposition"]
    suffix = {"csv": "", "csv-bom": "-excel", "csv-gbk": "-gb18030"}[fmt]
    assert "filename*=UTF-8''" + quote(f"学校与场馆-v1{suffix}.csv") in disposition
    assert r["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()  # the bytes received
    assert r["ETag"] and r["Last-Modified"]


def test_filtered_download_and_etag(published, client):
    r, data = dl(client, published, "csv", 类别="甲", sort="-数量")
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert [row[0] for row in rows[1:]] == ["A004", "A001"]
    again = client.get(
        f"/api/v1/datasets/{slug_for_code(published.code)}/download?format=csv&{quote('类别')}={quote('甲')}&sort={quote('-数量')}",
        HTTP_IF_NONE_MATCH=r["ETag"],
    )
    assert again.status_code == 304


def test_xlsx(published, client):
    import openpyxl

    _r, data = dl(client, published, "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "名称")
    assert rows[1][:3] == ("A001", "咸宁市第一中学", 12.5)
    # A string cell, not a formula: the text stays as it is (see test_formula_guard.py).
    assert rows[2][1] == '=HYPERLINK("http://x")'


def test_json_and_parquet(published, client):
    _r, data = dl(client, published, "json", fields="编号,数量")
    assert json.loads(data) == [
        {"编号": "A001", "数量": 12.5},
        {"编号": "A002", "数量": 3.0},
        {"编号": "A003", "数量": None},
        {"编号": "A004", "数量": 40.0},
    ]
    _r, data = dl(client, published, "parquet")
    table = pq.read_table(io.BytesIO(data))
    assert table.column_names == ["编号", "名称", "数量", "日期", "类别", "经度", "纬度"]
    assert table.num_rows == 4


def test_geojson(published, client):
    _r, data = dl(client, published, "geojson", 类别="甲")
    doc = json.loads(data)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 2
    assert doc["features"][0]["geometry"] == {"type": "Point", "coordinates": [114.32, 29.84]}
    assert doc["features"][0]["properties"]["名称"] == "咸宁市第一中学"


def test_download_errors_and_visibility(published, client, make_dataset):
    r = client.get(f"/api/v1/datasets/{slug_for_code(published.code)}/download?format=doc")
    assert r.status_code == 422 and "format 只能是" in r.json()["error"]["message"]
    r = client.get(
        f"/api/v1/datasets/{slug_for_code(published.code)}/download?format=geojson&fields={quote('编号')}"
    )
    assert r.status_code == 422 and "经纬度" in r.json()["error"]["message"]
    draft = make_dataset(state="draft")
    assert client.get(f"/api/v1/datasets/{slug_for_code(draft.code)}/download").status_code == 404
