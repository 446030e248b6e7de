"""The Content-Security-Policy in a real browser: the interactive parts still work (htmx facets, the data
panel's preview, map and charts, chart tooltips, the resource graph, the dataset form's rows, Swagger UI) and
Chromium reports no violation on any of them, at desktop and at phone width."""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's sync API runs an event loop

from tests.test_security_headers import CSV, FIELDS  # noqa: E402

# Chromium fires securitypolicyviolation for every refused script, handler, style or connection.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


class Watch:
    """Console messages and policy violations of one page, checked after each step."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__csp || []")
        csp_console = [
            m for m in self.console if "Content Security Policy" in m or "Refused to" in m or "nonce" in m
        ]
        assert not violations and not csp_console, f"{where}: {violations} {csp_console}"
        assert not self.errors, f"{where}: {self.errors}"


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=f"/tmp/kf-shot-csp-{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_pages_work_under_the_policy_without_violations(
    live_server: Any, settings: Any, tmp_path: Any, make_table: Any, make_dataset: Any, width: int
) -> None:
    from django.core.cache import cache
    from playwright.sync_api import sync_playwright

    from kaifang.catalog.codes import slug_for_code
    from kaifang.core.testing import CHROMIUM_ARGS, PASSWORD

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()
    table = make_table(CSV, FIELDS, title="学校与场馆点位")
    make_dataset(title="咸安区校车线路站点", department="xianan_edu", officer="county_officer")
    slug = slug_for_code(table.code)
    base = live_server.url
    tag = "desktop" if width > 800 else "phone"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
        watch = Watch(page)

        page.goto(base + "/")
        assert page.locator(".meter > span[class^=w-]").count() >= 5
        # The meters keep their widths without style="" (a class per whole percent).
        widths = page.eval_on_selector_all(
            ".meter > span",
            "els => els.map(e => [+e.className.slice(2), e.offsetWidth / e.parentNode.clientWidth * 100])",
        )
        assert any(pct > 0 for pct, _ in widths), widths
        assert all(abs(pct - drawn) < 2 for pct, drawn in widths), widths
        watch.clean("home")
        shoot(page, f"home-{tag}")

        # A facet swaps the results through htmx (no eval, no injected <style>).
        page.goto(base + "/datasets/")
        page.locator("[data-facet=region] a", has_text="咸安区").first.click()
        page.wait_for_url("**region=421202**")
        page.wait_for_selector("#browse-area .chip")
        assert page.locator(".ds-item").count() == 1
        assert page.evaluate("document.querySelectorAll('head style').length") == 0
        watch.clean("catalog facet")
        shoot(page, f"catalog-{tag}")

        # The dataset page loads its data panel through htmx; its scripts (Leaflet, ECharts) run from files.
        page.goto(f"{base}/datasets/{slug}/")
        page.wait_for_selector("#preview table.data")
        page.wait_for_selector(".tabular-map.leaflet-container canvas")
        page.wait_for_selector(".tabular-map[data-points='4']")
        page.wait_for_selector(".profile-card .chart svg")
        bar = page.locator(".profile-card .nullbar span").nth(2)  # 数量: 1 of 4 rows empty
        assert bar.get_attribute("class") == "w-25"
        outer = page.locator(".profile-card .nullbar").nth(2).evaluate("e => e.getBoundingClientRect().width")
        assert abs(bar.evaluate("e => e.getBoundingClientRect().width") - outer / 4) < 2
        # The preview's filter is an htmx form inside the swapped panel.
        page.fill("#preview input[name=q]", "馆")
        page.click("#preview form.filters button[type=submit]")
        page.wait_for_selector("#preview:has-text('共 2 行')")
        # A chart's tooltip is drawn inside the chart, not as HTML with inline styles.
        page.locator(".profile-card .chart").first.scroll_into_view_if_needed()
        box = page.locator(".profile-card .chart").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
        page.wait_for_timeout(300)
        watch.clean("dataset page with data panel")
        shoot(page, f"dataset-{tag}")

        page.goto(base + "/graph/")
        page.wait_for_selector("#graph[data-ready='1']")
        assert page.locator("#graph canvas").count() >= 1
        assert page.locator("#graph").evaluate("e => e.getBoundingClientRect().height") > 600
        # The domain <select> submits its form from site.js (no onchange= attribute).
        page.select_option("#graph-domain", "transport")
        page.wait_for_url("**domain=transport**")
        page.wait_for_selector("#graph[data-ready='1']")
        watch.clean("graph")

        page.goto(base + "/api/docs")
        page.wait_for_selector(".swagger-ui .opblock")
        assert page.locator(".swagger-ui .opblock").count() > 10
        # Swagger UI is a React app from ninja's static files: open an operation and run it.
        page.locator(".opblock-summary-path[data-path='/api/v1/datasets']").first.click()
        page.click(".opblock.is-open .try-out__btn")
        page.click(".opblock.is-open .execute")
        page.wait_for_selector(".opblock.is-open .responses-table .response-col_status:has-text('200')")
        watch.clean("api docs")
        shoot(page, f"apidocs-{tag}")

        # Staff: the dataset form adds and removes field rows from its script file.
        page.goto(base + "/accounts/login/")
        page.fill("input[name=username]", "officer")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(base + "/**")
        page.goto(base + "/staff/datasets/new/")
        rows = page.locator("#field-rows tr:not(.row-errors)").count()
        page.click("#add-row")
        assert page.locator("#field-rows tr:not(.row-errors)").count() == rows + 1
        page.locator("#field-rows .remove-row").last.click()
        assert page.locator("#field-rows tr:not(.row-errors)").count() == rows
        watch.clean("dataset form")
        shoot(page, f"dataset-form-{tag}")

        page.goto(base + "/access/usage/")
        page.wait_for_selector("#usage-chart canvas")
        assert page.locator("#usage-chart").evaluate("e => e.getBoundingClientRect().height") > 200
        watch.clean("usage")

        page.goto(f"{base}/tabular/datasets/{slug}/upload/")
        progress = page.locator("#upload-progress")
        form = page.locator("#upload-form")
        assert abs(progress.bounding_box()["width"] - form.bounding_box()["width"]) < 80
        watch.clean("upload page")
        browser.close()
