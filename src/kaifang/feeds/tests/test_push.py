"""Pushing batches: append, upsert, delete, validation, idempotent retries, privacy, audit."""

from __future__ import annotations

import pytest

from kaifang.core.models import AuditEvent
from kaifang.feeds.models import Feed, FeedRecord
from kaifang.feeds.tests.conftest import row, url

pytestmark = pytest.mark.django_db


def test_upsert_inserts_then_updates_by_primary_key(client, feed_dataset, push):
    ds = feed_dataset()
    r = push(ds, [row("P001", 10), row("P002", 20)])
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["inserted"], body["updated"], body["cursor"], body["row_count"]) == (2, 0, "2", 2)
    r = push(ds, [row("P002", 5), row("P003", 7), row("P001", 10)])
    body = r.json()
    # P001 is unchanged: it takes no sequence number, so readers of changes do not see it again.
    assert (body["inserted"], body["updated"], body["unchanged"], body["cursor"]) == (1, 1, 1, "4")
    latest = client.get(url(ds, "latest")).json()
    assert [(x["停车场编号"], x["空闲泊位数"]) for x in latest["rows"]] == [
        ("P001", 10),
        ("P002", 5),
        ("P003", 7),
    ]
    assert latest["row_count"] == 3 and latest["cursor"] == "4"


def test_values_are_stored_typed(client, feed_dataset, push):
    ds = feed_dataset()
    push(ds, [row("P001", "12", 饱和度="0.25", 更新时间="2026/11/27 08:30:00")])
    got = client.get(url(ds, "latest")).json()["rows"][0]
    assert got["空闲泊位数"] == 12 and got["饱和度"] == 0.25 and got["更新时间"] == "2026-11-27 08:30:00"


def test_append_adds_rows_and_refuses_existing_keys(client, feed_dataset, push):
    ds = feed_dataset()
    assert push(ds, [row("P001")], mode="append").status_code == 201
    r = push(ds, [row("P002"), row("P001", 3)], mode="append")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "bad_rows"
    assert err["details"]["errors"][0]["row"] == 2 and "upsert" in err["details"]["errors"][0]["reason"]
    assert client.get(url(ds, "latest")).json()["row_count"] == 1  # nothing of the refused batch


def test_append_without_primary_key_keeps_every_row_in_order(client, feed_dataset, push):
    fields = [{"name": "事件", "data_type": "C", "length": 20}, {"name": "数值", "data_type": "I"}]
    ds = feed_dataset(fields=fields)
    push(ds, [{"事件": "a", "数值": 1}, {"事件": "a", "数值": 1}], mode="append")
    push(ds, [{"事件": "b", "数值": 2}], mode="append")
    rows = client.get(url(ds, "latest")).json()["rows"]
    assert rows == [{"事件": "a", "数值": 1}, {"事件": "a", "数值": 1}, {"事件": "b", "数值": 2}]
    r = push(ds, [{"事件": "c", "数值": 3}], mode="upsert")
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_primary_key"


def test_delete_removes_from_latest_and_shows_in_changes(client, feed_dataset, push):
    ds = feed_dataset()
    push(ds, [row("P001"), row("P002"), row("P003")])
    r = push(ds, [{"停车场编号": "P002"}, {"停车场编号": "P999"}], mode="delete")
    assert r.status_code == 201 and r.json()["deleted"] == 1 and r.json()["unchanged"] == 1
    latest = client.get(url(ds, "latest")).json()
    assert [x["停车场编号"] for x in latest["rows"]] == ["P001", "P003"] and latest["row_count"] == 2
    changes = client.get(url(ds, "changes"), {"since": "3"}).json()["changes"]
    assert changes == [{"seq": 4, "op": "delete", "row": {"停车场编号": "P002"}}]
    # A deleted key comes back with an upsert.
    push(ds, [row("P002", 1)])
    assert client.get(url(ds, "latest")).json()["row_count"] == 3


@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        ({"空闲泊位数": "很多"}, "空闲泊位数", "不是有效的整数"),
        ({"停车场编号": ""}, "停车场编号", "主键为空"),
        ({"停车场名称": "名" * 21}, "停车场名称", "长度超过 20 个字符"),
        ({"收费标准": "按次"}, "收费标准", "不在值域内"),
        ({"空闲泊位数": 9999}, "空闲泊位数", "超出值域 0-5000"),
        ({"更新时间": "昨天"}, "更新时间", "不是有效的日期时间"),
        ({"饱和度": {"x": 1}}, "饱和度", "值必须是文本、数字、逻辑值或 null"),
    ],
)
def test_a_bad_row_rejects_the_whole_batch_with_row_column_reason(
    client, feed_dataset, push, bad, column, reason
):
    ds = feed_dataset()
    push(ds, [row("P000")])
    r = push(ds, [row("P001"), {**row("P002"), **bad}, row("P003")])
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "bad_rows" and "整批已拒绝" in err["message"]
    assert {"row": 2, "column": column, "reason": reason} == {
        k: err["details"]["errors"][0][k] for k in ("row", "column", "reason")
    }
    assert FeedRecord.objects.count() == 1 and Feed.objects.get().last_seq == 1


