"""Public pages through real URLs: anonymous, missing, hidden, valid."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from kaifang.catalog.codes import slug_for_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_home_shows_counters_domains_and_counties(client, make_dataset, regions):
    make_dataset(title="公交线路站点信息")
    r = client.get("/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "咸宁市公共数据开放平台" in body
    assert 'data-testid="open-datasets">1<' in body
    assert "/ 1,000" in body or "/ 1000" in body
    assert "/datasets/?domain=transport" in body
    assert f"/regions/{regions['jiayu'].code}/" in body
    assert 'rel="alternate" type="application/json" href="/api/v1/stats"' in body


def test_home_counts_are_cached_briefly(client, make_dataset, django_assert_max_num_queries):
    client.get("/")
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_progress_board(client, departments, regions):
    r = client.get("/progress/")
    assert r.status_code == 200
    assert departments["transport"].name in r.content.decode()
    assert regions["jiayu"].name in r.content.decode()


def test_browse_lists_published_open_datasets_only(client, make_dataset):
    make_dataset(title="公交线路站点信息")
    make_dataset(state="draft", title="草稿中的数据")
    r = client.get("/datasets/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "公交线路站点信息" in body
    assert "草稿中的数据" not in body
    assert 'href="/api/v1/datasets"' in body


def test_browse_facets_and_twin_keep_the_query(client, make_dataset):
    make_dataset(title="公交线路站点信息")
    r = client.get("/datasets/?domain=transport&q=公交")
    body = r.content.decode()
    assert "公交线路站点信息" in body
    assert 'data-facet="region"' in body
    assert "/api/v1/datasets?q=" in body and "domain=transport" in body
    assert client.get("/datasets/?domain=nothing").content.decode().count('class="ds-item"') == 0


def test_browse_htmx_returns_partial(client, make_dataset):
    make_dataset()
    r = client.get("/datasets/?domain=transport", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200
    assert body.lstrip().startswith('<div id="browse-area"') or 'id="browse-area"' in body
    assert "<html" not in body
    assert "HX-Request" in r["Vary"]


def test_staff_catalogs_are_404_for_public(client, login, personas):
    assert client.get("/datasets/?catalog=resource").status_code == 404
    login(personas["citizen"])
    assert client.get("/datasets/?catalog=sharing").status_code == 404
    login(personas["officer"])
    r = client.get("/datasets/?catalog=resource")
    assert r.status_code == 200
    assert "资源目录" in r.content.decode()


def test_dataset_page(client, make_dataset):
    ds = make_dataset(title="公交线路站点信息")
    slug = slug_for_code(ds.code)
    r = client.get(f"/datasets/{slug}/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "公交线路站点信息" in body
    assert "线路编号" in body  # fields table
    assert "无条件开放" in body
    assert "每月" in body
    assert f'href="/api/v1/datasets/{slug}"' in body
    assert body.count("<time>") == 1  # history: the public reads the publication, not the workflow before it
    assert "/staff/datasets/" not in body  # no staff buttons for the public


def test_dataset_sample_badge(client, make_dataset):
    from kaifang.catalog.models import Dataset

    ds = make_dataset()
    Dataset.objects.filter(pk=ds.pk).update(is_sample=True)
    assert "示例数据" in client.get(f"/datasets/{slug_for_code(ds.code)}/").content.decode()
    assert 'class="badge sample"' in client.get("/datasets/").content.decode()


def test_dataset_missing_and_hidden_look_alike(client, make_dataset):
    draft = make_dataset(state="draft")
    missing = client.get("/datasets/999999999999999-000001/")
    hidden = client.get(f"/datasets/{slug_for_code(draft.code)}/")
    assert missing.status_code == hidden.status_code == 404
    assert "未找到该资源，或您无权访问。" in hidden.content.decode()
    assert client.get("/datasets/garbage/").status_code == 404


def test_organization_and_region_pages(client, make_dataset, departments, regions):
    make_dataset(title="公交线路站点信息")
    d = departments["transport"]
    r = client.get(f"/organizations/{d.uscc}/")
    assert r.status_code == 200
    assert "公交线路站点信息" in r.content.decode()
    assert f'href="/api/v1/organizations/{d.uscc}"' in r.content.decode()
    r = client.get(f"/regions/{regions['city'].code}/")
    assert r.status_code == 200 and "公交线路站点信息" in r.content.decode()
    assert client.get("/organizations/NOPE/").status_code == 404
    assert client.get("/regions/000000/").status_code == 404


def test_section_pages(client, make_dataset):
    for path, text in (
        ("/services/", "数据服务"),
        ("/developer/", "kaifang apikey create"),
        ("/index/", "开放指数"),
        ("/interaction/", "交流互动"),
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert text in r.content.decode()


def test_unknown_url_is_404_page(client):
    r = client.get("/no/such/page/")
    assert r.status_code == 404


def test_language_switch_to_english(client, make_dataset):
    ds = make_dataset()
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    body = client.get("/").content.decode()
    assert "Datasets" in body and "Open datasets" in body
    assert "数据资源</a>" not in body
    body = client.get(f"/datasets/{slug_for_code(ds.code)}/").content.decode()
    assert "Fields" in body and "Unconditionally open" in body


def test_cached_fragments_follow_every_change(client, make_dataset, personas):
    """Home and dataset fragments are cached per catalog generation: a write shows at once."""
    from kaifang.catalog import services
    from kaifang.catalog.codes import slug_for_code

    ds = make_dataset("published", title="片段缓存甲")
    url = f"/datasets/{slug_for_code(ds.code)}/"
    assert "片段缓存甲" in client.get("/").content.decode()
    assert "dataset_publish" not in client.get(url).content.decode()
    data = {"title": ds.title, "abstract": "新的摘要文字"}
    from kaifang.core.testing import valid_dataset_data

    services.dataset_update(
        actor=personas["officer"], dataset=ds, data=valid_dataset_data(**data), lock_version=ds.lock_version
    )
    assert "新的摘要文字" in client.get(url).content.decode()
    services.dataset_withdraw(actor=personas["reviewer"], dataset=ds, reason="停更")
    assert "片段缓存甲" not in client.get("/").content.decode()
