"""Issue 13 end to end in a real browser, each person in their own browser context:

1. a citizen files a data request → it is routed to the department → the officer finds it on the workbench
   and answers → the citizen gets the notification, reopens, the officer answers again, the citizen closes
   and rates;
2. an enterprise's application shows on the officer's workbench, the officer asks for material, and the
   request reaches the enterprise's inbox;
3. a data version uploaded by an officer shows in the reviewer's queue.
Screenshots at desktop and phone widths go to /tmp/kf-shot-issue13-*.png."""

from __future__ import annotations

import os

import pytest

from kaifang.core.testing import CHROMIUM_ARGS, PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's sync API runs an event loop

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _signed_in(browser, base: str, username: str, *, viewport=None):
    page = browser.new_context(locale="zh-CN", viewport=viewport or {"width": 1280, "height": 900}).new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    return page


def _shot(page, name: str) -> None:
    page.screenshot(path=f"/tmp/kf-shot-issue13-{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_data_request_from_citizen_to_officer_and_back(
    live_server, make_dataset, personas, departments, browser
):
    from kaifang.operations.models import WorkOrder

    answer_ds = make_dataset("published", title="公交线路站点信息")
    base = live_server.url
    transport = departments["transport"]

    citizen = _signed_in(browser, base, "citizen")
    citizen.goto(base + "/interaction/")
    citizen.click("a[href*='kind=data_request']")
    citizen.fill("input[name=title]", "公交车实时到站数据")
    citizen.fill("textarea[name=body]", "希望开放全市公交车辆实时到站时间。")
    citizen.fill("textarea[name=purpose]", "开发出行小程序")
    citizen.select_option("select[name=department]", str(transport.pk))
    citizen.click("[data-testid=request-form] button[type=submit]")
    citizen.wait_for_selector("[data-testid=request]")
    request_url = citizen.url
    wo = WorkOrder.objects.get(title="公交车实时到站数据")
    assert wo.department_id == transport.pk and wo.state == WorkOrder.State.OPEN
    # anonymous to the public by default
    assert "citizen" not in citizen.locator("[data-testid=requester]").inner_text()

    officer = _signed_in(browser, base, "officer")
    # the first page after login is the workbench, with the request in the department's work orders
    officer.wait_for_selector("[data-testid=queue-officer_work_orders]")
    _shot(officer, "officer-workbench")
    queue = officer.locator("[data-testid=queue-officer_work_orders]")
    assert "公交车实时到站数据" in queue.inner_text()
    queue.get_by_role("link", name="公交车实时到站数据").click()
    officer.wait_for_selector("[data-testid=answer-form]")
    officer.fill("[data-testid=answer-form] textarea[name=answer]", "已整理站点数据，实时数据正在对接。")
    officer.fill("[data-testid=answer-form] input[name=dataset]", answer_ds.code)
    officer.click("[data-testid=answer-form] button[type=submit]")
    officer.wait_for_load_state()
    wo.refresh_from_db()
    assert wo.state == WorkOrder.State.ANSWERED and wo.answer_dataset_id == answer_ds.pk

    # the citizen is told: the header count, the inbox item, and the answer on the request page
    citizen.goto(base + "/me/")
    assert int(citizen.locator("[data-testid=unread-count]").inner_text()) >= 1
    citizen.click("[data-testid=inbox-link]")
    item = citizen.locator("[data-testid=notification]").filter(has_text="公交车实时到站数据").first
    assert item.is_visible()
    citizen.goto(request_url)
    assert "已整理站点数据" in citizen.locator("[data-testid=answer]").inner_text()
    assert citizen.locator("[data-testid=answer-dataset]").is_visible()
    citizen.fill("[data-testid=requester-actions] input[name=reason]", "还需要实时到站时间")
    citizen.get_by_role("button", name="重新办理").click()
    citizen.wait_for_load_state()
    wo.refresh_from_db()
    assert wo.state == WorkOrder.State.OPEN and wo.reopen_count == 1

    officer.goto(base + f"/workorders/{wo.pk}/")
    officer.fill("[data-testid=answer-form] textarea[name=answer]", "实时到站数据已通过接口开放。")
    officer.click("[data-testid=answer-form] button[type=submit]")
    officer.wait_for_load_state()

    citizen.goto(request_url)
    citizen.get_by_role("button", name="满意，办结").click()
    citizen.wait_for_load_state()
    citizen.locator("input[name=rating][value='5']").check()
    citizen.get_by_role("button", name="提交评价").click()
    citizen.wait_for_load_state()
    wo.refresh_from_db()
    assert wo.state == WorkOrder.State.CLOSED and wo.rating == 5
    _shot(citizen, "request-closed")

    # the public page, on a phone, as someone not signed in
    public = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
    public.goto(request_url)
    assert "实时到站数据已通过接口开放" in public.inner_text("body")
    assert "citizen" not in public.inner_text("body")
    _shot(public, "request-phone")
    public.goto(base + "/requests/?kind=data_request")
    assert "公交车实时到站数据" in public.inner_text("body")
    _shot(public, "requests-phone")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_application_on_the_officer_workbench_and_material_to_the_inbox(
    live_server, make_dataset, make_application, personas, browser
):
    from kaifang.access.models import AccessApplication

    ds = make_dataset(
        "published", title="企业纳税信用信息", open_attribute="conditional", open_condition="签署协议"
    )
    app = make_application(ds, purpose="供应链金融授信")
    base = live_server.url
    officer = _signed_in(browser, base, "officer")
    queue = officer.locator("[data-testid=queue-officer_applications]")
    assert "企业纳税信用信息" in queue.inner_text()
    queue.locator("a", has_text="企业纳税信用信息").first.click()
    officer.wait_for_url(f"**/access/{app.pk}/")
    officer.fill("input[name=text]", "请补充营业执照复印件")
    officer.get_by_role("button", name="要求补充材料").click()
    officer.wait_for_load_state()
    app.refresh_from_db()
    assert app.state == AccessApplication.State.INFO_REQUESTED

    enterprise = _signed_in(browser, base, "enterprise", viewport=PHONE)
    assert enterprise.locator("[data-testid=unread-count]").inner_text() == "1"
    enterprise.click("[data-testid=inbox-link]")
    item = enterprise.locator("[data-testid=notification]").first
    assert "请补充营业执照复印件" in item.inner_text()
    _shot(enterprise, "enterprise-inbox-phone")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_uploaded_version_shows_in_the_reviewer_queue(
    live_server, make_dataset, personas, settings, tmp_path, browser
):
    from kaifang.tabular.services import table_ingest

    settings.KAIFANG_HOME = tmp_path
    ds = make_dataset(
        "published",
        title="城区公共停车场泊位",
        fields=[
            {"name": "停车场", "data_type": "C", "length": 64, "is_primary_key": True},
            {"name": "泊位数", "data_type": "N", "length": 8},
        ],
    )
    path = tmp_path / "parking.csv"
    path.write_text("停车场,泊位数\n温泉停车场,120\n", encoding="utf-8")
    table_ingest(actor=personas["officer"], dataset=ds, path=path, filename=path.name)

    reviewer = _signed_in(browser, live_server.url, "reviewer")
    queue = reviewer.locator("[data-testid=queue-review_versions]")
    assert "城区公共停车场泊位" in queue.inner_text()
    _shot(reviewer, "reviewer-workbench")
    assert reviewer.locator("[data-testid=unread-count]").inner_text() == "1"
