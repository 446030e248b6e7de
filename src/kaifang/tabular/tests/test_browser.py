"""In a real browser: an officer uploads a GBK CSV and watches the progress; after review, the preview is
filtered, the map is drawn and the filtered CSV is downloaded and read back."""

from __future__ import annotations

import csv
import io
import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from .conftest import GOOD_CSV  # noqa: E402


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_preview_filter_map_download(live_server, make_dataset, personas, tmp_path, settings):
    from playwright.sync_api import sync_playwright

    from kaifang.catalog.codes import slug_for_code
    from kaifang.core.testing import CHROMIUM_ARGS, PASSWORD
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.services import table_version_publish

    from .conftest import FIELDS

    settings.KAIFANG_INGEST_BACKGROUND = True  # the page polls the background ingest's progress
    ds = make_dataset(fields=FIELDS, title="学校与场馆")
    slug = slug_for_code(ds.code)
    gbk = tmp_path / "学校.csv"
    gbk.write_bytes(GOOD_CSV.encode("gbk"))
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
        page.goto(base + "/accounts/login/")
        page.fill("input[name=username]", "officer")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(base + "/**")
        page.goto(f"{base}/tabular/datasets/{slug}/upload/")
        page.set_input_files("input[name=file]", str(gbk))
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#upload-status:has-text('已生成版本 v1')", timeout=30_000)
        assert page.locator("#upload-progress").get_attribute("value") == "100"
        page.screenshot(path="/tmp/kf-shot-upload.png", full_page=True)

        version = TableVersion.objects.get(dataset=ds)
        assert version.source_encoding == "gbk"
        table_version_publish(actor=personas["reviewer"], version=version)

        page.goto(f"{base}/datasets/{slug}/")
        page.wait_for_selector("#preview table.data")
        assert "咸宁市第一中学" in page.inner_text("#preview")
        page.fill("#preview input[name=q]", "馆")
        page.click("#preview form.filters button[type=submit]")
        page.wait_for_selector("#preview:has-text('共 2 行')")
        assert "咸宁市第一中学" not in page.inner_text("#preview table.data")
        page.wait_for_selector(".tabular-map.leaflet-container canvas")
        page.screenshot(path="/tmp/kf-shot-preview.png", full_page=True)
        with page.expect_download() as info:
            page.click("[data-testid=download-filtered]")
        rows = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
        assert [r[1] for r in rows[1:]] == ["嘉鱼县图书馆", "赤壁市体育馆"]
        browser.close()
