"""Downloads are byte-stable for a version (rebuilds, DuckDB threads, tables over 2,048 rows), a resumed
download after a rebuild splices the same file, and each file's SHA-256 is what the page and the header say.
Fidelity: the GB18030 label, GeoJSON features without coordinates, and the declared coordinate system."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.tabular.exports import SENT_WHILE_STORED, STORED

FIELDS = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "名称", "data_type": "C", "length": 64},
    {"name": "数量", "data_type": "N", "length": 12},
    {"name": "经度", "data_type": "N"},
    {"name": "纬度", "data_type": "N"},
]
ROWS = 20_000  # two row groups of 16,384: DuckDB reads them on several threads


def big_csv(rows: int = ROWS) -> str:
    lines = ["编号,名称,数量,经度,纬度"]
    for i in range(rows):
        coords = ",," if i % 7 == 0 else f"{114 + (i % 100) / 1000},{29 + (i % 50) / 1000}"
        name = "𠀀字" if i % 1000 == 1 else f"=名{i % 97}" if i % 500 == 3 else f"名{i % 97}"
        lines.append(f"K{i:06d},{name},{(i * 37) % 1000},{coords}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def big(make_table):
    return make_table(big_csv(), FIELDS, coordinate_system="gcj02")


def url(ds, fmt, **params):
    q = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in {"format": fmt, **params}.items())
    return f"/api/v1/datasets/{slug_for_code(ds.code)}/download?{q}"


def fetch(client, ds, fmt, **params):
    r = client.get(url(ds, fmt, **params))
    assert r.status_code == 200, (fmt, r.content[:300])
    return r, b"".join(r.streaming_content) if r.streaming else r.content


def rebuild(settings, threads):
    """Forget every stored download and let DuckDB use `threads` threads for the next build."""
    settings.KAIFANG_DUCKDB_THREADS = threads
    shutil.rmtree(Path(settings.KAIFANG_HOME) / "store" / "exports", ignore_errors=True)


def test_every_whole_table_format_is_byte_stable_across_rebuilds_and_threads(big, client, settings):
    builds = []
    for threads in (4, 1, 3):
        rebuild(settings, threads)
        got = {}
        for fmt in STORED:
            r, data = fetch(client, big, fmt)
            if fmt in SENT_WHILE_STORED:  # streamed to the first request while stored: the next gets the file
                r, stored = fetch(client, big, fmt)
                assert stored == data, fmt
            digest = hashlib.sha256(data).hexdigest()
            assert r["ETag"] == f'"{digest}"' and r["X-Content-SHA256"] == digest, fmt  # names the bytes
            got[fmt] = data
        builds.append(got)
    for fmt in STORED:
        assert builds[0][fmt] == builds[1][fmt] == builds[2][fmt], fmt
    # The data API's default order: the row number.
    ids = [line.split(",", 1)[0] for line in builds[0]["csv"].decode().splitlines()[1:]]
    assert ids == [f"K{i:06d}" for i in range(ROWS)]


def test_generated_downloads_are_byte_stable(big, client, settings):
    params = {"sort": "-数量", "数量__ge": "100"}
    first = {}
    for threads in (4, 1):
        rebuild(settings, threads)
        for fmt in ("csv", "csv-gbk", "xlsx", "json", "geojson", "parquet"):
            r, data = fetch(client, big, fmt, **params)
            assert r["ETag"].startswith('W/"') and "X-Content-SHA256" not in r  # not stored bytes
            assert first.setdefault(fmt, data) == data, fmt
    rows = [line.split(",") for line in first["csv"].decode().splitlines()[1:]]
    keys = [(-int(r[2]), r[0]) for r in rows]
    assert keys == sorted(keys)  # the sort, then the row number breaking ties


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_a_resume_after_a_rebuild_splices_the_same_file(big, client, settings, fmt):
    rebuild(settings, 4)
    r, data = fetch(client, big, fmt)
    half = len(data) // 2
    rebuild(settings, 3)  # the stored file is gone: the next request builds it again
    resumed = client.get(url(big, fmt), HTTP_RANGE=f"bytes={half}-", HTTP_IF_RANGE=r["ETag"])
    assert resumed.status_code == 206
    assert data[:half] + b"".join(resumed.streaming_content) == data


def test_xlsx_dates_are_the_publication_time(big, client):
    import openpyxl

    _r, data = fetch(client, big, "xlsx")
    published = big.table_versions.get().published_at.astimezone(datetime.UTC).replace(tzinfo=None)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        stamp = published.replace(second=published.second // 2 * 2).timetuple()[:6]  # zip: 2-second steps
        assert {i.date_time for i in z.infolist()} == {stamp}
    props = openpyxl.load_workbook(io.BytesIO(data), read_only=True).properties
    assert props.created == props.modified == published.replace(microsecond=0)


def checksums_on_page(html):
    rows = re.findall(r'<tr data-format="([\w-]+)">(.*?)</tr>', html, re.S)
    return {fmt: (re.findall(r'class="checksum">([0-9a-f]{64})<', row) or [None])[0] for fmt, row in rows}


def test_the_page_shows_the_checksum_of_each_file_as_downloaded(
    make_dataset, personas, client, tmp_path, django_capture_on_commit_callbacks, settings
):
    from kaifang.tabular.services import table_ingest, table_version_publish

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ds = make_dataset(fields=FIELDS, coordinate_system="wgs84")
    path = tmp_path / "small.csv"
    path.write_text(big_csv(3000), encoding="utf-8")
    version = table_ingest(actor=personas["officer"], dataset=ds, path=path, filename=path.name)
    with django_capture_on_commit_callbacks(execute=True):  # publication prepares every public file
        table_version_publish(actor=personas["reviewer"], version=version)
    html = client.get(f"/tabular/datasets/{slug_for_code(ds.code)}/data-panel/").content.decode()
    shown = checksums_on_page(html)
    assert set(shown) == set(STORED)
    for fmt in STORED:
        r, data = fetch(client, ds, fmt)
        assert hashlib.sha256(data).hexdigest() == r["X-Content-SHA256"] == shown[fmt], fmt
        name = re.search(r'filename="([^"]+)"', r["Content-Disposition"]).group(1)
        assert f"<code>{name}</code>" in html  # the page names the file each checksum belongs to
    assert "CSV (GB18030)" in html and "GBK)" not in html


def test_the_sample_checksums_on_the_page_are_those_of_its_downloads(make_table, client, personas):
    from kaifang.tabular.services import table_sample_publish

    ds = make_table(
        big_csv(300),
        FIELDS,
        open_attribute="conditional",
        open_condition="需申请",
        share_type="conditional",
        share_condition="需申请",
    )
    table_sample_publish(actor=personas["officer"], dataset=ds, rows=100)
    slug = slug_for_code(ds.code)
    html = client.get(f"/tabular/datasets/{slug}/data-panel/").content.decode()
    for fmt in ("csv", "csv-bom", "xlsx"):
        r = client.get(f"/api/v1/datasets/{slug}/sample/download?format={fmt}")
        digest = hashlib.sha256(b"".join(r.streaming_content)).hexdigest()
        assert r["X-Content-SHA256"] == digest and f'class="checksum">{digest}<' in html, fmt


def test_gb18030_is_labelled_gb18030_and_keeps_characters_outside_gbk(big, client):
    for params in ({}, {"sort": "编号"}):
        r, data = fetch(client, big, "csv-gbk", **params)
        assert r["Content-Type"] == "text/csv; charset=gb18030"
        assert "𠀀字" in data.decode("gb18030")
        with pytest.raises(UnicodeDecodeError):
            data.decode("gbk")  # which is why the label must not say GBK


def test_geojson_keeps_rows_without_coordinates_and_states_the_crs(big, client):
    for params in ({}, {"sort": "编号"}):
        _r, data = fetch(client, big, "geojson", **params)
        doc = json.loads(data)
        assert len(doc["features"]) == ROWS
        empty = [f for f in doc["features"] if f["geometry"] is None]
        assert len(empty) == len(range(0, ROWS, 7)) and empty[0]["properties"]["编号"] == "K000000"
        assert doc["coordinate_system"]["code"] == "GCJ-02" and "crs" not in doc  # no registered name


@pytest.mark.parametrize(
    "code,label,urn",
    [
        ("wgs84", "WGS 84", "urn:ogc:def:crs:OGC:1.3:CRS84"),
        ("cgcs2000", "CGCS2000", "urn:ogc:def:crs:EPSG::4490"),
        ("", None, None),
    ],
)
def test_the_coordinate_system_is_in_the_metadata_page_api_and_geojson(make_table, client, code, label, urn):
    ds = make_table(big_csv(20), FIELDS, coordinate_system=code)
    slug = slug_for_code(ds.code)
    detail = client.get(f"/api/v1/datasets/{slug}").json()
    page = client.get(f"/datasets/{slug}/").content.decode()
    doc = json.loads(fetch(client, ds, "geojson")[1])
    if code:
        assert detail["coordinate_system"]["code"] == code and label in detail["coordinate_system"]["label"]
        assert 'data-testid="coordinate-system"' in page and label in page
        assert doc["crs"]["properties"]["name"] == urn and doc["coordinate_system"]["code"] == label
    else:
        assert detail["coordinate_system"] is None and 'data-testid="coordinate-system"' not in page
        assert doc["coordinate_system"]["code"] is None and "crs" not in doc


def test_an_unknown_coordinate_system_is_refused(client, login, personas, departments):
    from kaifang.core.testing import valid_dataset_data

    login(personas["officer"])
    data = valid_dataset_data(coordinate_system="mars")
    data["department"] = departments["transport"].uscc
    r = client.post("/api/v1/datasets", json.dumps(data), content_type="application/json")
    assert r.status_code == 422 and "坐标系" in r.json()["error"]["details"]["coordinate_system"]


def test_a_grantees_whole_table_is_a_stored_file_of_its_rows_with_its_checksum(
    make_table, make_grant, personas, login
):
    ds = make_table(
        "编号,名称,数量,经度,纬度\nA1,甲,1,114.3,29.8\nA2,乙,2,114.3,29.8\nA3,甲,3,,\n",
        FIELDS,
        open_attribute="conditional",
        open_condition="签协议",
    )
    make_grant(ds, fields=["编号", "数量"], row_filter="名称__eq=甲")
    client = login(personas["enterprise"])
    r, data = fetch(client, ds, "csv")
    assert data.decode().splitlines() == ["编号,数量", "A1,1.0", "A3,3.0"]  # its columns and rows only
    assert r["Accept-Ranges"] == "bytes" and r["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()
    part = client.get(url(ds, "csv"), HTTP_RANGE="bytes=3-", HTTP_IF_RANGE=r["ETag"])
    assert part.status_code == 206 and b"".join(part.streaming_content) == data[3:]
    html = client.get(f"/tabular/datasets/{slug_for_code(ds.code)}/data-panel/").content.decode()
    assert checksums_on_page(html)["csv"] == r["X-Content-SHA256"]


def test_large_tables_prepare_csv_and_parquet_and_json_is_stored_by_its_first_request(
    make_dataset, personas, client, tmp_path, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from kaifang.tabular import exports
    from kaifang.tabular.services import table_ingest, table_version_publish

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(exports, "PREPARE_ALL_ROWS", 100)  # this table counts as large
    ds = make_dataset(fields=FIELDS)
    path = tmp_path / "large.csv"
    path.write_text(big_csv(500), encoding="utf-8")
    version = table_ingest(actor=personas["officer"], dataset=ds, path=path, filename=path.name)
    with django_capture_on_commit_callbacks(execute=True):
        table_version_publish(actor=personas["reviewer"], version=version)
    panel = f"/tabular/datasets/{slug_for_code(ds.code)}/data-panel/"
    shown = checksums_on_page(client.get(panel).content.decode())
    assert {f for f, digest in shown.items() if digest} == set(exports.PREPARED_ALWAYS)
    # A client that goes away mid-way leaves nothing stored.
    from django.contrib.auth.models import AnonymousUser

    _version, wanted = exports.for_whole_table(AnonymousUser(), ds)
    gone = exports.stream_and_store(wanted["json"])
    next(gone)
    gone.close()  # what the server does when the connection drops
    assert not list((Path(settings.KAIFANG_HOME) / "store" / "tmp").glob("*.json"))
    assert checksums_on_page(client.get(panel).content.decode())["json"] is None
    first, data = fetch(client, ds, "json")  # streamed at once, stored as it goes
    assert first["ETag"].startswith('W/"') and "X-Content-SHA256" not in first
    second, again = fetch(client, ds, "json")
    assert again == data and second["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()
    assert checksums_on_page(client.get(panel).content.decode())["json"] == second["X-Content-SHA256"]
