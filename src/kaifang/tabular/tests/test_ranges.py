"""Range requests on downloads of stored whole-table files (Parquet, XLSX); generated downloads ignore Range."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import quote

import pyarrow.parquet as pq

from kaifang.catalog.codes import slug_for_code


def url(ds, fmt, **params):
    q = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in {"format": fmt, **params}.items())
    return f"/api/v1/datasets/{slug_for_code(ds.code)}/download?{q}"


def body(r):
    return b"".join(r.streaming_content) if r.streaming else r.content


def whole(client, ds, fmt="parquet"):
    r = client.get(url(ds, fmt))
    assert r.status_code == 200 and r["Accept-Ranges"] == "bytes"
    data = body(r)
    assert int(r["Content-Length"]) == len(data)
    return r, data


def test_whole_parquet_is_a_stored_file_served_with_ranges(published, client, home):
    r, data = whole(client, published)
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows == 4 and "_id" not in table.column_names
    stored = list((Path(home) / "store" / "exports").rglob("*.parquet"))
    assert len(stored) == 1 and stored[0].read_bytes() == data
    assert r["ETag"].strip('"') == r["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()
    again = client.get(url(published, "parquet"))
    assert body(again) == data and again["ETag"] == r["ETag"]  # served from the store, same validator


def test_single_ranges_answer_206(published, client):
    _r, data = whole(client, published)
    size = len(data)
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-50": (size - 50, size - 1),
        f"bytes=10-{size + 1000}": (10, size - 1),  # a last byte past the end is cut to the end
    }
    for header, (first, last) in cases.items():
        r = client.get(url(published, "parquet"), HTTP_RANGE=header)
        assert r.status_code == 206, header
        assert r["Content-Range"] == f"bytes {first}-{last}/{size}"
        part = body(r)
        assert part == data[first : last + 1] and int(r["Content-Length"]) == len(part)
        assert r["Accept-Ranges"] == "bytes" and r["ETag"]


def test_resume_with_if_range(published, client):
    r, data = whole(client, published)
    resumed = client.get(url(published, "parquet"), HTTP_RANGE="bytes=200-", HTTP_IF_RANGE=r["ETag"])
    assert resumed.status_code == 206 and data[:200] + body(resumed) == data
    by_date = client.get(url(published, "parquet"), HTTP_RANGE="bytes=200-", HTTP_IF_RANGE=r["Last-Modified"])
    assert by_date.status_code == 206
    # The client holds a piece of another file: it gets the whole current one, not a mixed file.
    stale = client.get(url(published, "parquet"), HTTP_RANGE="bytes=200-", HTTP_IF_RANGE='"not-this-file"')
    assert stale.status_code == 200 and body(stale) == data
    weak = client.get(url(published, "parquet"), HTTP_RANGE="bytes=200-", HTTP_IF_RANGE="W/" + r["ETag"])
    assert weak.status_code == 200
    old_date = client.get(
        url(published, "parquet"), HTTP_RANGE="bytes=200-", HTTP_IF_RANGE="Mon, 01 Jan 2001 00:00:00 GMT"
    )
    assert old_date.status_code == 200


def test_unsatisfiable_ranges_answer_416(published, client):
    _r, data = whole(client, published)
    size = len(data)
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        r = client.get(url(published, "parquet"), HTTP_RANGE=header)
        assert r.status_code == 416, header
        assert r["Content-Range"] == f"bytes */{size}"


def test_malformed_or_multiple_ranges_get_the_whole_file(published, client):
    _r, data = whole(client, published)
    for header in ("bytes=5-2", "bytes=a-b", "items=0-10", "bytes=0-1,5-9", "bytes=-", "bytes"):
        r = client.get(url(published, "parquet"), HTTP_RANGE=header)
        assert r.status_code == 200, header
        assert body(r) == data


def test_whole_xlsx_is_stored_and_ranged(published, client):
    import openpyxl

    _r, data = whole(client, published, "xlsx")
    assert list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))[1][0] == "A001"
    r = client.get(url(published, "xlsx"), HTTP_RANGE="bytes=0-3")
    assert r.status_code == 206 and body(r) == b"PK\x03\x04"


def test_generated_downloads_have_no_ranges(published, client, home):
    # Filtered downloads, JSON and GeoJSON: generated per request, Range is ignored.
    for fmt, params in (
        ("parquet", {"类别": "甲"}),
        ("csv", {"类别": "甲"}),
        ("json", {"类别": "甲"}),
        ("xlsx", {"sort": "-数量"}),
    ):
        r = client.get(url(published, fmt, **params), HTTP_RANGE="bytes=0-9")
        assert r.status_code == 200, fmt
        assert "Accept-Ranges" not in r and "Content-Range" not in r
        assert len(body(r)) > 10
    filtered = client.get(url(published, "parquet", 类别="甲"))
    assert pq.read_table(io.BytesIO(body(filtered))).num_rows == 2
    assert not list((Path(home) / "store" / "exports").rglob("*.xlsx"))  # only whole tables are kept


def test_ranges_need_the_same_access_as_downloads(make_table, client, login, personas):
    from .conftest import FIELDS, GOOD_CSV

    missing = client.get("/api/v1/datasets/nope/download?format=parquet", HTTP_RANGE="bytes=0-9")
    assert missing.status_code == 404
    conditional = make_table(
        GOOD_CSV,
        FIELDS,
        open_attribute="conditional",
        open_condition="需申请",
        share_type="conditional",
        share_condition="需申请",
    )
    forbidden = client.get(url(conditional, "parquet"), HTTP_RANGE="bytes=0-9")
    assert forbidden.status_code == 403
    # The department's own officer may read it: the stored file answers the range.
    staff = login(personas["officer"]).get(url(conditional, "parquet"), HTTP_RANGE="bytes=0-3")
    assert staff.status_code == 206 and body(staff) == b"PAR1"


def test_whole_csv_variants_are_stored_files_with_ranges(published, client, home):
    import csv

    for fmt, encoding in (("csv", "utf-8"), ("csv-bom", "utf-8-sig"), ("csv-gbk", "gbk")):
        r, data = whole(client, published, fmt)
        rows = list(csv.reader(io.StringIO(data.decode(encoding))))
        assert rows[0][:2] == ["编号", "名称"] and rows[3][1] == "嘉鱼县图书馆", fmt
        head = client.get(url(published, fmt), HTTP_RANGE="bytes=0-2")
        assert head.status_code == 206 and body(head) == data[:3], fmt
    assert len(list((Path(home) / "store" / "exports").rglob("*.csv"))) == 3
    assert whole(client, published, "csv-bom")[1].startswith(b"\xef\xbb\xbf")


def test_stored_csv_neutralises_every_formula_lead(make_table, client):
    from .conftest import FIELDS

    leads = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]
    lines = ["编号,名称,数量,日期,类别,经度,纬度,身份证号"] + [
        f'B{i},"{v}",1,2024-01-01,甲,114.3,29.8,' for i, v in enumerate(leads)
    ]
    ds = make_table("\n".join(lines) + "\n", FIELDS)
    import csv

    _r, data = whole(client, ds, "csv")
    names = [row[1] for row in csv.reader(io.StringIO(data.decode(), newline=""))][1:]
    assert names == ["'" + v for v in leads]


def test_publication_prepares_the_public_csv(
    table_ds, ingest, personas, client, home, django_capture_on_commit_callbacks
):
    from kaifang.tabular.services import table_version_publish

    version = ingest(table_ds)
    exports = Path(home) / "store" / "exports"
    with django_capture_on_commit_callbacks(execute=True):
        table_version_publish(actor=personas["reviewer"], version=version)
    stored = list(exports.rglob("*.csv"))
    assert len(stored) == 3  # UTF-8, with BOM, GB18030; and every other format (test_download_stability.py)
    r, data = whole(client, table_ds, "csv")
    assert data in [p.read_bytes() for p in stored] and b"\xe8\xba\xab\xe4\xbb\xbd" not in data
    assert len(list(exports.rglob("*.csv"))) == 3  # served from the prepared file


def test_publication_of_conditional_data_prepares_nothing(
    make_dataset, ingest, personas, home, django_capture_on_commit_callbacks
):
    from kaifang.tabular.services import table_version_publish

    from .conftest import FIELDS

    ds = make_dataset(fields=FIELDS, title="有条件", open_attribute="conditional", open_condition="需申请")
    version = ingest(ds)
    with django_capture_on_commit_callbacks(execute=True):
        table_version_publish(actor=personas["reviewer"], version=version)
    assert not list((Path(home) / "store" / "exports").rglob("*.csv"))
