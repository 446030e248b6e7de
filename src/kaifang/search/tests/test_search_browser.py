"""Search in a real browser: type Chinese, pick a suggestion, narrow by a facet, open a related dataset
from the graph view."""

from __future__ import annotations

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's sync API runs an event loop


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_suggest_facet_graph_related(live_server, make_dataset, browser_page, search_backend):
    if search_backend != "embedded":
        pytest.skip("one backend is enough in the browser")
    uscc = {"name": "统一社会信用代码", "data_type": "C", "length": 18}
    make_dataset(title="公交线路站点信息")
    make_dataset(title="咸安区校车线路站点", department="xianan_edu", officer="county_officer")
    make_dataset(
        title="市场主体登记信息", domain="market", abstract="企业登记信息。", tags=["企业"], fields=[uscc]
    )
    make_dataset(
        title="企业信用评价结果", domain="credit", abstract="企业信用等级。", tags=["信用"], fields=[uscc]
    )
    page = browser_page
    base = live_server.url

    # Type a Chinese query; suggestions arrive under the box (htmx); pick one.
    page.goto(base + "/datasets/")
    page.locator("input[name=q]").press_sequentially("公交线", delay=60)
    page.wait_for_selector("#suggest-box a.suggestion")
    page.locator("#suggest-box a.suggestion").first.click()
    page.wait_for_selector("h1:has-text('公交线路站点信息')")

    # Search, then narrow by the county facet.
    page.goto(base + "/datasets/?q=线路站点")
    assert page.locator(".ds-item").count() == 2
    assert page.locator(".ds-item mark").count() >= 1
    page.locator("[data-facet=region] a", has_text="咸安区").first.click()
    page.wait_for_url("**region=421202**")
    page.wait_for_selector("#browse-area .chip")
    assert page.locator(".ds-item").count() == 1

    # From a dataset page to the graph, then open a related dataset from the graph view.
    page.goto(base + "/datasets/?q=市场主体")
    page.click("text=市场主体登记信息")
    page.wait_for_selector("[data-testid=related]")
    assert "企业信用评价结果" in page.inner_text("[data-testid=related]")
    page.click("[data-testid=graph-link]")
    page.wait_for_selector("#graph[data-ready='1']")
    assert page.locator("#graph canvas").count() >= 1
    page.screenshot(path="/tmp/kf-shot-graph.png", full_page=True)
    page.locator("#graph-list a.graph-dataset", has_text="企业信用评价结果").click()
    page.wait_for_selector("h1:has-text('企业信用评价结果')")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_graph_shows_an_application_and_clicks_through(
    live_server, make_dataset, personas, browser_page, search_backend
):
    if search_backend != "embedded":
        pytest.skip("one backend is enough in the browser")
    from kaifang.scenarios import services as scenario_services

    bus = make_dataset(title="公交线路信息", domain="transport")
    parking = make_dataset(title="公共停车场名录", domain="transport")
    app = scenario_services.scenario_create(
        actor=personas["officer"],
        department=bus.department,
        data={
            "title": "咸宁出行助手",
            "summary": "公交与停车。",
            "scenario": "SC5",
            "datasets": [bus.code, parking.code],
        },
    )
    scenario_services.scenario_publish(actor=personas["reviewer"], app=app)
    page = browser_page
    page.goto(live_server.url + "/graph/?domain=transport")
    page.wait_for_selector("#graph[data-ready='1']")
    # The chart holds the application as a node of the application category, linked to both datasets.
    series = page.evaluate(
        "() => { var s = echarts.getInstanceByDom(document.getElementById('graph')).getOption().series[0];"
        " return {nodes: s.data.map(function (n) { return [n.id, n.category]; }), links: s.links.length,"
        " categories: s.categories.map(function (c) { return c.name; })}; }"
    )
    assert [f"application:{app.pk}", 5] in series["nodes"]
    assert series["categories"][5] == "场景应用"
    page.screenshot(path="/tmp/kf-shot-graph-app.png", full_page=True)
    # Click through: graph → application → a dataset it uses.
    page.locator("#graph-list a.graph-application", has_text="咸宁出行助手").click()
    page.wait_for_selector("h1:has-text('咸宁出行助手')")
    page.locator("[data-testid=app-datasets] a", has_text="公共停车场名录").click()
    page.wait_for_selector("h1:has-text('公共停车场名录')")
    assert "咸宁出行助手" in page.inner_text("[data-testid=used-by]")