def test_errors_are_in_english_when_asked(client, feed_dataset, api_key):
    ds = feed_dataset()
    r = client.post(
        url(ds, "").rstrip("/"),
        {"rows": [row("P001", "x")]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key('officer')}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    err = r.json()["error"]
    assert r.status_code == 422 and "whole batch was rejected" in err["message"]
    assert err["details"]["errors"][0]["reason"].startswith("Not a valid")


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([], "bad_batch"),
        ([{"未知列": 1, "停车场编号": "P1"}], "unknown_columns"),
        ([{"停车场名称": "无主键"}], "missing_columns"),
        (["not an object"], "bad_rows"),
    ],
)
def test_malformed_batches_are_refused(feed_dataset, push, rows, code):
    r = push(feed_dataset(), rows)
    assert r.status_code == 422 and r.json()["error"]["code"] == code


def test_duplicate_keys_in_one_batch_are_refused(feed_dataset, push):
    r = push(feed_dataset(), [row("P001"), row("P001", 3)])
    err = r.json()["error"]
    assert r.status_code == 422 and err["details"]["errors"][0]["reason"] == "主键重复，与第 1 行相同"


def test_bad_mode_and_oversized_batch(feed_dataset, push, settings):
    ds = feed_dataset()
    assert push(ds, [row()], mode="merge").json()["error"]["code"] == "bad_mode"
    settings.KAIFANG_FEED_MAX_BATCH_ROWS = 2
    assert push(ds, [row("A"), row("B"), row("C")]).json()["error"]["code"] == "batch_too_large"


def test_english_field_names_are_accepted(client, feed_dataset, push):
    ds = feed_dataset()
    r = push(ds, [{"park_id": "P001", "free": 3}])
    assert r.status_code == 201
    assert client.get(url(ds, "latest")).json()["rows"][0]["空闲泊位数"] == 3


def test_a_retried_batch_is_applied_once(client, feed_dataset, push):
    ds = feed_dataset()
    first = push(ds, [row("P001", 1)], key="batch-1")
    again = push(ds, [row("P001", 1)], key="batch-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["cursor"] == first.json()["cursor"]
    assert Feed.objects.get().batch_count == 1
    assert AuditEvent.objects.filter(action="feed.push").count() == 1
    # The same key with a different batch is a client error, not a silent overwrite.
    r = push(ds, [row("P001", 2)], key="batch-1")
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_reused"
    assert push(ds, [row("P001", 2)], key="batch-2").status_code == 201


def test_one_audit_event_per_batch(feed_dataset, push, personas):
    ds = feed_dataset()
    push(ds, [row(f"P{i:03d}") for i in range(50)])
    events = AuditEvent.objects.filter(action="feed.push")
    assert events.count() == 1
    e = events.get()
    assert e.actor == personas["officer"] and e.after["inserted"] == 50 and e.target_type == "feeds.feed"


def test_pushes_leave_the_public_page_caches_alone(feed_dataset, push):
    from kaifang.catalog.selectors import catalog_generation

    ds = feed_dataset()
    push(ds, [row("P001")])  # the first push also lists the feed as a distribution: a catalog change
    generation = catalog_generation()
    for i in range(3):
        push(ds, [row("P001", free=i)])
    assert catalog_generation() == generation
    assert AuditEvent.objects.filter(action="feed.push").count() == 4  # still audited, every one


def test_first_push_lists_the_feed_as_a_distribution(feed_dataset, push):
    ds = feed_dataset()
    push(ds, [row()])
    push(ds, [row("P002")])
    dists = ds.distributions.filter(kind="feed")
    assert dists.count() == 1 and dists.get().access_url.endswith("/feed/latest")


def test_a_dataset_not_opened_as_a_feed_cannot_be_pushed_to(feed_dataset, push):
    ds = feed_dataset(open_forms=["download", "api"])
    r = push(ds, [row()])
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_feed"


def test_personal_identifiers_are_refused_on_open_feeds(feed_dataset, push):
    fields = [
        {"name": "编号", "data_type": "C", "length": 8, "is_primary_key": True},
        {"name": "备注", "data_type": "C", "length": 60},
    ]
    ds = feed_dataset(fields=fields)
    r = push(
        ds,
        [{"编号": "1", "备注": "联系人手机13907151234"}, {"编号": "2", "备注": "身份证421202199001011234"}],
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "personal_data" and "个人信息" in err["message"] and err["details"]["reasons"]
    assert not FeedRecord.objects.exists()
    assert push(ds, [{"编号": "1", "备注": "北门入口"}]).status_code == 201


def test_validation_reopens_its_database_after_close(feed_dataset, push):
    from kaifang.feeds import validation

    ds = feed_dataset()
    assert push(ds, [row("P001")]).status_code == 201
    validation.close()
    assert validation._db is None
    assert push(ds, [row("P002", "x")]).status_code == 422  # checked by a fresh database
    assert push(ds, [row("P002")]).status_code == 201
