"""Who may push and read, the latest snapshot, changes since a cursor, the call log and the live view."""

from __future__ import annotations

import datetime

import pytest

from kaifang.access.models import CallLog
from kaifang.catalog.codes import slug_for_code
from kaifang.feeds.tests.conftest import FIELDS, row, url

pytestmark = pytest.mark.django_db
MATRIX_PERSONAS = ["anonymous", "citizen", "other_officer", "officer", "reviewer"]
CONDITIONAL_FIELDS = [dict(f, sensitivity_grade="G3") if f["name"] == "空闲泊位数" else f for f in FIELDS]


def conditional(feed_dataset):
    return feed_dataset(
        title="有条件开放的停车数据",
        open_attribute="conditional",
        open_condition="签协议",
        fields=CONDITIONAL_FIELDS,
    )


def grant(personas, ds, **extra):
    from kaifang.access import services as access
    from kaifang.access.models import AgreementTemplate

    AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )
    today = datetime.date.today()
    body = {
        "purpose": "停车诱导",
        "scenario": "导航应用",
        "security_measures": "加密",
        "period_start": today.isoformat(),
        "period_end": (today + datetime.timedelta(days=30)).isoformat(),
        "accept_agreement": True,
    }
    app = access.access_application_submit(actor=personas["enterprise"], dataset=ds, data=body)
    return access.access_application_approve(actor=personas["officer"], application=app, **extra)


PUSH_EXPECTED = {"anonymous": 401, "citizen": 404, "other_officer": 404, "reviewer": 404, "officer": 201}


@pytest.mark.parametrize("attribute", ["unconditional", "conditional"])
@pytest.mark.parametrize("persona", MATRIX_PERSONAS)
def test_push_matrix(feed_dataset, push, persona, attribute):
    ds = conditional(feed_dataset) if attribute == "conditional" else feed_dataset()
    r = push(ds, [row()], persona=persona)
    assert r.status_code == PUSH_EXPECTED[persona], r.content
    if r.status_code == 404:
        # Exactly what a missing dataset answers: nothing tells that the dataset exists.
        missing = push(ds, [row()], persona=persona)
        assert missing.json() == r.json()


