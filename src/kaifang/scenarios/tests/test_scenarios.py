"""Scenario applications through real URLs: submit, publish, withdraw, the showcase, the dataset page."""

from __future__ import annotations

import pytest

from kaifang.core.testing import PERSONA_NAMES

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(make_dataset):
    return {
        "bus": make_dataset(title="公交线路信息", domain="transport"),
        "parking": make_dataset(title="公共停车场名录", domain="transport"),
        "closed": make_dataset(
            title="驾驶员档案",
            open_attribute="closed",
            legal_basis="涉及个人信息",
            share_type="conditional",
            share_condition="仅限交通部门",
        ),
        "draft": make_dataset("draft", title="公交草稿"),
    }


def payload(data, **over):
    body = {
        "title": "咸宁出行助手",
        "summary": "实时公交与停车泊位查询。",
        "scenario": "SC5",
        "url": "https://example.org/bus",
        "datasets": [data["bus"].code, data["parking"].code],
    }
    return body | over


@pytest.fixture
def published(client, login, personas, data):
    login(personas["officer"])
    r = client.post("/api/v1/scenarios", payload(data), content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    login(personas["reviewer"])
    assert client.post(f"/api/v1/scenarios/{pk}/publish").json()["status"] == "published"
    client.logout()
    return pk


def test_officer_submits_for_own_department_and_reviewer_publishes(client, login, personas, data):
    from kaifang.core.models import AuditEvent

    login(personas["officer"])
    body = client.post("/api/v1/scenarios", payload(data), content_type="application/json").json()
    assert body["status"] == "draft" and body["provider"] == "咸宁市交通运输局"
    assert [d["title"] for d in body["datasets"]] == ["公交线路信息", "公共停车场名录"]
    pk = body["id"]
    # Not public yet: the showcase and the anonymous detail do not have it.
    client.logout()
    assert client.get("/api/v1/scenarios").json()["count"] == 0
    assert client.get(f"/api/v1/scenarios/{pk}").status_code == 404
    # The officer cannot publish their own; a reviewer can.
    login(personas["officer"])
    assert client.post(f"/api/v1/scenarios/{pk}/publish").status_code == 403
    login(personas["reviewer"])
    assert client.post(f"/api/v1/scenarios/{pk}/publish").status_code == 200
    actions = list(
        AuditEvent.objects.filter(target_type="scenarios.scenarioapplication")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["scenario_create", "scenario_publish"]
    client.logout()
    assert client.get(f"/api/v1/scenarios/{pk}").json()["title"] == "咸宁出行助手"


def test_enterprise_submits_as_itself(client, login, personas, departments, data):
    login(personas["enterprise"])
    r = client.post("/api/v1/scenarios", payload(data, scenario="SC12"), content_type="application/json")
    assert r.status_code == 201
    assert r.json()["provider"] == "enterprise"
    # Naming a department it does not belong to is refused.
    r = client.post(
        "/api/v1/scenarios",
        payload(data, department=departments["transport"].uscc),
        content_type="application/json",
    )
    assert r.status_code == 403


@pytest.mark.parametrize("name", ["anonymous", "citizen", "auditor"])
def test_who_may_not_submit(client, login, personas, data, name):
    login(personas[name])
    r = client.post("/api/v1/scenarios", payload(data), content_type="application/json")
    assert r.status_code == (401 if name == "anonymous" else 403)


def test_only_open_visible_datasets_can_be_linked(client, login, personas, data):
    login(personas["officer"])
    for key in ("closed", "draft"):
        r = client.post(
            "/api/v1/scenarios", payload(data, datasets=[data[key].code]), content_type="application/json"
        )
        assert r.status_code == 422, key
        assert "datasets" in r.json()["error"]["details"]
    r = client.post(
        "/api/v1/scenarios", payload(data, scenario="SC99", url="ftp://x"), content_type="application/json"
    )
    assert set(r.json()["error"]["details"]) == {"scenario", "url"}


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_publish_permission_matrix(client, login, personas, data, name):
    login(personas["officer"])
    pk = client.post("/api/v1/scenarios", payload(data), content_type="application/json").json()["id"]
    login(personas[name])
    status = client.post(f"/api/v1/scenarios/{pk}/publish").status_code
    expected = {"anonymous": 401, "reviewer": 200, "operator": 200, "officer": 403}
    # Everyone else cannot even see the draft.
    assert status == expected.get(name, 404)


def test_missing_application_is_404(client):
    assert client.get("/api/v1/scenarios/999999").status_code == 404
    assert client.get("/api/v1/scenarios/abc").status_code == 404
    assert client.get("/applications/999999/").status_code == 404


def test_withdraw_and_update(client, login, personas, data, published):
    login(personas["citizen"])
    assert (
        client.post(
            f"/api/v1/scenarios/{published}/withdraw", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    login(personas["officer"])
    # A published application is edited by withdrawing it first.
    r = client.patch(f"/api/v1/scenarios/{published}", {"title": "新名称"}, content_type="application/json")
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/scenarios/{published}/withdraw", {"reason": ""}, content_type="application/json"
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/scenarios/{published}/withdraw", {"reason": "升级改版"}, content_type="application/json"
    )
    assert r.json()["status"] == "withdrawn"
    r = client.patch(
        f"/api/v1/scenarios/{published}",
        {"title": "咸宁出行助手2.0", "datasets": [data["bus"].code]},
        content_type="application/json",
    )
    assert r.status_code == 200 and [d["title"] for d in r.json()["datasets"]] == ["公交线路信息"]
    client.logout()
    assert client.get(f"/api/v1/scenarios/{published}").status_code == 404


def test_showcase_filters_by_scenario_and_links_to_datasets(client, login, personas, data, published):
    from kaifang.catalog.codes import slug_for_code

    body = client.get("/api/v1/scenarios?scenario=SC5").json()
    assert [a["title"] for a in body["results"]] == ["咸宁出行助手"]
    assert {s["code"]: s["count"] for s in body["scenarios"]}["SC5"] == 1
    assert len(body["scenarios"]) == 16
    assert client.get("/api/v1/scenarios?scenario=SC8").json()["count"] == 0
    html = client.get("/applications/?scenario=SC5").content.decode()
    assert "咸宁出行助手" in html and 'data-testid="scenario-list"' in html
    assert "咸宁出行助手" not in client.get("/applications/?scenario=SC8").content.decode()
    detail = client.get(f"/applications/{published}/").content.decode()
    assert "公交线路信息" in detail and "公共停车场名录" in detail
    # The dataset page names the applications that use it.
    page = client.get(f"/datasets/{slug_for_code(data['bus'].code)}/").content.decode()
    assert 'data-testid="used-by"' in page and "咸宁出行助手" in page


def test_a_dataset_closed_later_drops_out_of_the_application(client, login, personas, data, published):
    from kaifang.catalog import services as cs

    cs.dataset_withdraw(actor=personas["reviewer"], dataset=data["parking"], reason="停止更新")
    titles = [d["title"] for d in client.get(f"/api/v1/scenarios/{published}").json()["datasets"]]
    assert titles == ["公交线路信息"]


def test_demo_applications_link_the_datasets_that_exist(client, personas, make_dataset):
    from kaifang.scenarios.demo import APPLICATIONS, build_demo_applications

    assert sorted({a[0] for a in APPLICATIONS}, key=lambda c: int(c[2:])) == [f"SC{i}" for i in range(1, 17)]
    make_dataset(title="公交线路信息", domain="transport")
    make_dataset(title="公共停车场（库）名录", domain="transport")
    make_dataset(title="医疗机构名录", domain="health")
    make_dataset(title="2025年国民经济主要统计数据")
    assert build_demo_applications() == 3
    assert build_demo_applications() == 0  # once only
    body = client.get("/api/v1/scenarios").json()
    by_scenario = {a["scenario"]: a for a in body["results"]}
    assert list(by_scenario) == ["SC1", "SC5", "SC8"]
    # A yearly topic links its edition.
    assert [d["title"] for d in by_scenario["SC1"]["datasets"]] == ["2025年国民经济主要统计数据"]
    assert by_scenario["SC5"]["provider"] == "enterprise" and by_scenario["SC5"]["is_sample"]
    assert [d["title"] for d in by_scenario["SC5"]["datasets"]] == ["公交线路信息", "公共停车场（库）名录"]
    assert by_scenario["SC8"]["provider"] == "咸宁市交通运输局"


def test_submit_page_publish_and_withdraw_buttons(client, login, personas, data):
    assert client.get("/applications/new/").status_code == 302  # to the login page
    login(personas["citizen"])
    assert client.get("/applications/new/").status_code == 403
    assert "/applications/new/" not in client.get("/applications/").content.decode()
    login(personas["officer"])
    assert client.get("/applications/new/").status_code == 200
    form = {"title": "停车导航", "summary": "泊位查询。", "scenario": "SC5", "url": "", "datasets": "nope"}
    r = client.post("/applications/new/", form)
    assert r.status_code == 422 and "nope" in r.content.decode()
    r = client.post("/applications/new/", form | {"datasets": f"{data['bus'].code}\n{data['parking'].code}"})
    assert r.status_code == 302
    pk = int(r["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/applications/{pk}/").content.decode()
    assert "公共停车场名录" in page and 'value="publish"' not in page
    assert "停车导航" in client.get("/applications/").content.decode()  # under "my applications"
    login(personas["reviewer"])
    assert 'value="publish"' in client.get(f"/applications/{pk}/").content.decode()
    assert client.post(f"/applications/{pk}/", {"action": "publish"}).status_code == 302
    client.logout()
    assert "停车导航" in client.get("/applications/?scenario=SC5").content.decode()
    login(personas["officer"])
    client.post(f"/applications/{pk}/", {"action": "withdraw", "reason": "改版"})
    client.logout()
    assert client.get(f"/applications/{pk}/").status_code == 404
    login(personas["enterprise"])
    r = client.post("/applications/new/", form | {"datasets": data["bus"].code, "scenario": "SC12"})
    assert r.status_code == 302
