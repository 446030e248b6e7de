"""Conditional access in a real browser: register, make a key, apply; the officer approves; the key reads
the data; the auditor sees the whole chain."""

from __future__ import annotations

import datetime
import json
import os
import urllib.request

import pytest

from kaifang.core.testing import CHROMIUM_ARGS

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
CSV = "编号,名称,纳税额\nA1,咸宁甲公司,100\nA2,咸宁乙公司,250\n"
FIELDS = [
    {"name": "编号", "data_type": "C", "is_primary_key": True, "sensitivity_grade": "G3"},
    {"name": "名称", "data_type": "C", "sensitivity_grade": "G3"},
    {"name": "纳税额", "data_type": "N", "sensitivity_grade": "G3"},
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_apply_approve_and_use(live_server, settings, tmp_path, make_dataset, personas):
    from playwright.sync_api import sync_playwright

    from kaifang.access.models import AgreementTemplate
    from kaifang.catalog.codes import slug_for_code
    from kaifang.core.testing import PASSWORD
    from kaifang.tabular.services import table_ingest, table_version_publish

    settings.KAIFANG_HOME = tmp_path
    AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "数据开放利用协议", "body": "条款", "is_current": True}
    )
    ds = make_dataset(
        "published",
        title="企业纳税信息",
        open_attribute="conditional",
        open_condition="签署协议",
        fields=FIELDS,
    )
    path = tmp_path / "in.csv"
    path.write_text(CSV, encoding="utf-8")
    table_version_publish(
        actor=personas["reviewer"],
        version=table_ingest(actor=personas["officer"], dataset=ds, path=path, filename="in.csv"),
    )
    slug = slug_for_code(ds.code)
    base = live_server.url
    today = datetime.date.today()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        user = browser.new_context(locale="zh-CN").new_page()
        user.goto(base + "/accounts/register/")
        user.fill("input[name=username]", "wang")
        user.fill("input[name=password]", "a-long-passphrase-9")
        user.fill("input[name=email]", "wang@example.cn")
        user.click("form.stack button[type=submit]")
        user.wait_for_url(base + "/accounts/login/")  # registration answers alike for taken names
        user.fill("input[name=username]", "wang")
        user.fill("input[name=password]", "a-long-passphrase-9")
        user.click("form.stack button[type=submit]")
        user.wait_for_url(base + "/me/")

        user.goto(base + "/accounts/keys/")
        user.click("form.stack button[type=submit]")
        key = user.locator("[data-testid=new-key]").inner_text().strip()
        assert key.startswith("kf_")

        def read_data() -> int:
            req = urllib.request.Request(
                f"{base}/api/v1/datasets/{slug}/data", headers={"Authorization": f"Bearer {key}"}
            )
            try:
                with urllib.request.urlopen(req) as resp:  # noqa: S310 - the test's own live server
                    return len(json.loads(resp.read())["rows"])
            except urllib.error.HTTPError as exc:
                return -exc.code

        assert read_data() == -403  # no grant yet

        user.goto(f"{base}/datasets/{slug}/")
        user.click("p.apply a")
        user.fill("textarea[name=purpose]", "小微企业授信评估")
        user.fill("textarea[name=scenario]", "普惠金融")
        user.fill("input[name=period_start]", today.isoformat())
        user.fill("input[name=period_end]", (today + datetime.timedelta(days=90)).isoformat())
        user.fill("textarea[name=security_measures]", "专网存储，最小权限")
        user.check("input[name=accept_agreement]")
        user.click("form.stack button[type=submit]")
        user.wait_for_url("**/access/*/")
        application_url = user.url
        user.screenshot(path="/tmp/kf-shot-application.png", full_page=True)

        officer = browser.new_context(locale="zh-CN").new_page()
        officer.goto(base + "/accounts/login/")
        officer.fill("input[name=username]", "officer")
        officer.fill("input[name=password]", PASSWORD)
        officer.click("form.stack button[type=submit]")
        officer.goto(base + "/access/")
        officer.click(f"a[href='{application_url.replace(base, '')}']")
        officer.click("input[name=action][value=approve] ~ button[type=submit]")
        officer.wait_for_selector("[data-testid=grant-status]")
        assert officer.locator("[data-testid=grant-status]").inner_text() == "active"

        assert read_data() == 2

        auditor = browser.new_context(locale="zh-CN").new_page()
        auditor.goto(base + "/accounts/login/")
        auditor.fill("input[name=username]", "auditor")
        auditor.fill("input[name=password]", PASSWORD)
        auditor.click("form.stack button[type=submit]")
        auditor.goto(application_url)
        chain = auditor.locator("ol.history").inner_text()
        assert "提交申请" in chain and "授权" in chain and "批准" in chain
        auditor.goto(base + "/access/calls/")
        assert ds.code in auditor.content()
        auditor.screenshot(path="/tmp/kf-shot-calls.png", full_page=True)
        browser.close()
