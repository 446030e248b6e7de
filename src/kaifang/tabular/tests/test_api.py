"""The data API, aggregates, visibility and every parameter error, through real URLs."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from kaifang.catalog.codes import slug_for_code


def url(ds, tail="data", **params):
    q = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in params.items())
    return f"/api/v1/datasets/{slug_for_code(ds.code)}/{tail}" + (f"?{q}" if q else "")


def test_anonymous_reads_published_rows_without_closed_fields(published, client):
    r = client.get(url(published))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 4 and body["total_is_estimate"] is False and body["version"] == 1
    assert [c["name"] for c in body["columns"]] == ["编号", "名称", "数量", "日期", "类别", "经度", "纬度"]
    assert "身份证号" not in body["rows"][0]
    assert body["rows"][0] == {
        "编号": "A001",
        "名称": "咸宁市第一中学",
        "数量": 12.5,
        "日期": "2024-01-02",
        "类别": "甲",
        "经度": 114.32,
        "纬度": 29.84,
    }


def test_filter_on_closed_field_is_refused(published, client):
    r = client.get(url(published, 身份证号="421202199001011234"))
    assert r.status_code == 422
    assert "没有名为“身份证号”的列" in r.json()["error"]["message"]


def test_officer_reads_the_open_version_and_downloads_the_raw_file(published, login, personas):
    """Everyone, the department included, is served the open version (closed fields withheld); the raw
    file is a separate download for the department's officers (privacy app, desensitized storage)."""
    import io

    import pyarrow.parquet as pq

    c = login(personas["officer"])
    assert "身份证号" not in c.get(url(published)).json()["rows"][0]
    raw = c.get(f"/privacy/datasets/{slug_for_code(published.code)}/versions/1/raw")
    assert raw.status_code == 200
    assert "身份证号" in pq.read_table(io.BytesIO(b"".join(raw.streaming_content))).column_names


@pytest.mark.parametrize(
    "params,ids",
    [
        ({"数量__gt": "5"}, ["A001", "A004"]),
        ({"数量__ge": "12.5"}, ["A001", "A004"]),
        ({"数量__lt": "5"}, ["A002"]),
        ({"数量__le": "3"}, ["A002"]),
        ({"编号": "A003"}, ["A003"]),
        ({"编号__eq": "A003"}, ["A003"]),
        ({"类别__ne": "甲"}, ["A002", "A003"]),
        ({"类别__in": "乙,丙"}, ["A002", "A003"]),
        ({"名称__like": "咸宁"}, ["A001"]),
        ({"名称__like": "%馆"}, ["A003", "A004"]),
        ({"日期__between": "2024-02-01,2024-03-31"}, ["A002", "A003"]),
        ({"数量__isnull": "true"}, ["A003"]),
        ({"数量__isnull": "false"}, ["A001", "A002", "A004"]),
        ({"q": "图书馆"}, ["A003"]),
        ({"类别": "甲", "数量__gt": "20"}, ["A004"]),
    ],
)
def test_filters(published, client, params, ids):
    body = client.get(url(published, **params)).json()
    assert [r["编号"] for r in body["rows"]] == ids
    assert body["total"] == len(ids)


def test_sort_fields_and_pages(published, client):
    body = client.get(url(published, sort="-数量", fields="编号,数量", limit=2)).json()
    assert body["rows"] == [{"编号": "A004", "数量": 40.0}, {"编号": "A001", "数量": 12.5}]
    assert body["has_more"] is True
    page2 = client.get(url(published, sort="-数量", fields="编号,数量", limit=2, offset=2)).json()
    assert [r["编号"] for r in page2["rows"]] == ["A002", "A003"]  # nulls last


