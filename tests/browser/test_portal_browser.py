"""The portal in a real browser: home -> domain -> county facet -> dataset page -> English."""

from __future__ import annotations

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's sync API runs an event loop


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browse_to_a_dataset_and_switch_to_english(live_server, make_dataset, browser_page):
    from django.core.cache import cache

    from kaifang.catalog.models import Dataset

    cache.clear()
    make_dataset(title="公交线路站点信息")
    make_dataset(title="城区公交客流统计", abstract="各线路月度客流。")
    make_dataset(title="咸安区校车线路站点", department="xianan_edu", officer="county_officer")
    Dataset.objects.update(is_sample=True)
    page = browser_page
    base = live_server.url

    page.goto(base + "/")
    assert "咸宁市公共数据开放平台" in page.title()
    page.screenshot(path="/tmp/kf-shot-home.png", full_page=True)

    page.click("a.tile[data-domain=transport]")
    page.wait_for_url("**/datasets/?domain=transport")
    assert page.locator(".ds-item").count() == 3

    # the county facet swaps the results through htmx and pushes the URL
    page.locator("[data-facet=region] a", has_text="咸安区").first.click()
    page.wait_for_url("**region=421202**")
    page.wait_for_selector("#browse-area .chip")
    assert page.locator(".ds-item").count() == 1
    page.screenshot(path="/tmp/kf-shot-browse.png", full_page=True)

    page.click("text=咸安区校车线路站点")
    page.wait_for_selector("h1:has-text('咸安区校车线路站点')")
    assert page.locator(".badge.sample").first.is_visible()
    assert page.locator("table.grid").first.inner_text().count("线路编号") == 1
    page.screenshot(path="/tmp/kf-shot-dataset.png", full_page=True)
    href = page.locator('link[rel=alternate][type="application/json"]').get_attribute("href")
    assert href.startswith("/api/v1/datasets/")

    page.click("[data-testid=lang-en]")
    page.wait_for_selector("h2:has-text('Fields')")
    text = page.inner_text("body")
    assert "Datasets" in text and "Unconditionally open" in text and "Sample data" in text
    assert "Monthly" in text
    page.screenshot(path="/tmp/kf-shot-dataset-en.png", full_page=True)
