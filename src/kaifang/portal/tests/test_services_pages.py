"""数据服务: the catalog of queryable tables and each service's page with copyable examples."""

import pytest

from kaifang.catalog.codes import slug_for_code

pytestmark = pytest.mark.django_db
CSV = "编号,名称\nA1,咸宁市图书馆\nA2,嘉鱼县文化馆\n"


@pytest.fixture
def served(make_table):
    fields = [{"name": "编号", "data_type": "C", "is_primary_key": True}, {"name": "名称", "data_type": "C"}]
    return make_table(CSV, fields, title="文化场馆名录")


def test_services_catalog_lists_queryable_tables(client, served, make_dataset):
    make_dataset(title="没有数据表的条目")
    body = client.get("/services/").content.decode()
    assert "文化场馆名录" in body and "没有数据表的条目" not in body


def test_service_page_has_examples_that_work(client, served):
    slug = slug_for_code(served.code)
    body = client.get(f"/services/{slug}/").content.decode()
    assert f"/api/v1/datasets/{slug}/data" in body and "import os, requests" in body and "fetch(" in body
    rows = client.get(f"/api/v1/datasets/{slug}/data?limit=100&sort=编号").json()["rows"]
    assert [r["名称"] for r in rows] == ["咸宁市图书馆", "嘉鱼县文化馆"]


def test_missing_and_hidden_services_look_alike(client, make_dataset):
    draft = make_dataset("draft")
    assert client.get(f"/services/{slug_for_code(draft.code)}/").status_code == 404
    assert client.get("/services/307015421200001-999999/").status_code == 404
