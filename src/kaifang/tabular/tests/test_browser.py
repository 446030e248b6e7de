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
        page.wait_for_selector(".tabular-map[data-points='4']")  # every point, from the clustered endpoint
        assert "咸安区" in page.inner_text(".tabular-map")  # the shipped basemap's county seats
        # Column profile charts (ECharts, SVG) with their tables for screen readers.
        page.wait_for_selector(".profile-card .chart svg")
        assert page.locator(".profile-card").count() >= 7
        assert "空值 1 行（25.0%）" in page.inner_text(".profile-charts")
        page.screenshot(path="/tmp/kf-shot-preview.png", full_page=True)
        with page.expect_download() as info:
            page.click("[data-testid=download-filtered]")
        rows = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
        assert [r[1] for r in rows[1:]] == ["嘉鱼县图书馆", "赤壁市体育馆"]
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_of_100000_points_draws_clusters(live_server, make_table, browser_page):
    from kaifang.catalog.codes import slug_for_code

    from .test_preview import POINT_FIELDS, points_csv

    ds = make_table(points_csv(100_000), POINT_FIELDS, title="十万个点")
    page = browser_page
    page.goto(f"{live_server.url}/datasets/{slug_for_code(ds.code)}/")
    page.wait_for_selector(".tabular-map .kf-cluster")
    page.wait_for_selector(".tabular-map[data-points='100000']")
    clusters = page.locator(".tabular-map .kf-cluster").count()
    assert 0 < clusters <= 41 * 41  # the browser draws clusters, not 100,000 markers
    assert "视图内 100000 个点" in page.inner_text(".tabular-map-status")
    # Zooming in on a cluster asks for that view only: fewer points, still clusters or single points.
    page.locator(".tabular-map .kf-cluster").first.click()
    page.wait_for_function(
        "() => { const el = document.querySelector('.tabular-map'); return +el.dataset.points < 100000; }"
    )
    page.screenshot(path="/tmp/kf-shot-clusters.png", full_page=True)
