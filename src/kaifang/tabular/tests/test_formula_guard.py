"""Formula injection through column names and cells (OWASP "CSV injection"): refused at registration,
neutralised in CSV (apostrophe) and typed as strings in XLSX, and left alone in JSON, GeoJSON and Parquet."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Dataset, Field
from kaifang.core.testing import valid_dataset_data

EVIL = "=cmd|' /C calc'!A0"
LEADS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"]
NAMES = ["编号", EVIL, "@总数", "名称", "经度", "纬度"]


@pytest.fixture
def legacy(make_dataset, personas, write):
    """A dataset registered before names were checked: its fields were renamed in the database."""
    from kaifang.tabular.services import table_ingest, table_version_publish

    ds = make_dataset(
        fields=[
            {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True},
            {"name": "公式", "data_type": "C", "length": 64},
            {"name": "总数", "data_type": "N", "length": 12},
            {"name": "名称", "data_type": "C", "length": 64},
            {"name": "经度", "data_type": "N"},
            {"name": "纬度", "data_type": "N"},
        ]
    )
    Field.objects.filter(dataset=ds, name="公式").update(name=EVIL)
    Field.objects.filter(dataset=ds, name="总数").update(name="@总数")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(NAMES)
    for i, lead in enumerate(LEADS):
        w.writerow([f"B{i}", lead, i, lead, 114.3, 29.8])
    path = write("legacy.csv", out.getvalue())
    version = table_ingest(actor=personas["officer"], dataset=ds, path=path, filename=path.name)
    table_version_publish(actor=personas["reviewer"], version=version)
    return ds


def get(client, ds, fmt, **params):
    q = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in {"format": fmt, **params}.items())
    r = client.get(f"/api/v1/datasets/{slug_for_code(ds.code)}/download?{q}")
    assert r.status_code == 200, r.content
    return b"".join(r.streaming_content) if r.streaming else r.content


@pytest.mark.parametrize("params", [{}, {"sort": "编号"}], ids=["stored", "generated"])
@pytest.mark.parametrize("fmt,encoding", [("csv", "utf-8"), ("csv-bom", "utf-8-sig"), ("csv-gbk", "gb18030")])
def test_csv_headers_and_cells_are_neutralised(legacy, client, fmt, encoding, params):
    rows = list(csv.reader(io.StringIO(get(client, legacy, fmt, **params).decode(encoding), newline="")))
    assert rows[0] == ["编号", "'" + EVIL, "'@总数", "名称", "经度", "纬度"]
    assert [r[1] for r in rows[1:]] == ["'" + v for v in LEADS]
    assert [r[3] for r in rows[1:]] == ["'" + v for v in LEADS]


def test_data_api_csv_page_neutralises_headers(legacy, client):
    r = client.get(f"/api/v1/datasets/{slug_for_code(legacy.code)}/data?format=csv")
    rows = list(csv.reader(io.StringIO(r.content.decode(), newline="")))
    assert rows[0][1] == "'" + EVIL and rows[1][1] == "'" + LEADS[0]


@pytest.mark.parametrize("params", [{}, {"sort": "编号"}], ids=["stored", "generated"])
def test_xlsx_writes_text_as_string_cells_never_formulas(legacy, client, params):
    import openpyxl

    data = get(client, legacy, "xlsx", **params)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = list(ws.iter_rows(min_row=1, max_row=1))[0]
    assert [c.value for c in header] == NAMES  # the text is unchanged ...
    assert all(c.data_type == "s" for c in header)  # ... and a string, not a formula
    column = [c for (c,) in ws.iter_rows(min_row=2, min_col=2, max_col=2)]
    assert [c.value for c in column] == LEADS and all(c.data_type == "s" for c in column)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere


def test_json_geojson_and_parquet_carry_the_data_unchanged(legacy, client):
    rows = json.loads(get(client, legacy, "json"))
    assert list(rows[0]) == NAMES and [r[EVIL] for r in rows] == LEADS
    doc = json.loads(get(client, legacy, "geojson"))
    assert [f["properties"][EVIL] for f in doc["features"]] == LEADS
    assert "@总数" in doc["features"][0]["properties"]
    table = pq.read_table(io.BytesIO(get(client, legacy, "parquet")))
    assert table.column_names == NAMES and table.column(EVIL).to_pylist() == LEADS


def test_sample_downloads_use_the_same_guard(legacy, client, personas):
    from kaifang.tabular.services import table_sample_publish

    Dataset.objects.filter(pk=legacy.pk).update(open_attribute="conditional", open_condition="需申请")
    legacy.refresh_from_db()
    table_sample_publish(actor=personas["officer"], dataset=legacy, rows=5)
    base = f"/api/v1/datasets/{slug_for_code(legacy.code)}/sample/download?format="
    r = client.get(base + "csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode(), newline="")))
    assert rows[0][1] == "'" + EVIL and rows[1][1] == "'=1+1"


def post(client, body):
    return client.post("/api/v1/datasets", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    "name,name_en",
    [
        (EVIL, ""),
        ("+合计", ""),
        ("-差额", ""),
        ("@引用", ""),
        ("名\t称", ""),
        ("名\r称", ""),
        ("名\n称", ""),
        ("名称", "=HYPERLINK(1)"),
        (" =前导空格", ""),
    ],
)
def test_registration_refuses_formula_and_control_leads_in_field_names(
    client, login, personas, departments, name, name_en
):
    login(personas["officer"])
    data = valid_dataset_data()
    data["department"] = departments["transport"].uscc
    data["fields"][1] = {"name": name, "name_en": name_en, "data_type": "C", "length": 16}
    r = post(client, data)
    assert r.status_code == 422, r.content
    message = " ".join(r.json()["error"]["details"].values())
    assert "第2个信息项" in message and (
        "公式" in message or "制表符或换行符" in message or "控制字符" in message
    )
    assert Dataset.objects.count() == 0


def test_registration_accepts_ordinary_names_with_inner_signs(client, login, personas, departments):
    login(personas["officer"])
    data = valid_dataset_data()
    data["department"] = departments["transport"].uscc
    data["fields"][1] = {"name": "起点-终点", "name_en": "from-to", "data_type": "C", "length": 16}
    assert post(client, data).status_code in (200, 201)


def test_the_call_log_csv_uses_the_same_guard(legacy, client, login, personas):
    import datetime

    from kaifang.access.models import CallLog

    for query in ("\t=cmd", "", "a=1"):
        CallLog.objects.create(
            at=datetime.datetime.now(datetime.UTC),
            dataset_code=legacy.code,
            endpoint="data",
            method="GET",
            query=query,
            status=200,
            latency_ms=1.0,
        )
    login(personas["auditor"])
    body = b"".join(client.get("/access/calls/?format=csv").streaming_content).decode("utf-8-sig")
    queries = sorted(row[6] for row in csv.reader(io.StringIO(body, newline="")) if row[0] != "at")
    assert queries == ["", "'\t=cmd", "a=1"]  # an empty value is left empty
