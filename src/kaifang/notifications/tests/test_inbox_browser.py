"""In a real browser: an officer's request for material reaches the enterprise's inbox (the header count),
opening it leads to the application and clears the count; the e-mail choice is saved by keyboard-reachable
radio buttons."""

from __future__ import annotations

import os

import pytest

from kaifang.core.testing import CHROMIUM_ARGS, PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_request_for_material_reaches_the_inbox(live_server, make_dataset, make_application, personas):
    from playwright.sync_api import sync_playwright

    from kaifang.access import services
    from kaifang.notifications.models import NotificationPreference

    ds = make_dataset(
        "published", title="企业纳税信息", open_attribute="conditional", open_condition="签署协议"
    )
    app = make_application(ds)
    services.access_application_request_info(
        actor=personas["officer"], application=app, question="请补充营业执照"
    )
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(base + "/accounts/login/")
        page.fill("input[name=username]", "enterprise")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(base + "/me/")
        assert page.locator("[data-testid=unread-count]").inner_text() == "1"
        page.click("[data-testid=inbox-link]")
        item = page.locator("[data-testid=notification]")
        assert "企业纳税信息" in item.inner_text() and "请补充营业执照" in item.inner_text()
        item.locator("a.inbox-subject").click()
        page.wait_for_url(f"{base}/access/{app.pk}/")
        assert "请补充营业执照" in page.content()
        assert page.locator("[data-testid=unread-count]").count() == 0

        page.goto(base + "/inbox/preferences/")
        page.get_by_label("申请需要补充材料：立即发送").check()
        page.get_by_role("button", name="保存设置").click()
        page.wait_for_url(base + "/inbox/preferences/")
        assert "邮件提醒设置已保存" in page.content()
        browser.close()
    pref = NotificationPreference.objects.get(user=personas["enterprise"])
    assert (pref.event, pref.email) == ("access_info_requested", "immediate")
