"""In a real browser: a citizen rates and comments on a dataset, follows it, and files a data request whose
public page keeps them anonymous."""

from __future__ import annotations

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_comments_follows_and_asks(live_server, browser_page, make_dataset, personas, departments):
    from kaifang.catalog.codes import slug_for_code
    from kaifang.core.testing import PASSWORD
    from kaifang.interaction.models import Comment, PublicRequest

    ds = make_dataset(title="公交线路信息")
    base = live_server.url
    page = browser_page
    page.goto(f"{base}/datasets/{slug_for_code(ds.code)}/")
    page.click("#interaction .login-hint a")
    page.fill("input[name=username]", "citizen")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("[data-testid=comment-form]")

    page.get_by_label("4 星").check()
    page.get_by_label("评论内容").fill("<b>很实用</b>，希望按月更新。")
    page.click("[data-testid=comment-form] button[type=submit]")
    page.wait_for_selector("text=待审核，仅您可见")
    assert "<b>很实用</b>" in page.locator("[data-testid=comments]").inner_text()  # shown as text
    page.click("[data-testid=follow]")
    page.wait_for_selector("[data-testid=unfollow]")
    page.screenshot(path="/tmp/kf-shot-interaction.png", full_page=True)
    assert Comment.objects.get().rating == 4

    page.goto(f"{base}/interaction/")
    page.click("[data-testid=new-request-links] >> text=数据需求")
    page.get_by_label("标题").fill("开放公交实时到站数据")
    page.get_by_label("需要什么数据").fill("各线路车辆实时位置。")
    page.get_by_label("数据用途").fill("出行小程序")
    page.get_by_label("负责部门（如知道）").select_option(label="咸宁市交通运输局")
    page.click("[data-testid=request-form] button[type=submit]")
    page.wait_for_selector("[data-testid=requester-actions]")
    assert "匿名用户" in page.locator("[data-testid=requester]").inner_text()
    assert "咸宁市交通运输局" in page.inner_text("article")
    page.screenshot(path="/tmp/kf-shot-request.png", full_page=True)
    assert PublicRequest.objects.get().work_order.department == departments["transport"]
