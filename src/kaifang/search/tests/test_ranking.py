"""The operators' ranking: weights and boosts stored in the database, applied at once; use from call logs;
quality from metadata completeness."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

# The abstract repeats the word the title of the other dataset holds once.
TITLE_HIT = {"title": "停车场名录", "abstract": "全市公共停放车辆场所的名称与地址。"}
ABSTRACT_HIT = {"title": "城区泊位信息", "abstract": "停车 停车 停车：城区道路停车泊位、停车收费标准。"}
LOW_TITLE = {"weights": {"title": 0.1, "code": 0.1, "py": 0.1, "abstract": 10}, "boosts": {}}


def titles(client, q):
    return [r["title"] for r in client.get(f"/api/v1/datasets?q={q}").json()["results"]]


@pytest.mark.parametrize(
    ("name", "page", "api"),
    [
        ("anonymous", 302, 401),
        ("citizen", 404, 404),
        ("officer", 404, 404),
        ("reviewer", 404, 404),
        ("operator", 200, 200),
    ],
)
def test_only_operators_see_and_change_the_ranking(client, login, personas, name, page, api):
    login(personas[name])
    assert client.get("/staff/search/ranking/").status_code == page
    assert client.get("/api/v1/search/ranking").status_code == api
    r = client.put("/api/v1/search/ranking", LOW_TITLE, content_type="application/json")
    assert r.status_code == api
    r = client.post("/api/v1/search/usage/refresh")
    assert r.status_code == (401 if name == "anonymous" else 200 if name == "operator" else 403)


def test_a_weight_change_reorders_results_at_once_and_is_audited(client, login, personas, make_dataset):
    from kaifang.core.models import AuditEvent

    make_dataset(**TITLE_HIT)
    make_dataset(**ABSTRACT_HIT)
    assert titles(client, "停车") == ["停车场名录", "城区泊位信息"]
    login(personas["operator"])
    body = client.put("/api/v1/search/ranking", LOW_TITLE, content_type="application/json").json()
    assert {w["name"]: w["value"] for w in body["weights"]}["abstract"] == 10
    assert AuditEvent.objects.filter(action="search_settings_update").count() == 1
    client.logout()
    # No restart, no reindex: the next query (and the cached browse page) follows the new weights.
    assert titles(client, "停车") == ["城区泊位信息", "停车场名录"]
    html = client.get("/datasets/?q=停车").content.decode()
    assert html.index("城区泊位信息") < html.index("停车场名录")
    # Back to the defaults.
    login(personas["operator"])
    client.post("/staff/search/ranking/", {"action": "reset"})
    client.logout()
    assert titles(client, "停车") == ["停车场名录", "城区泊位信息"]


def test_preview_shows_both_orders_and_saves_nothing(client, login, personas, make_dataset):
    from kaifang.search.models import RankingSettings

    make_dataset(**TITLE_HIT)
    make_dataset(**ABSTRACT_HIT)
    login(personas["operator"])
    form = {
        "action": "preview",
        "q": "停车",
        "w_title": "0.1",
        "w_code": "0.1",
        "w_py": "0.1",
        "w_abstract": "10",
    }
    html = client.post("/staff/search/ranking/", form).content.decode()
    proposed = html[html.index('data-testid="preview-proposed"') :]
    assert proposed.index("城区泊位信息") < proposed.index("停车场名录")
    body = client.post(
        "/api/v1/search/ranking/preview", LOW_TITLE | {"q": "停车"}, content_type="application/json"
    ).json()
    assert [r["title"] for r in body["current"]] == ["停车场名录", "城区泊位信息"]
    assert [r["title"] for r in body["proposed"]] == ["城区泊位信息", "停车场名录"]
    assert not RankingSettings.objects.exists()
    assert titles(client, "停车") == ["停车场名录", "城区泊位信息"]


def test_invalid_values_are_refused(client, login, personas):
    login(personas["operator"])
    r = client.put(
        "/api/v1/search/ranking",
        {"weights": {"title": 99, "nope": 1}, "boosts": {"use": -1}},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert set(r.json()["error"]["details"]) == {"title", "nope", "use"}
    r = client.post("/staff/search/ranking/", {"action": "save", "w_title": "abc"})
    assert r.status_code == 422


def test_use_from_call_logs_lifts_a_dataset_after_refresh(client, login, personas, make_dataset):
    from django.utils import timezone

    from kaifang.access.models import CallLog

    make_dataset(title="公交线路站点", abstract="公交线路的走向与站点。公交线路年度调整。")
    used = make_dataset(
        title="公交线路走向", abstract="各线路走向与站点。", department="education", officer="other_officer"
    )
    assert len(titles(client, "公交线路")) == 2
    first = client.get("/api/v1/datasets?q=公交线路").json()["results"][0]["code"]
    assert first != used.code
    now = timezone.now()
    CallLog.objects.bulk_create(
        CallLog(at=now, dataset_code=used.code, endpoint="data", method="GET", status=200, latency_ms=3)
        for _ in range(2000)
    )
    # Failed calls do not count.
    CallLog.objects.create(
        at=now, dataset_code=first, endpoint="data", method="GET", status=403, latency_ms=1
    )
    login(personas["operator"])
    client.put("/api/v1/search/ranking", {"boosts": {"use": 1.0}}, content_type="application/json")
    # Calls reach the index only with the refresh (incremental: the datasets called since the last one).
    assert client.post("/api/v1/search/usage/refresh").json()["refreshed"] >= 1
    client.logout()
    assert client.get("/api/v1/datasets?q=公交线路").json()["results"][0]["code"] == used.code
    login(personas["operator"])
    assert client.post("/api/v1/search/usage/refresh").json() == {"refreshed": 0, "full": False}


def test_quality_is_metadata_completeness(make_dataset):
    from kaifang.search.documents import doc_for, quality_of

    bare = make_dataset(
        title="空白数据", abstract="简短", tags=[], title_en="", contact_phone="", contact_email=""
    )
    rich = make_dataset(
        title="完整数据",
        abstract="这是一段超过三十个字符的摘要，说明数据的来源、范围、更新方式与使用注意事项。",
        tags=["交通"],
        title_en="Complete data",
        fields=[{"name": "名称", "name_en": "name", "data_type": "C", "length": 64}],
    )
    assert doc_for(rich).quality > doc_for(bare).quality
    assert 0.0 <= quality_of(bare, [], 0) < 0.5


def test_refresh_usage_command(make_dataset, capsys):
    from kaifang.cli import main

    make_dataset(title="公交线路站点")
    assert main(["search", "refresh-usage"]) == 0
    assert "1 datasets" in capsys.readouterr().out
    assert main(["search", "refresh-usage"]) == 0
    assert "0 datasets" in capsys.readouterr().out
    assert main(["search", "refresh-usage", "--full"]) == 0
    assert "1 datasets" in capsys.readouterr().out
