"""The data resource graph API and page, and related datasets on a dataset page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

USCC = {"name": "统一社会信用代码", "data_type": "C", "length": 18}
IDNO = {"name": "身份证号", "data_type": "C", "length": 18}
NAME = {"name": "名称", "data_type": "C", "length": 64}


@pytest.fixture
def linked(make_dataset):
    return {
        "firms": make_dataset(title="市场主体登记信息", domain="market", fields=[NAME, USCC]),
        "credit": make_dataset(
            title="企业信用评价结果", domain="credit", fields=[USCC, {"name": "评价等级", "data_type": "C"}]
        ),
        "drivers": make_dataset(title="公交驾驶员名单", fields=[NAME, IDNO]),
        "schools": make_dataset(
            title="学校名录",
            domain="education",
            department="education",
            officer="other_officer",
            fields=[NAME],
        ),
        "closed": make_dataset(
            title="企业内部核查记录",
            domain="market",
            fields=[USCC, NAME],
            open_attribute="closed",
            legal_basis="涉及商业秘密",
            share_type="conditional",
            share_condition="仅限监管部门",
        ),
    }


def test_graph_api_links_datasets_through_shared_fields(client, linked):
    g = client.get("/api/v1/graph").json()
    ids = {n["id"] for n in g["nodes"]}
    assert "join_key:uscc" in ids and "domain:market" in ids and "region:421200" in ids
    uscc_links = {link["source"] for link in g["links"] if link["target"] == "join_key:uscc"}
    codes = {f"dataset:{linked[k].code}" for k in ("firms", "credit")}
    assert uscc_links == codes
    # Not for the public: closed datasets, and 身份证号 as a join key (raw zone only).
    assert f"dataset:{linked['closed'].code}" not in ids
    assert "join_key:id_number" not in ids
    dataset_nodes = [n for n in g["nodes"] if n["id"].startswith("dataset:")]
    assert all(n["url"].startswith("/datasets/") for n in dataset_nodes)


def test_graph_filters_by_domain_and_staff_see_more(client, login, personas, linked):
    g = client.get("/api/v1/graph?domain=market").json()
    assert [n["name"] for n in g["nodes"] if n["id"].startswith("dataset:")] == ["市场主体登记信息"]
    login(personas["reviewer"])
    ids = {n["id"] for n in client.get("/api/v1/graph").json()["nodes"]}
    assert f"dataset:{linked['closed'].code}" in ids and "join_key:id_number" in ids


def test_related_datasets_api_and_dataset_page(client, linked):
    from kaifang.catalog.codes import slug_for_code

    slug = slug_for_code(linked["firms"].code)
    related = client.get(f"/api/v1/datasets/{slug}/related").json()
    assert related[0]["title"] == "企业信用评价结果"
    assert "joins_on" in related[0]["reasons"]
    assert "企业内部核查记录" not in [r["title"] for r in related]
    html = client.get(f"/datasets/{slug}/").content.decode()
    assert 'data-testid="related"' in html and "企业信用评价结果" in html
    assert 'data-testid="graph-link"' in html
    assert client.get("/api/v1/datasets/nope/related").status_code == 404
    closed_slug = slug_for_code(linked["closed"].code)
    assert client.get(f"/api/v1/datasets/{closed_slug}/related").status_code == 404


def test_graph_page_uses_vendored_echarts(client, linked):
    html = client.get("/graph/?domain=market").content.decode()
    assert "kaifang/vendor/echarts.min.js" in html and "cdn" not in html.lower()
    assert 'data-api="/api/v1/graph?domain=market"' in html


def test_graph_focus_shows_a_dataset_with_its_related_ones(client, linked):
    g = client.get(f"/api/v1/graph?focus={linked['firms'].code}").json()
    names = {n["name"] for n in g["nodes"] if n["id"].startswith("dataset:")}
    assert {"市场主体登记信息", "企业信用评价结果"} <= names
    assert "企业内部核查记录" not in names
    html = client.get(f"/graph/?focus={linked['firms'].code}").content.decode()
    assert "/api/v1/graph?focus=" in html


@pytest.fixture
def app_on_firms(client, login, personas, linked):
    """A published scenario application over the firms and credit datasets, and a draft one."""
    login(personas["officer"])
    codes = [linked["firms"].code, linked["credit"].code]
    body = {"title": "企业信用画像", "summary": "普惠金融风控。", "scenario": "SC11", "datasets": codes}
    pk = client.post("/api/v1/scenarios", body, content_type="application/json").json()["id"]
    draft = body | {"title": "草稿应用", "datasets": codes[:1]}
    client.post("/api/v1/scenarios", draft, content_type="application/json")
    login(personas["reviewer"])
    client.post(f"/api/v1/scenarios/{pk}/publish")
    client.logout()
    return pk


def test_graph_has_published_applications_linked_to_their_datasets(client, linked, app_on_firms):
    g = client.get("/api/v1/graph").json()
    assert g["categories"][-1] == "application"
    apps = [n for n in g["nodes"] if n["id"].startswith("application:")]
    assert [(n["name"], n["url"], n["category"]) for n in apps] == [
        ("企业信用画像", f"/applications/{app_on_firms}/", g["categories"].index("application"))
    ]
    used = {link["source"] for link in g["links"] if link["target"] == f"application:{app_on_firms}"}
    assert used == {f"dataset:{linked['firms'].code}", f"dataset:{linked['credit'].code}"}
    assert all(link["kind"] == "used_by" for link in g["links"] if link["target"].startswith("application:"))
    # Narrowed to one application: only the datasets it uses (and their neighbours).
    g = client.get(f"/api/v1/graph?app={app_on_firms}").json()
    names = {n["name"] for n in g["nodes"] if n["id"].startswith("dataset:")}
    assert names == {"市场主体登记信息", "企业信用评价结果"}
    assert client.get("/api/v1/graph?app=999999").json()["nodes"] == []
    html = client.get(f"/graph/?app={app_on_firms}").content.decode()
    assert f'data-api="/api/v1/graph?app={app_on_firms}"' in html and "企业信用画像" in html


def test_graph_without_published_applications_has_no_application_nodes(client, linked):
    g = client.get("/api/v1/graph").json()
    assert not [n for n in g["nodes"] if n["id"].startswith("application:")]