def test_keyset_cursor_walks_every_row_once(published, client):
    seen = []
    params = {"sort": "-数量", "limit": 1}
    for _ in range(10):
        body = client.get(url(published, **params)).json()
        seen += [r["编号"] for r in body["rows"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == ["A004", "A001", "A002", "A003"]
    seen = []
    params = {"limit": 3}
    while True:
        body = client.get(url(published, **params)).json()
        seen += [r["编号"] for r in body["rows"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == ["A001", "A002", "A003", "A004"]


def test_estimated_total_is_flagged(published, client, monkeypatch):
    from kaifang.tabular import selectors

    monkeypatch.setattr(selectors, "EXACT_TOTAL_ROWS", 1)
    body = client.get(url(published, 数量__gt="0", limit="1")).json()
    assert body["total_is_estimate"] is True
    body = client.get(url(published, 数量__gt="0", limit="1", total="exact")).json()
    assert body["total"] == 3 and body["total_is_estimate"] is False
    # The whole result on one page: its length is the total, exact without counting.
    body = client.get(url(published, 数量__gt="0")).json()
    assert body["total"] == 3 and body["total_is_estimate"] is False
    assert client.get(url(published, total="none")).json()["total"] is None


def test_csv_page_neutralises_formulas(published, client):
    r = client.get(url(published, format="csv"))
    assert r["Content-Type"].startswith("text/csv")
    text = r.content.decode()
    assert text.splitlines()[0] == "编号,名称,数量,日期,类别,经度,纬度"
    assert "'=HYPERLINK" in text


@pytest.mark.parametrize(
    "params,message",
    [
        ({"limit": "0"}, "limit 必须在 1 到 10000 之间"),
        ({"limit": "10001"}, "limit 必须在 1 到 10000 之间"),
        ({"limit": "abc"}, "limit 必须是整数"),
        ({"offset": "-1"}, "offset 必须在"),
        ({"sort": "不存在"}, "没有名为“不存在”的列"),
        ({"sort": "a,b,c,d"}, "最多按 3 列排序"),
        ({"fields": "编号,不存在"}, "没有名为“不存在”的列"),
        ({"数量__gt": "abc"}, "不是有效的数值"),
        ({"日期__lt": "2024/13/01"}, "不是有效的日期"),
        ({"数量__between": "1"}, "between 需要两个"),
        ({"数量__isnull": "maybe"}, "isnull 的值只能是"),
        ({"不存在__eq": "1"}, "没有名为“不存在”的列"),
        ({'"; DROP TABLE t; --': "1"}, "没有名为"),
        ({"cursor": "!!!"}, "游标无效"),
        ({"cursor": "WzFd", "offset": "1"}, "cursor 与 offset 不能同时使用"),
        ({"total": "maybe"}, "total 只能是"),
        ({"format": "xml"}, "format 只能是 json 或 csv"),
        ({"q": "x" * 201}, "搜索词不能超过"),
    ],
)
def test_parameter_errors(published, client, params, message):
    r = client.get(url(published, **params))
    assert r.status_code == 422, r.content
    assert message in r.json()["error"]["message"], r.json()


def test_aggregate(published, client):
    body = client.get(
        url(published, "aggregate", group_by="类别", agg="count,sum:数量,max:日期", sort="类别")
    ).json()
    assert body["columns"] == ["类别", "count", "sum_数量", "max_日期"]
    assert body["rows"][0] == {"类别": "丙", "count": 1, "sum_数量": None, "max_日期": "2024-03-04"}
    assert body["rows"][2] == {"类别": "甲", "count": 2, "sum_数量": 52.5, "max_日期": "2024-04-05"}
    total = client.get(url(published, "aggregate", agg="count", 数量__gt="5")).json()
    assert total["rows"] == [{"count": 2}]


@pytest.mark.parametrize(
    "params,message",
    [
        ({"agg": "median:数量"}, "不支持的聚合"),
        ({"agg": "sum:名称"}, "只能用于数值列"),
        ({"group_by": "身份证号"}, "没有名为“身份证号”的列"),
        ({"group_by": "a,b,c,d,e,f"}, "最多按 5 列分组"),
        ({"agg": "count", "sort": "名称"}, "不能按“名称”排序"),
    ],
)
def test_aggregate_errors(published, client, params, message):
    r = client.get(url(published, "aggregate", **params))
    assert r.status_code == 422
    assert message in r.json()["error"]["message"]


def test_unpublished_version_is_invisible_to_the_public(table_ds, ingest, client, login, personas):
    ingest(table_ds)
    r = client.get(url(table_ds))
    assert r.status_code == 404 and "尚无可查询的数据版本" in r.json()["error"]["message"]
    assert login(personas["officer"]).get(url(table_ds)).json()["total"] == 4


def test_dataset_not_visible_answers_404(make_dataset, ingest, client):
    draft = make_dataset(state="draft", fields=[{"name": "编号", "data_type": "C", "length": 16}])
    assert client.get(url(draft)).status_code == 404
    assert client.get("/api/v1/datasets/nope/data").status_code == 404


def test_conditional_dataset_needs_a_grant(make_dataset, client):
    from .conftest import FIELDS

    ds = make_dataset(
        fields=FIELDS,
        open_attribute="conditional",
        open_condition="需申请",
        share_type="conditional",
        share_condition="需申请",
    )
    r = client.get(url(ds))
    assert r.status_code == 403 and "有条件开放" in r.json()["error"]["message"]


def test_only_the_current_version_is_served_and_version_param_is_staff_only(
    published, ingest, client, login, personas
):
    from .conftest import GOOD_CSV

    ingest(published, GOOD_CSV + "A005,新增,1,2024-05-06,甲,114,29,\n")
    assert client.get(url(published)).json()["total"] == 4
    assert client.get(url(published, version=2)).status_code == 404
    officer = login(personas["officer"])
    assert officer.get(url(published, version=2)).json()["total"] == 5


def test_estimated_total_samples_the_whole_table(table_ds, ingest, personas, client, monkeypatch):
    """A file ordered by a column (here 类别: the first half 甲, the second 乙) is sampled in ranges spread
    over the whole table, so the estimate is near the truth, not 0 as from its first rows."""
    from kaifang.tabular import selectors
    from kaifang.tabular.services import table_version_publish

    from .conftest import HEADER

    rows = [f"C{i:04d},名称{i},1,2024-01-01,{'甲' if i < 200 else '乙'},114.3,29.8," for i in range(400)]
    version = ingest(table_ds, HEADER + "\n".join(rows) + "\n")
    table_version_publish(actor=personas["reviewer"], version=version)
    monkeypatch.setattr(selectors, "EXACT_TOTAL_ROWS", 1)
    body = client.get(url(table_ds, 类别="乙", limit="10")).json()
    assert body["total_is_estimate"] is True and 150 <= body["total"] <= 250
    assert client.get(url(table_ds, 类别="乙", total="exact")).json()["total"] == 200
