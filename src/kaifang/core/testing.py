"""Named personas and factories for tests (loaded as a pytest plugin by the root conftest.py).

Every persona is a real user with real role assignments; datasets are made through the services.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

PASSWORD = "test-pass-2026"
# Every persona the `personas` fixture makes, for tests that run a whole permission matrix.
PERSONA_NAMES = [
    "anonymous",
    "citizen",
    "enterprise",
    "officer",
    "other_officer",
    "county_officer",
    "reviewer",
    "county_admin",
    "operator",
    "auditor",
    "evaluator",
]


def valid_dataset_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "公交线路站点信息",
        "abstract": "全市公交线路及站点位置、首末班时间。",
        "domain": "transport",
        "theme": "04",
        "genre": "registry",
        "service_objects": ["person", "enterprise"],
        "tags": ["公交", "站点"],
        "format_category": "spreadsheet",
        "format_type": "xlsx",
        "share_type": "unconditional",
        "share_mode": "platform_api",
        "open_attribute": "unconditional",
        "update_frequency": "monthly",
        "contact_name": "王工",
        "contact_phone": "0715-8120000",
        "contact_email": "data@example.cn",
        "fields": [
            {"name": "线路编号", "data_type": "C", "length": 16, "is_primary_key": True},
            {"name": "站点名称", "data_type": "C", "length": 64},
            {"name": "经度", "data_type": "N", "length": 12},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def regions(db: Any) -> dict[str, Any]:
    from kaifang.catalog.vocabularies import load_vocabularies
    from kaifang.tenancy.models import Region

    # Transactional tests flush the tables, migration data included; put the vocabularies back.
    load_vocabularies()

    city = Region.objects.create(
        code="421200", name="咸宁市", name_en="Xianning", level="city", catalog_code="421200"
    )
    xianan = Region.objects.create(
        code="421202",
        name="咸安区",
        name_en="Xian'an",
        level="county",
        parent=city,
        catalog_code="421202",
        order=1,
    )
    jiayu = Region.objects.create(
        code="421221",
        name="嘉鱼县",
        name_en="Jiayu",
        level="county",
        parent=city,
        catalog_code="421221",
        order=2,
    )
    zone = Region.objects.create(
        code="421200GX",
        name="咸宁高新区",
        name_en="Xianning Hi-tech Zone",
        level="zone",
        parent=city,
        spatial_parent=xianan,
        is_standard_code=False,
        catalog_code="421271",
        order=9,
    )
    return {"city": city, "xianan": xianan, "jiayu": jiayu, "zone": zone}


@pytest.fixture
def departments(regions: dict[str, Any]) -> dict[str, Any]:
    from kaifang.tenancy.models import Department

    def make(key: str, name: str, short: str, region: Any, seq: str, uscc: str) -> Any:
        return Department.objects.create(
            name=name, short_name=short, name_en=key, uscc=uscc, region=region, seq=seq, business_code="015"
        )

    return {
        "transport": make(
            "Transport", "咸宁市交通运输局", "市交通运输局", regions["city"], "001", "11421200MB0000001X"
        ),
        "education": make(
            "Education", "咸宁市教育局", "市教育局", regions["city"], "002", "11421200MB0000002X"
        ),
        "xianan_edu": make(
            "Xianan Edu", "咸安区教育局", "咸安区教育局", regions["xianan"], "001", "11421202MB0000003X"
        ),
        "jiayu_edu": make(
            "Jiayu Edu", "嘉鱼县教育局", "嘉鱼县教育局", regions["jiayu"], "001", "11421221MB0000004X"
        ),
        "zone_econ": make(
            "Zone", "咸宁高新区经济发展局", "高新区经发局", regions["zone"], "001", "11421200MB0000005X"
        ),
    }


def _user(username: str, kind: str = "staff", roles: list[dict[str, Any]] | None = None) -> Any:
    from kaifang.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username=username, password=PASSWORD, kind=kind, display_name=username)
    for r in roles or []:
        RoleAssignment.objects.create(user=user, **r)
    return user


@pytest.fixture
def personas(departments: dict[str, Any], regions: dict[str, Any]) -> dict[str, Any]:
    return {
        "anonymous": None,
        "citizen": _user("citizen", "citizen"),
        "enterprise": _user("enterprise", "enterprise"),
        "officer": _user("officer", roles=[{"role": "officer", "department": departments["transport"]}]),
        "other_officer": _user(
            "other_officer", roles=[{"role": "officer", "department": departments["education"]}]
        ),
        "county_officer": _user(
            "county_officer", roles=[{"role": "officer", "department": departments["xianan_edu"]}]
        ),
        "reviewer": _user("reviewer", roles=[{"role": "reviewer", "region": regions["city"]}]),
        "reviewer2": _user("reviewer2", roles=[{"role": "reviewer", "region": regions["city"]}]),
        "county_admin": _user("county_admin", roles=[{"role": "county_admin", "region": regions["xianan"]}]),
        "operator": _user("operator", roles=[{"role": "operator"}]),
        "auditor": _user("auditor", roles=[{"role": "auditor"}]),
        "evaluator": _user("evaluator", roles=[{"role": "evaluator"}]),
    }


@pytest.fixture
def make_dataset(personas: dict[str, Any], departments: dict[str, Any]) -> Any:
    """Make a dataset in a given state through the services, as the right people would."""
    from kaifang.catalog import services

    counter = {"n": 0}

    def make(
        state: str = "published", department: str = "transport", officer: str = "officer", **data: Any
    ) -> Any:
        counter["n"] += 1
        data.setdefault("title", f"测试数据资源{counter['n']}")
        ds = services.dataset_register(
            actor=personas[officer], department=departments[department], data=valid_dataset_data(**data)
        )
        if state == "draft":
            return ds
        ds = services.dataset_submit(actor=personas[officer], dataset=ds)
        if state == "submitted":
            return ds
        if state == "in_review":
            return services.dataset_review_start(actor=personas["reviewer"], dataset=ds)
        if state == "returned":
            return services.dataset_return(actor=personas["reviewer"], dataset=ds, reason="摘要不完整")
        ds = services.dataset_publish(actor=personas["reviewer"], dataset=ds)
        if state == "published":
            return ds
        if state == "withdrawn":
            return services.dataset_withdraw(actor=personas["reviewer"], dataset=ds, reason="数据停止更新")
        raise ValueError(state)

    return make


@pytest.fixture
def login(client: Any) -> Any:
    """Log a persona in with a session that passed the second factor, as staff log in under `serve`.
    Tests of a password-only session log in through /accounts/login/ or call `client.force_login`."""

    def do(user: Any) -> Any:
        from kaifang.accounts.security import SESSION_2FA

        client.logout()
        if user is not None:
            client.force_login(user)
            session = client.session
            session[SESSION_2FA] = user.pk
            session.save()
        return client

    return do


def due(days: int) -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # PBKDF2's deliberate slowness would dominate a suite that makes a dozen personas per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Call logs are written in the request's own thread, inside the test's transaction.
    settings.KAIFANG_CALLLOG_SYNC = True
    # The `login` fixture gives second-factor sessions, and tests/test_second_factor_everywhere.py runs with
    # this on; tests that log in through the password page (browser tests) keep it off.
    settings.KAIFANG_STAFF_2FA_REQUIRED = False


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    # Rolled-back tests reuse audit ids, which key the public caches; start every test empty.
    from django.core.cache import cache

    from kaifang.core.memo import clear_memos

    cache.clear()
    clear_memos()
    yield
    cache.clear()
    clear_memos()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    # LocaleMiddleware activates a request's language on the thread and leaves it there: a test that asked
    # for English must not make the next test's messages English.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def make_table(settings: Any, tmp_path: Any, make_dataset: Any, personas: Any) -> Any:
    """A published dataset with a published table version ingested from `csv`, as the officer and a reviewer
    would make it. Files live under the test's own KAIFANG_HOME."""
    from kaifang.tabular.services import table_ingest, table_version_publish

    settings.KAIFANG_HOME = tmp_path

    def make(csv: str, fields: list[dict[str, Any]], **dataset: Any) -> Any:
        ds = make_dataset("published", fields=fields, **dataset)
        path = tmp_path / f"{ds.pk}.csv"
        path.write_text(csv, encoding="utf-8")
        version = table_ingest(actor=personas["officer"], dataset=ds, path=path, filename=path.name)
        table_version_publish(actor=personas["reviewer"], version=version)
        return ds

    return make