def test_push_to_a_missing_dataset_and_with_a_read_only_key(client, feed_dataset, api_key):
    ds = feed_dataset()
    secret = api_key("officer", scopes=["read"])
    r = client.post(
        url(ds, "").rstrip("/"),
        {"rows": [row()]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "key_scope"
    r = client.post(
        "/api/v1/datasets/307015421200001-999999/feed",
        {"rows": [row()]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key('officer')}",
    )
    assert r.status_code == 404


def test_push_with_a_session_needs_no_key(client, login, personas, feed_dataset):
    ds = feed_dataset()
    login(personas["officer"])
    r = client.post(url(ds, "").rstrip("/"), {"rows": [row()]}, content_type="application/json")
    assert r.status_code == 201


OPEN_READ = dict.fromkeys(MATRIX_PERSONAS, 200)
CONDITIONAL_READ = {"anonymous": 403, "citizen": 403, "other_officer": 403, "officer": 200, "reviewer": 200}


@pytest.mark.parametrize("attribute", ["unconditional", "conditional"])
@pytest.mark.parametrize("endpoint", ["latest", "changes?since=0"])
def test_read_matrix(client, login, personas, feed_dataset, push, attribute, endpoint):
    ds = conditional(feed_dataset) if attribute == "conditional" else feed_dataset()
    push(ds, [row("P001"), row("P002")])
    want = CONDITIONAL_READ if attribute == "conditional" else OPEN_READ
    failures = []
    for persona in MATRIX_PERSONAS:
        login(personas[persona])
        r = client.get(url(ds, endpoint))
        if r.status_code != want[persona]:
            failures.append(f"{persona}: {r.status_code} != {want[persona]}")
        elif r.status_code == 403:
            assert r.json()["error"]["code"] == "grant_required"
    assert failures == []
    login(None)
    assert client.get(f"/api/v1/datasets/307015421200001-999999/feed/{endpoint}").status_code == 404


def test_a_grant_holder_reads_a_conditional_feed_with_the_granted_fields_only(
    client, login, personas, feed_dataset, push
):
    ds = conditional(feed_dataset)
    push(ds, [row("P001", 7)])
    grant(personas, ds, fields=["停车场编号", "停车场名称"])
    login(personas["enterprise"])
    r = client.get(url(ds, "latest"))
    assert r.status_code == 200 and r.json()["rows"] == [{"停车场编号": "P001", "停车场名称": "停车场P001"}]
    r = client.get(url(ds, "latest"), {"fields": "空闲泊位数"})
    assert r.status_code == 422  # a column outside the grant does not exist for this caller


def test_closed_fields_are_never_served(client, feed_dataset, push):
    fields = FIELDS + [
        {
            "name": "管理员电话",
            "data_type": "C",
            "length": 20,
            "sensitivity_grade": "G4",
            "share_type": "conditional",
            "open_attribute": "closed",
        }
    ]
    ds = feed_dataset(fields=fields)
    assert push(ds, [row("P001", 管理员电话="内部")]).status_code == 201
    got = client.get(url(ds, "latest")).json()
    assert "管理员电话" not in got["columns"] and "管理员电话" not in got["rows"][0]


def test_a_feed_without_pushes_is_not_found(client, feed_dataset):
    r = client.get(url(feed_dataset(), "latest"))
    assert r.status_code == 404 and r.json()["error"]["message"] == "该数据资源尚无实时数据。"


def test_latest_paging_fields_and_sort(client, feed_dataset, push):
    ds = feed_dataset()
    push(ds, [row(f"P{i:03d}", i) for i in range(5)])
    push(ds, [row("P001", 99)])
    page = client.get(url(ds, "latest"), {"limit": 2, "offset": 2, "fields": "停车场编号,空闲泊位数"}).json()
    assert page["rows"] == [{"停车场编号": "P002", "空闲泊位数": 2}, {"停车场编号": "P003", "空闲泊位数": 3}]
    assert page["has_more"] is True and page["columns"] == ["停车场编号", "空闲泊位数"]
    newest = client.get(url(ds, "latest"), {"sort": "-seq", "limit": 1}).json()["rows"][0]
    assert newest["停车场编号"] == "P001" and newest["空闲泊位数"] == 99
    for params, param in (
        ({"limit": 0}, "limit"),
        ({"offset": "x"}, "offset"),
        ({"sort": "name"}, "sort"),
        ({"fields": "无此列"}, "fields"),
    ):
        r = client.get(url(ds, "latest"), params)
        assert r.status_code == 422 and param in r.json()["error"]["details"]


def test_changes_since_a_cursor(client, feed_dataset, push):
    ds = feed_dataset()
    cursor = push(ds, [row("P001", 1), row("P002", 2)]).json()["cursor"]
    push(ds, [row("P002", 3), row("P003", 4)])
    push(ds, [row("P003", 5)])
    r = client.get(url(ds, "changes"), {"since": cursor}).json()
    # P003 changed twice since the cursor: only its latest state is served, once.
    assert [(c["seq"], c["op"], c["row"]["停车场编号"], c["row"]["空闲泊位数"]) for c in r["changes"]] == [
        (3, "upsert", "P002", 3),
        (5, "upsert", "P003", 5),
    ]
    assert r["next_cursor"] == "5" and r["has_more"] is False
    again = client.get(url(ds, "changes"), {"since": r["next_cursor"]}).json()
    assert again["changes"] == [] and again["next_cursor"] == "5"
    paged = client.get(url(ds, "changes"), {"since": "0", "limit": 1}).json()
    assert paged["has_more"] is True and paged["next_cursor"] == "1"


@pytest.mark.parametrize(
    ("since", "code"),
    [("", "bad_parameter"), ("abc", "cursor_invalid"), ("-1", "cursor_invalid"), ("999", "cursor_invalid")],
)
def test_invalid_cursors_are_a_clear_400(client, feed_dataset, push, since, code):
    ds = feed_dataset()
    push(ds, [row()])
    r = client.get(url(ds, "changes"), {"since": since})
    assert r.status_code == (422 if code == "bad_parameter" else 400) and r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]


def test_an_expired_cursor_is_refused_after_tombstones_are_pruned(client, feed_dataset, push, settings):
    from kaifang.feeds import services

    settings.KAIFANG_FEED_RETAIN_CHANGES = 2
    ds = feed_dataset()
    push(ds, [row("P001"), row("P002")])
    push(ds, [{"停车场编号": "P001"}], mode="delete")  # seq 3
    for i in range(3):
        push(ds, [row("P002", 100 + i)])  # seq 4..6
    from kaifang.feeds.models import Feed

    feed = Feed.objects.get()
    services._prune(feed, feed.updated_at)
    feed.refresh_from_db()
    assert feed.floor_seq == 3
    r = client.get(url(ds, "changes"), {"since": "1"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "cursor_expired"
    assert client.get(url(ds, "changes"), {"since": "3"}).status_code == 200


def test_reads_are_in_the_call_log(client, feed_dataset, push):
    ds = feed_dataset()
    push(ds, [row("P001"), row("P002")])
    client.get(url(ds, "latest"))
    client.get(url(ds, "changes"), {"since": "1"})
    logs = {log.endpoint: log for log in CallLog.objects.filter(dataset_code=ds.code)}
    assert logs["feed/latest"].rows == 2 and logs["feed/latest"].status == 200
    assert logs["feed/changes"].rows == 1 and "since=1" in logs["feed/changes"].query


def test_live_view_partial(client, login, personas, feed_dataset, push):
    ds = feed_dataset()
    slug = slug_for_code(ds.code)
    page = client.get(f"/datasets/{slug}/").content.decode()
    assert f"/feeds/datasets/{slug}/live/" in page
    empty = client.get(f"/feeds/datasets/{slug}/live/").content.decode()
    assert "尚未推送实时数据" in empty
    push(ds, [row("P001", 11), row("P002", 22)])
    push(ds, [row("P002", 33)])
    html = client.get(f"/feeds/datasets/{slug}/live/").content.decode()
    assert "最后更新" in html and 'hx-trigger="every' in html and 'data-cursor="3"' in html
    # Most recently changed first.
    assert html.index("P002") < html.index("P001") and "33" in html


def test_live_view_of_a_conditional_feed_shows_rows_only_to_readers(
    client, login, personas, feed_dataset, push
):
    ds = conditional(feed_dataset)
    push(ds, [row("P001", 11)])
    slug = slug_for_code(ds.code)
    login(personas["citizen"])
    html = client.get(f"/feeds/datasets/{slug}/live/").content.decode()
    assert "最后更新" in html and "P001" not in html and "获得授权后" in html
    login(personas["officer"])
    assert "P001" in client.get(f"/feeds/datasets/{slug}/live/").content.decode()


def test_live_view_of_a_missing_dataset(client):
    assert client.get("/feeds/datasets/307015421200001-999999/live/").status_code == 404


def test_no_feed_panel_on_datasets_that_are_not_feeds(client, make_dataset):
    ds = make_dataset("published")
    assert "/live/" not in client.get(f"/datasets/{slug_for_code(ds.code)}/").content.decode()


def test_the_data_services_catalog_lists_live_feeds(client, feed_dataset, push):
    ds = feed_dataset(title="停车场实时泊位监测")
    assert "停车场实时泊位监测" not in client.get("/services/").content.decode()  # nothing pushed yet
    push(ds, [row()])
    html = client.get("/services/").content.decode()
    assert "停车场实时泊位监测" in html and 'badge live">实时' in html


def test_the_service_page_of_a_feed_shows_its_endpoints(client, feed_dataset, make_dataset):
    ds = feed_dataset()
    html = client.get(f"/services/{slug_for_code(ds.code)}/").content.decode()
    assert "/feed/latest" in html and "/feed/changes?since=" in html and "next_cursor" in html
    other = make_dataset("published")
    assert "/feed/latest" not in client.get(f"/services/{slug_for_code(other.code)}/").content.decode()
