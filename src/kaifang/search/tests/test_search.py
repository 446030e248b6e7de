"""Search through real URLs: segmentation, synonyms, pinyin, typos, ranking, facets, visibility."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def titles(body):
    return [r["title"] for r in body["results"]]


@pytest.fixture
def corpus(make_dataset):
    return {
        "bus": make_dataset(title="公交线路站点信息", tags=["公交", "站点"]),
        "flow": make_dataset(
            title="城区客流统计", abstract="各公共交通线路月度客流。", tags=["客流"], domain="transport"
        ),
        "hospital": make_dataset(
            title="医疗机构名录",
            abstract="全市医疗机构的名称、地址、等级。",
            tags=["医疗"],
            department="education",
            officer="other_officer",
            domain="health",
        ),
        "school": make_dataset(
            title="咸安区中小学名录",
            abstract="咸安区义务教育学校名单。",
            tags=["学校"],
            department="xianan_edu",
            officer="county_officer",
            domain="education",
            fields=[
                {"name": "学校名称", "data_type": "C", "length": 64},
                {"name": "统一社会信用代码", "data_type": "C", "length": 18},
            ],
        ),
        "closed": make_dataset(
            title="公交驾驶员档案",
            open_attribute="closed",
            legal_basis="涉及个人信息",
            share_type="conditional",
            share_condition="仅限交通部门",
        ),
        "draft": make_dataset("draft", title="公交草稿数据"),
    }


def test_chinese_subwords_synonyms_and_facets_match(client, corpus):
    body = client.get("/api/v1/datasets?q=公交").json()
    # 公交 matches the title of one and, through its synonym 公共交通, the abstract of another.
    assert titles(body) == ["公交线路站点信息", "城区客流统计"]
    assert body["count"] == 2
    assert sum(f["count"] for f in body["facets"]["domain"]) == 2
    assert sum(f["count"] for f in body["facets"]["region"]) == 2
    # Synonyms: 医院 finds 医疗机构.
    assert titles(client.get("/api/v1/datasets?q=医院").json()) == ["医疗机构名录"]
    # Field names and departments are searched too.
    assert titles(client.get("/api/v1/datasets?q=统一社会信用代码").json()) == ["咸安区中小学名录"]
    assert "公交线路站点信息" in titles(client.get("/api/v1/datasets?q=交通运输局").json())
    # Place names from our dictionary stay whole; a colloquial question keeps its content words.
    assert titles(client.get("/api/v1/datasets?q=我想查一下咸安的学校有哪些").json()) == ["咸安区中小学名录"]


def test_pinyin_initials_and_typos(client, corpus):
    for q in ("gongjiao", "gjxl", "gongjiaoxianlu", "gong jiao", "gongjaio", "公焦"):
        assert "公交线路站点信息" in titles(client.get(f"/api/v1/datasets?q={q}").json()), q


def test_title_match_ranks_first_and_facet_filter_narrows(client, corpus):
    body = client.get("/api/v1/datasets?q=名录").json()
    assert set(titles(body)) == {"医疗机构名录", "咸安区中小学名录"}
    narrowed = client.get("/api/v1/datasets?q=名录&domain=health").json()
    assert titles(narrowed) == ["医疗机构名录"]
    # Drill-down: the domain facet ignores its own filter and still counts both.
    assert {f["value"]: f["count"] for f in narrowed["facets"]["domain"]} == {"health": 1, "education": 1}
    assert sum(f["count"] for f in narrowed["facets"]["region"]) == narrowed["count"] == 1


def test_results_only_hold_what_the_actor_may_see(client, login, personas, corpus):
    anon = titles(client.get("/api/v1/datasets?q=公交").json())
    assert "公交驾驶员档案" not in anon and "公交草稿数据" not in anon
    login(personas["reviewer"])
    staff = titles(client.get("/api/v1/datasets?q=公交&catalog=resource").json())
    assert "公交驾驶员档案" in staff and "公交草稿数据" not in staff
    # Suggestions obey the same rule.
    login(None)
    sugg = client.get("/api/v1/search/suggest?q=公交").json()["suggestions"]
    assert "公交驾驶员档案" not in [s["title"] for s in sugg]


def test_withdraw_and_edit_reach_the_index(client, personas, corpus):
    from kaifang.catalog import services
    from kaifang.core.testing import valid_dataset_data

    services.dataset_withdraw(actor=personas["reviewer"], dataset=corpus["bus"], reason="停更")
    assert "公交线路站点信息" not in titles(client.get("/api/v1/datasets?q=公交").json())
    flow = corpus["flow"]
    flow.refresh_from_db()
    services.dataset_update(
        actor=personas["officer"],
        dataset=flow,
        data=valid_dataset_data(title="城区出租车客流统计", abstract="出租车月度客流。", tags=["出租车"]),
        lock_version=flow.lock_version,
    )
    assert titles(client.get("/api/v1/datasets?q=出租车").json()) == ["城区出租车客流统计"]
    assert titles(client.get("/api/v1/datasets?q=公共交通").json()) == []


def test_suggest_api_and_htmx_partial(client, corpus):
    body = client.get("/api/v1/search/suggest?q=公交线").json()
    assert body["suggestions"][0]["title"] == "公交线路站点信息"
    assert "<mark>" in body["suggestions"][0]["title_html"]
    assert (
        client.get("/api/v1/search/suggest?q=gongj").json()["suggestions"][0]["title"] == "公交线路站点信息"
    )
    html = client.get("/search/suggest/?q=医疗", HTTP_HX_REQUEST="true").content.decode()
    assert "<mark>医疗</mark>机构名录" in html and 'role="listbox"' in html
    assert client.get("/search/suggest/?q=").content.decode().strip() == ""


def test_search_api_has_snippets_and_did_you_mean(client, corpus):
    body = client.get("/api/v1/search?q=医院").json()
    assert body["results"][0]["abstract_html"].count("<mark>") >= 1
    assert body["did_you_mean"] == ""
    typo = client.get("/api/v1/search?q=公焦").json()
    assert typo["did_you_mean"] == "公交线路站点信息"
    # Snippets are escaped HTML.
    from kaifang.search.text import highlight

    assert highlight("<b>公交</b>", ["公交"]) == "&lt;b&gt;<mark>公交</mark>&lt;/b&gt;"


def test_browse_page_shows_snippets_suggest_box_and_did_you_mean(client, corpus):
    html = client.get("/datasets/?q=公共交通").content.decode()
    assert "<mark>公共交通</mark>" in html
    assert 'hx-get="/search/suggest/"' in html
    html = client.get("/datasets/?q=公焦").content.decode()
    assert "did-you-mean" in html and "公交线路站点信息" in html


def test_row_search_terms_use_the_same_segmentation():
    from kaifang.search.selectors import row_search_terms

    terms = row_search_terms("我想查咸安区的医院")
    assert terms[0] == ["咸安区"]
    assert set(terms[1]) == {"医院", "医疗机构", "医疗卫生机构"}
    assert row_search_terms("gongjiao") == [["gongjiao"]]


def test_home_search_box_suggests(client, corpus):
    html = client.get("/").content.decode()
    assert 'hx-get="/search/suggest/"' in html and 'id="suggest-box"' in html


def test_one_slip_is_preferred_to_two(make_dataset, search_backend):
    from kaifang.search.backends import get_backend
    from kaifang.search.selectors import parse, ranked

    if search_backend != "embedded":
        pytest.skip("PostgreSQL matches slips by prefix (docs/search.md)")

    make_dataset(title="公交线路站点信息")
    make_dataset(title="部门预决算公开目录", abstract="预算决算公开。", tags=["公开"])
    # gongjaio is one transposition from gongjiao and two edits from gongkai (公开).
    hits = ranked("gongjaio").hits
    assert len(hits) == 1
    assert get_backend().search(parse("gongjaio"), 10).mode == "fuzzy"