@pytest.fixture
def make_application(personas: dict[str, Any]) -> Any:
    """Apply for a conditional dataset through the service, as a persona, under the current agreement."""
    from kaifang.access import services as access
    from kaifang.access.models import AgreementTemplate

    def make(dataset: Any, *, applicant: str = "enterprise", days: int = 0, purpose: str = "授信") -> Any:
        AgreementTemplate.objects.get_or_create(
            version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
        )
        today = datetime.date.today()
        return access.access_application_submit(
            actor=personas[applicant],
            dataset=dataset,
            data={
                "purpose": purpose,
                "scenario": "评估",
                "security_measures": "加密",
                "period_start": today.isoformat(),
                "period_end": (today + datetime.timedelta(days=days)).isoformat(),
                "accept_agreement": True,
            },
        )

    return make


@pytest.fixture
def make_grant(personas: dict[str, Any], make_application: Any) -> Any:
    """Grant a conditional dataset to a persona through the services: applied for under the current
    agreement, approved by the department's officer with the given fields and row filter."""
    from kaifang.access import services as access

    def make(
        dataset: Any, *, grantee: str = "enterprise", fields: list[str] | None = None, row_filter: str = ""
    ) -> Any:
        application = make_application(dataset, applicant=grantee)
        return access.access_application_approve(
            actor=personas["officer"], application=application, fields=fields, row_filter=row_filter
        )

    return make


# Debian's Chromium, as the browser tests drive it: headless, and quiet on a machine with no internet.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page() -> Any:
    import os

    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's sync API runs an event loop
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield page
        browser.close()
