"""Preview: the clustered map endpoint (bounded payload at 100,000 points) and the column profile charts."""

from __future__ import annotations

import random

import pytest

from kaifang.catalog.codes import slug_for_code

POINT_FIELDS = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "类别", "data_type": "C", "length": 8},
    {"name": "日期", "data_type": "D"},
    {"name": "经度", "data_type": "N"},
    {"name": "纬度", "data_type": "N"},
]


def points_csv(n: int, seed: int = 7) -> str:
    rnd = random.Random(seed)
    lines = ["编号,类别,日期,经度,纬度"]
    for i in range(n):
        lines.append(
            f"P{i:06d},{'甲乙丙'[i % 3]},2024-{1 + i % 12:02d}-{1 + i % 28:02d},"
            f"{113.7 + rnd.random() * 0.9:.5f},{29.2 + rnd.random() * 0.9:.5f}"
        )
    return "\n".join(lines) + "\n"


def map_url(ds, query: str = "") -> str:
    return f"/api/v1/datasets/{slug_for_code(ds.code)}/map{query}"


@pytest.fixture
def big(make_table):
    return make_table(points_csv(100_000), POINT_FIELDS, title="十万个点")


def test_map_of_100000_points_is_a_bounded_payload(big, client):
    r = client.get(map_url(big))
    body = r.json()
    assert r.status_code == 200
    assert body["points"] == 100_000  # every point is counted in some cluster
    assert len(body["clusters"]) <= 41 * 41 and len(r.content) < 100_000
    assert body["lon"] == "经度" and body["data_bounds"][0] == pytest.approx(113.7, abs=0.01)
    assert not body["truncated"]
    # Zoomed in to a small view: fewer points, finer cells, still bounded.
    r = client.get(map_url(big, "?bbox=114.0,29.5,114.02,29.52&cells=128"))
    small = r.json()
    assert 0 < small["points"] < 1000 and small["cell"] < body["cell"]
    assert len(small["clusters"]) <= 129 * 129
    assert sum(c[2] for c in small["clusters"]) == small["points"]
    assert any(c[2] == 1 for c in small["clusters"])  # single points, not clusters, when zoomed in


def test_map_applies_filters_and_validates(big, client):
    body = client.get(map_url(big, "?" + "类别=甲")).json()
    assert body["points"] == 33_334
    for query, message in [
        ("?bbox=1,2,3", "bbox 需要四个"),
        ("?bbox=10,0,5,1", "bbox 超出"),
        ("?cells=1000", "cells 必须在 4 到 128 之间"),
        ("?nope=1", "没有名为“nope”的列"),
    ]:
        r = client.get(map_url(big, query))
        assert r.status_code == 422 and message in r.json()["error"]["message"], query


def test_map_who_may_see(make_table, make_dataset, client, login, personas):
    from .conftest import FIELDS

    ds = make_table(points_csv(50), POINT_FIELDS)
    assert client.get(map_url(ds)).status_code == 200  # anonymous, open dataset
    assert client.get("/api/v1/datasets/nope/map").status_code == 404
    draft = make_dataset(state="draft", fields=FIELDS)
    assert client.get(map_url(draft)).status_code == 404
    conditional = make_dataset(
        fields=FIELDS,
        open_attribute="conditional",
        open_condition="需申请",
        share_type="conditional",
        share_condition="需申请",
    )
    assert login(personas["citizen"]).get(map_url(conditional)).status_code == 403
    no_coords = make_table(
        "编号,名称\nA,甲\n", [{"name": "编号", "data_type": "C"}, {"name": "名称", "data_type": "C"}]
    )
    r = client.get(map_url(no_coords))
    assert r.status_code == 422 and "没有经纬度列" in r.json()["error"]["message"]


def test_profile_charts_from_the_stored_profile(make_table, client, django_assert_max_num_queries):
    ds = make_table(points_csv(300), POINT_FIELDS, title="点")
    from kaifang.tabular.models import TableVersion

    version = TableVersion.objects.get(dataset=ds)
    assert version.profile["日期"]["histogram"][0][0] == "2024-01-01"
    assert sum(b[2] for b in version.profile["日期"]["histogram"]) == 300
    html = client.get(f"/tabular/datasets/{slug_for_code(ds.code)}/data-panel/").content.decode()
    assert html.count('data-testid="profile-card"') == 5
    assert 'data-kind="histogram"' in html and 'data-kind="top"' in html
    assert "kaifang/vendor/echarts.min.js" in html and "tabular/profile.js" in html
    # The accessible fallback: the same numbers as a table, with Chinese labels.
    assert "分布表" in html and "常见值表" in html and "空值 0 行（0.0%）" in html
    assert '<td>甲</td><td class="num">100</td>' in html


@pytest.mark.parametrize(("offset", "previous"), [(5, 0), (20, 0), (45, 25)])
def test_the_previous_page_link_never_asks_for_a_negative_offset(make_table, client, offset, previous):
    from django.urls import reverse

    ds = make_table(points_csv(60), POINT_FIELDS, title="六十个点")
    body = client.get(reverse("tabular:preview", kwargs={"slug": slug_for_code(ds.code)}), {"offset": offset})
    assert body.status_code == 200
    html = body.content.decode()
    assert f"?offset={previous}&amp;" in html and "offset=-" not in html
