"""In a real browser: a feed's dataset page shows the live view, and a push appears without a reload."""

from __future__ import annotations

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_live_view_updates_after_a_push(live_server, browser_page, feed_dataset, personas, settings):
    from kaifang.catalog.codes import slug_for_code
    from kaifang.feeds.services import feed_push
    from kaifang.feeds.tests.conftest import row

    settings.KAIFANG_FEED_POLL_SECONDS = 1
    ds = feed_dataset(title="停车场实时泊位")
    feed_push(actor=personas["officer"], dataset=ds, rows=[row("P001", 11), row("P002", 22)])
    page = browser_page
    page.goto(f"{live_server.url}/datasets/{slug_for_code(ds.code)}/")
    page.wait_for_selector("#feed-live table.feed-table")
    live = page.locator("#feed-live")
    assert "最后更新" in live.inner_text() and "P002" in live.inner_text()
    assert live.get_attribute("data-cursor") == "2"

    feed_push(actor=personas["officer"], dataset=ds, rows=[row("P003", 4321)])
    page.wait_for_selector("#feed-live[data-cursor='3']", timeout=15_000)
    first = page.locator("#feed-live table.feed-table tbody tr").first.inner_text()
    assert "P003" in first and "4321" in first  # the newest change leads the table
    page.screenshot(path="/tmp/kf-shot-feed.png", full_page=True)
