"""Uploads as the page and API clients send them: XLSX made by openpyxl (stored as `<id>.part`), CSV whose
line ends are mixed, and a chunk larger than the request body limit (a JSON error, never an HTML page)."""

from __future__ import annotations

import io
import json
import os

import pytest

from kaifang.catalog.codes import slug_for_code

from .conftest import HEADER, ROWS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SHEET = [
    ["编号", "名称", "数量", "日期", "类别", "经度", "纬度", "身份证号"],
    ["A001", "咸宁市第一中学", 12.5, "2024-01-02", "甲", 114.32, 29.84, None],
    ["A002", "嘉鱼县图书馆", 3, "2024-02-03", "乙", 114.30, 29.85, None],
    ["A003", "赤壁市体育馆", None, "2024-03-04", "丙", 113.92, 29.97, None],
]


def chunked_upload(client, ds, name: str, data: bytes, chunk: int = 1000, **extra):
    r = client.post(
        f"/api/v1/datasets/{slug_for_code(ds.code)}/uploads",
        json.dumps({"filename": name, "size": len(data), **extra}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    uid = r.json()["id"]
    for offset in range(0, len(data), chunk):
        put = client.put(
            f"/api/v1/uploads/{uid}?offset={offset}",
            data[offset : offset + chunk],
            content_type="application/octet-stream",
        )
        assert put.status_code == 200, put.content
    return client.post(f"/api/v1/uploads/{uid}/complete")


def test_xlsx_through_the_chunked_upload_api(table_ds, login, personas):
    data = xlsx_bytes(SHEET)
    assert len(data) > 3000  # several chunks
    done = chunked_upload(login(personas["officer"]), table_ds, "学校.xlsx", data)
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["state"] == "ingested"
    assert body["version"]["source_format"] == "xlsx" and body["version"]["row_count"] == 3


def test_a_broken_xlsx_is_refused_with_its_reason(table_ds, login, personas):
    data = xlsx_bytes(SHEET)[:-200]  # cut: the zip's directory is gone
    done = chunked_upload(login(personas["officer"]), table_ds, "学校.xlsx", data)
    assert done.status_code == 422
    assert done.json()["error"]["code"] == "truncated"


@pytest.mark.parametrize(
    "newlines",
    [
        ["\r\n", "\r\n", "\r\n", "\r\n", "\n"],  # saved with CRLF, the last line added in an LF editor
        ["\n", "\r\n", "\n", "\r\n", "\r\n"],
        ["\r\n", "\n", "\r\n", "\r\n", "\r\n"],
    ],
)
def test_csv_with_mixed_line_ends_is_read(table_ds, login, personas, newlines):
    lines = [HEADER.rstrip("\n"), *ROWS]
    text = "".join(line + nl for line, nl in zip(lines, newlines, strict=True))
    done = chunked_upload(login(personas["officer"]), table_ds, "混合换行.csv", text.encode(), chunk=97)
    assert done.status_code == 200, done.content
    assert done.json()["version"]["row_count"] == 4
    rows = login(personas["officer"]).get(
        f"/api/v1/datasets/{slug_for_code(table_ds.code)}/data?version=1&sort=编号"
    )
    assert [r["类别"] for r in rows.json()["rows"]] == ["甲", "乙", "丙", "甲"]  # no stray \r in a value


def test_mixed_line_ends_keep_quoted_line_breaks(table_ds, login, personas):
    text = (
        HEADER.replace("\n", "\r\n")
        + 'A001,"第一行\r\n第二行",1,2024-01-02,甲,114.3,29.8,\r\n'
        + 'A002,"甲""乙""\n丙",2,2024-01-03,乙,114.3,29.8,\n'
    )
    done = chunked_upload(login(personas["officer"]), table_ds, "引号.csv", text.encode("gbk"), chunk=50)
    assert done.status_code == 200, done.content
    rows = login(personas["officer"]).get(
        f"/api/v1/datasets/{slug_for_code(table_ds.code)}/data?version=1&sort=编号"
    )
    assert [r["名称"] for r in rows.json()["rows"]] == ["第一行\r\n第二行", '甲"乙"\n丙']


def test_a_stray_carriage_return_is_not_called_a_quote(table_ds, login, personas):
    text = HEADER + "A001,甲\r乙,1,2024-01-02,甲,114.3,29.8,\n"
    done = chunked_upload(login(personas["officer"]), table_ds, "回车.csv", text.encode())
    assert done.status_code == 422
    error = done.json()["error"]
    assert error["code"] == "csv_structure" and "回车符" in error["message"]


def test_unify_line_ends_across_chunk_boundaries(tmp_path):
    from kaifang.tabular.ingest import scan_lines, unify_line_ends

    text = b'a,b\r\n1,"x\r\ny"\r\n2,"p""q"\n3,z\r\n4,w\n'
    src = tmp_path / "in.csv"
    src.write_bytes(text)
    assert scan_lines(src, 1000, chunk_size=3) == (None, True)
    for size in (1, 2, 3, 4, 5, 7, 64):
        dest = tmp_path / f"out{size}.csv"
        unify_line_ends(src, dest, chunk_size=size)
        assert dest.read_bytes() == b'a,b\n1,"x\r\ny"\n2,"p""q"\n3,z\n4,w\n', size
    same = tmp_path / "crlf.csv"
    same.write_bytes(b"a,b\r\n1,x\r\n")
    assert scan_lines(same, 1000, chunk_size=4) == (None, False)


def test_a_chunk_over_the_body_limit_gets_the_json_error(table_ds, login, personas, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    c = login(personas["officer"])
    r = c.post(
        f"/api/v1/datasets/{slug_for_code(table_ds.code)}/uploads",
        json.dumps({"filename": "大.csv", "size": 5000}),
        content_type="application/json",
    )
    uid = r.json()["id"]
    big = c.put(f"/api/v1/uploads/{uid}?offset=0", b"x" * 2048, content_type="application/octet-stream")
    assert big.status_code == 413
    assert big["Content-Type"].startswith("application/json")
    error = big.json()["error"]
    assert error["code"] == "payload_too_large" and "请求体过大" in error["message"]
    assert error["details"]["max_bytes"] == 1024
    # Nothing was written: the upload resumes at 0 with chunks under the limit.
    assert c.get(f"/api/v1/uploads/{uid}").json()["received"] == 0
    ok = c.put(f"/api/v1/uploads/{uid}?offset=0", b"x" * 1000, content_type="application/octet-stream")
    assert ok.status_code == 200 and ok.json()["received"] == 1000
    english = c.put(
        f"/api/v1/uploads/{uid}?offset=1000",
        b"x" * 2048,
        content_type="application/octet-stream",
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 413 and english.json()["error"]["code"] == "payload_too_large"


def test_the_upload_page_is_served_to_the_officer_only(table_ds, login, personas):
    url = f"/tabular/datasets/{slug_for_code(table_ds.code)}/upload/"
    assert login(personas["officer"]).get(url).status_code == 200
    assert login(personas["other_officer"]).get(url).status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_xlsx_through_the_upload_page(live_server, make_dataset, personas, tmp_path, settings):
    from playwright.sync_api import sync_playwright

    from kaifang.core.testing import CHROMIUM_ARGS, PASSWORD
    from kaifang.tabular.models import TableVersion

    from .conftest import FIELDS

    settings.KAIFANG_INGEST_BACKGROUND = True
    ds = make_dataset(fields=FIELDS, title="学校与场馆")
    path = tmp_path / "学校.xlsx"
    path.write_bytes(xlsx_bytes(SHEET))
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(base + "/accounts/login/")
        page.fill("input[name=username]", "officer")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(base + "/**")
        page.goto(f"{base}/tabular/datasets/{slug_for_code(ds.code)}/upload/")
        page.set_input_files("input[name=file]", str(path))
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#upload-status:has-text('已生成版本 v1')", timeout=30_000)
        browser.close()
    version = TableVersion.objects.get(dataset=ds)
    assert version.source_format == "xlsx" and version.row_count == 3
