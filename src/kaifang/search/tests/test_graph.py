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
