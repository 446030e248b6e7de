"""Public interaction through real URLs: comments and ratings with moderation and replies, follows and what
followers are told, error reports and requests as work orders, and the bad input of issue 13 (markup,
very long text, spam from one account and one address, a requester who withdraws, anonymity)."""

from __future__ import annotations

import datetime

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.core.ratelimit import Window

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def data(make_dataset):
    return {
        "bus": make_dataset(title="公交线路信息"),
        "closed": make_dataset(
            title="驾驶员档案",
            open_attribute="closed",
            legal_basis="涉及个人信息",
            share_type="conditional",
            share_condition="仅限交通部门",
        ),
        "draft": make_dataset("draft", title="公交草稿"),
        "edu": make_dataset(title="学校名录", department="education", officer="other_officer"),
    }


def slug(ds):
    return slug_for_code(ds.code)


def page(ds):
    return f"/datasets/{slug(ds)}/"


def api(ds, tail="comments"):
    return f"/api/v1/datasets/{slug(ds)}/{tail}"


def post_json(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def comment(client, login, user, ds, text="数据很有用", rating=5):
    login(user)
    r = post_json(client, api(ds), {"text": text, "rating": rating})
    assert r.status_code == 201, r.content
    return r.json()["id"]


# Comments and ratings -------------------------------------------------------------------------------------


def test_comment_is_pending_until_moderated_and_markup_stays_inert(client, login, personas, data):
    from kaifang.interaction.models import Comment
    from kaifang.notifications.models import Notification

    ds = data["bus"]
    # Anonymous: the block is there with a login link and no form; the API asks for a login.
    html = client.get(page(ds)).content.decode()
    assert 'data-testid="interaction"' in html and "/accounts/login/?next=" in html
    assert 'data-testid="comment-form"' not in html
    assert post_json(client, api(ds), {"text": "x"}).status_code == 401
    r = client.post(f"/interaction/datasets/{slug(ds)}/comments/", {"text": "x"})
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]

    # The citizen comments through the page's form.
    login(personas["citizen"])
    assert 'data-testid="comment-form"' in client.get(page(ds)).content.decode()
    r = client.post(f"/interaction/datasets/{slug(ds)}/comments/", {"text": SCRIPT, "rating": "4"})
    assert r.status_code == 302 and r["Location"].endswith("#comments")
    c = Comment.objects.get()
    assert c.state == "pending" and c.rating == 4 and c.text == SCRIPT
    own = client.get(page(ds)).content.decode()
    assert "待审核，仅您可见" in own
    assert "&lt;script&gt;" in own and SCRIPT not in own and "<img src=x" not in own
    assert client.get(f"/api/v1/comments/{c.pk}").json()["state"] == "pending"

    # Invisible to the public and to other users, on the page and in JSON, until published.
    for who in ("anonymous", "enterprise", "other_officer"):
        login(personas[who])
        assert "alert" not in client.get(page(ds)).content.decode()
        assert client.get(api(ds)).json()["items"] == []
        assert client.get(f"/api/v1/comments/{c.pk}").status_code == 404
    login(personas["enterprise"])
    assert post_json(client, f"/api/v1/comments/{c.pk}/moderate", {"decision": "publish"}).status_code == 404
    login(personas["other_officer"])
    assert post_json(client, f"/api/v1/comments/{c.pk}/moderate", {"decision": "publish"}).status_code == 404

    # A reviewer publishes it: the department's officers hear of it.
    login(personas["reviewer"])
    r = post_json(client, f"/api/v1/comments/{c.pk}/moderate", {"decision": "publish"})
    assert r.status_code == 200 and r.json()["state"] == "published"
    note = Notification.objects.get(event="comment_received")
    assert note.recipient == personas["officer"] and "公交线路信息" in note.subject

    client.logout()
    html = client.get(page(ds)).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and SCRIPT not in html
    body = client.get(api(ds)).json()
    assert body["items"][0]["text"] == SCRIPT  # plain text in JSON; the reader's page escapes it
    assert body["items"][0]["author"] == "c**"  # the public sees a masked name
    assert body["rating"]["average"] == 4.0 and body["rating"]["count"] == 1
    assert "4.0" in html and "1 人评分" in html


def test_department_replies_publicly_and_the_author_hears_of_it(client, login, personas, data):
    from kaifang.notifications.models import Notification

    ds = data["bus"]
    pk = comment(client, login, personas["citizen"], ds, text="能否增加站点坐标？", rating=3)
    login(personas["officer"])  # officers of the department moderate too
    assert post_json(client, f"/api/v1/comments/{pk}/moderate", {"decision": "publish"}).status_code == 200

    for who, status in (("citizen", 403), ("other_officer", 403), ("reviewer", 403)):
        login(personas[who])
        assert post_json(client, f"/api/v1/comments/{pk}/reply", {"text": "好"}).status_code == status
    client.logout()
    assert post_json(client, f"/api/v1/comments/{pk}/reply", {"text": "好"}).status_code == 401
    assert post_json(client, "/api/v1/comments/999999/reply", {"text": "好"}).status_code == 401
    login(personas["officer"])
    assert post_json(client, "/api/v1/comments/999999/reply", {"text": "好"}).status_code == 404
    assert post_json(client, f"/api/v1/comments/{pk}/reply", {"text": "  "}).status_code == 422
    r = client.post(
        f"/interaction/comments/{pk}/reply/", {"text": "下月起提供<b>坐标</b>。", "next": "dataset"}
    )
    assert r.status_code == 302 and r["Location"].endswith("#comments")
    assert Notification.objects.filter(recipient=personas["citizen"], event="comment_replied").exists()
    client.logout()
    html = client.get(page(ds)).content.decode()
    assert "部门回复" in html and "下月起提供&lt;b&gt;坐标&lt;/b&gt;。" in html
    assert client.get(api(ds)).json()["items"][0]["reply"] == "下月起提供<b>坐标</b>。"


def test_reject_needs_a_reason_and_hides_the_comment(client, login, personas, data):
    ds = data["bus"]
    pk = comment(client, login, personas["citizen"], ds, text="广告内容", rating=1)
    login(personas["reviewer"])
    r = post_json(client, f"/api/v1/comments/{pk}/moderate", {"decision": "reject"})
    assert r.status_code == 422 and "理由" in r.json()["error"]["details"]["reason"]
    assert post_json(client, f"/api/v1/comments/{pk}/moderate", {"decision": "maybe"}).status_code == 422
    r = client.post(f"/interaction/comments/{pk}/reject/", {"reason": "含广告", "next": "moderation"})
    assert r.status_code == 302
    client.logout()
    assert client.get(api(ds)).json() == {
        "rating": client.get(api(ds)).json()["rating"],
        "followers": 0,
        "following": False,
        "items": [],
    }
    assert client.get(api(ds)).json()["rating"]["count"] == 0  # a rejected rating does not count
    login(personas["citizen"])
    mine = client.get(api(ds)).json()["items"][0]
    assert mine["state"] == "rejected" and mine["moderation_reason"] == "含广告"
    assert "含广告" in client.get(page(ds)).content.decode()


def test_ratings_average_over_published_comments(client, login, personas, data, settings):
    settings.KAIFANG_RATELIMIT_ENABLED = False
    ds = data["bus"]
    ids = [comment(client, login, personas[u], ds, rating=r) for u, r in (("citizen", 5), ("enterprise", 2))]
    ids.append(comment(client, login, personas["citizen"], ds, text="无评分", rating=None))
    comment(client, login, personas["enterprise"], ds, rating=1)  # stays pending: not counted
    login(personas["reviewer"])
    for pk in ids:
        post_json(client, f"/api/v1/comments/{pk}/moderate", {"decision": "publish"})
    summary = client.get(api(ds)).json()["rating"]
    assert summary["average"] == 3.5 and summary["count"] == 2 and summary["spread"]["5"] == 1
    login(personas["citizen"])
    r = post_json(client, api(ds), {"text": "评分越界", "rating": 6})
    assert r.status_code == 422 and "1到5星" in r.json()["error"]["details"]["rating"]


def test_moderation_queue_page_and_twin(client, login, personas, data, settings):
    from kaifang.core import clock

    ds, edu = data["bus"], data["edu"]
    base = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    with clock.at(base + datetime.timedelta(hours=2)):
        newer = comment(client, login, personas["citizen"], ds, text="较新的评论")
    with clock.at(base):
        older = comment(client, login, personas["enterprise"], ds, text="较早的评论")
    other = comment(client, login, personas["citizen"], edu, text="教育局的数据")

    client.logout()
    r = client.get("/interaction/moderation/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    r = client.post(f"/interaction/comments/{older}/publish/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert client.get("/api/v1/comments/moderation").status_code == 401
    login(personas["citizen"])
    assert client.get("/interaction/moderation/").status_code == 404
    assert client.get("/api/v1/comments/moderation").json() == []

    login(personas["officer"])  # the officer's own department only, oldest first
    html = client.get("/interaction/moderation/").content.decode()
    assert html.index("较早的评论") < html.index("较新的评论") and "教育局的数据" not in html
    assert [c["id"] for c in client.get("/api/v1/comments/moderation").json()] == [older, newer]
    login(personas["reviewer"])  # the city reviewer: every department
    assert {c["id"] for c in client.get("/api/v1/comments/moderation").json()} == {older, newer, other}
    r = client.post(f"/interaction/comments/{older}/publish/", {"next": "moderation"})
    assert r.status_code == 302 and r["Location"] == "/interaction/moderation/"
    assert client.post("/interaction/comments/999999/publish/").status_code == 404
    assert client.post(f"/interaction/comments/{older}/frobnicate/").status_code == 404
    login(personas["enterprise"])
    assert client.post(f"/interaction/comments/{newer}/publish/").status_code == 404
    assert (
        client.post(f"/interaction/comments/{older}/publish/").status_code == 403
    )  # published: seen, not theirs


def test_not_visible_datasets_look_missing(client, login, personas, data):
    login(personas["citizen"])
    for ds in (data["closed"], data["draft"]):
        assert client.get(api(ds)).status_code == 404
        assert post_json(client, api(ds), {"text": "x"}).status_code == 404
        assert post_json(client, api(ds, "follow")).status_code == 404
        assert post_json(client, api(ds, "error-reports"), {"description": "x"}).status_code == 404
        for tail in ("comments", "follow", "error-reports"):
            assert client.post(f"/interaction/datasets/{slug(ds)}/{tail}/", {"text": "x"}).status_code == 404
    missing = "/api/v1/datasets/no-such-code/comments"
    assert client.get(missing).status_code == 404
    assert post_json(client, missing, {"text": "x"}).status_code == 404
    assert client.post("/interaction/datasets/no-such-code/comments/", {"text": "x"}).status_code == 404
    # The officer sees the draft of their department, but nobody comments on an entry not yet public.
    login(personas["officer"])
    assert post_json(client, api(data["draft"]), {"text": "x"}).status_code == 403


# Follows ---------------------------------------------------------------------------------------------------


def test_follow_and_unfollow(client, login, personas, data):
    ds = data["bus"]
    assert post_json(client, api(ds, "follow")).status_code == 401
    assert client.delete(api(ds, "follow")).status_code == 401
    r = client.post(f"/interaction/datasets/{slug(ds)}/follow/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    login(personas["citizen"])
    assert post_json(client, api(ds, "follow")).json() == {
        "dataset": ds.code,
        "following": True,
        "followers": 1,
    }
    assert post_json(client, api(ds, "follow")).json()["followers"] == 1  # twice is once
    assert 'data-testid="unfollow"' in client.get(page(ds)).content.decode()
    assert client.delete(api(ds, "follow")).json()["following"] is False
    r = client.post(f"/interaction/datasets/{slug(ds)}/follow/", {"action": "follow"})
    assert r.status_code == 302
    assert client.get(api(ds)).json()["following"] is True
    client.post(f"/interaction/datasets/{slug(ds)}/follow/", {"action": "unfollow"})
    assert client.get(api(ds)).json()["following"] is False


def test_followers_hear_of_changes_they_may_read(client, login, personas, data):
    from kaifang.catalog.models import Dataset
    from kaifang.catalog.signals import dataset_changed
    from kaifang.notifications.models import Notification

    ds = data["bus"]
    for who in ("citizen", "enterprise"):
        login(personas[who])
        post_json(client, api(ds, "follow"))
    dataset_changed.send(sender=Dataset, dataset=ds, change="version_published", actor=personas["officer"])
    notes = Notification.objects.filter(event="dataset_followed_changed")
    assert {n.recipient.username for n in notes} == {"citizen", "enterprise"}
    assert all(n.url == page(ds) and "公交线路信息" in n.subject for n in notes)

    # The entry is closed to the public: an update is news the followers may no longer read.
    Notification.objects.all().delete()
    Dataset.objects.filter(pk=ds.pk).update(open_attribute="closed")
    ds.refresh_from_db()
    dataset_changed.send(sender=Dataset, dataset=ds, change="updated", actor=personas["officer"])
    assert not Notification.objects.exists()
    # A withdrawal: every follower saw it before, and the message names the title only.
    dataset_changed.send(sender=Dataset, dataset=ds, change="withdrawn", actor=personas["reviewer"])
    notes = list(Notification.objects.filter(event="dataset_followed_changed"))
    assert len(notes) == 2 and all(n.url == "" and "已撤回" in n.subject for n in notes)


# Error reports ---------------------------------------------------------------------------------------------


def test_error_report_becomes_a_work_order_of_the_department(client, login, personas, data, departments):
    from kaifang.interaction.models import ErrorReport

    ds = data["bus"]
    field = ds.fields.get(name="站点名称")
    assert post_json(client, api(ds, "error-reports"), {"description": "x"}).status_code == 401
    r = client.post(f"/interaction/datasets/{slug(ds)}/error-reports/", {"description": "x"})
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    login(personas["citizen"])
    html = client.get(page(ds)).content.decode()
    assert f'<option value="{field.code}">站点名称</option>' in html
    r = post_json(
        client,
        api(ds, "error-reports"),
        {"description": "站名错别字", "field": field.code, "row_reference": "线路编号=K1"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["field"] == "站点名称" and body["work_order"]["state"] == "open"
    report = ErrorReport.objects.get()
    wo = report.work_order
    assert wo.kind == "error_report" and wo.dataset == ds and wo.department == departments["transport"]
    assert "站点名称" in wo.body and "线路编号=K1" in wo.body and wo.requester == personas["citizen"]
    assert "站名错别字" not in client.get("/requests/").content.decode()  # error reports are not requests

    r = post_json(client, api(ds, "error-reports"), {"description": "x", "field": "不存在的字段"})
    assert r.status_code == 422 and "信息项" in r.json()["error"]["details"]["field"]
    r = client.post(
        f"/interaction/datasets/{slug(ds)}/error-reports/", {"description": "", "field": field.code}
    )
    assert r.status_code == 422 and "请填写问题描述" in r.content.decode()
    r = client.post(
        f"/interaction/datasets/{slug(ds)}/error-reports/", {"description": "经度偏移", "field": ""}
    )
    assert r.status_code == 302 and r["Location"].endswith("#error-report")
    assert 'data-testid="my-reports"' in client.get(page(ds)).content.decode()


# Requests --------------------------------------------------------------------------------------------------


def request_body(**over):
    body = {
        "kind": "data_request",
        "title": "希望开放公交实时到站数据",
        "body": "用于出行小程序。",
        "purpose": "开发便民出行应用",
    }
    return body | over


def submit(client, login, user, **over):
    login(user)
    r = post_json(client, "/api/v1/requests", request_body(**over))
    assert r.status_code == 201, r.content
    return r.json()


def test_request_pages_anonymous_forbidden_missing_valid(client, login, personas, departments):
    for url in ("/interaction/", "/requests/", "/api/v1/requests"):
        assert client.get(url).status_code == 200
    r = client.get("/requests/new/?kind=consultation")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert post_json(client, "/api/v1/requests", request_body()).status_code == 401
    assert client.get("/requests/999999/").status_code == 404
    assert client.get("/api/v1/requests/999999").status_code == 404
    assert client.get("/requests/99999999999999999999/").status_code == 404

    login(personas["citizen"])
    html = client.get("/requests/new/?kind=consultation").content.decode()
    assert 'name="kind" value="consultation"' in html and 'name="purpose"' not in html
    r = client.post(
        "/requests/new/",
        {
            "kind": "data_request",
            "title": "学校名录",
            "body": "需要学校名录",
            "purpose": "",
            "department": str(departments["education"].pk),
        },
    )
    assert (
        r.status_code == 422
        and "请填写数据用途" in r.content.decode()
        and "需要学校名录" in r.content.decode()
    )
    r = client.post(
        "/requests/new/",
        {
            "kind": "data_request",
            "title": "学校名录",
            "body": "需要学校名录",
            "purpose": "择校参考",
            "department": str(departments["education"].pk),
        },
    )
    assert r.status_code == 302
    pk = int(r["Location"].rstrip("/").split("/")[-1])
    detail = client.get(f"/api/v1/requests/{pk}").json()
    assert detail["department"]["name"] == "咸宁市教育局" and detail["state"] == "open" and detail["deadline"]
    # Another user sees the public page but cannot act on it.
    login(personas["enterprise"])
    html = client.get(f"/requests/{pk}/").content.decode()
    assert "学校名录" in html and 'data-testid="requester-actions"' not in html
    for action in ("withdraw", "close", "reopen"):
        assert post_json(client, f"/api/v1/requests/{pk}/{action}", {"reason": "x"}).status_code == 403
    assert post_json(client, f"/api/v1/requests/{pk}/rate", {"rating": 5}).status_code == 403
    assert client.post(f"/requests/{pk}/", {"action": "withdraw"}).status_code == 403
    assert post_json(client, "/api/v1/requests/999999/withdraw", {"reason": "x"}).status_code == 404
    client.logout()
    assert post_json(client, f"/api/v1/requests/{pk}/withdraw", {"reason": "x"}).status_code == 401
    r = client.post(f"/requests/{pk}/", {"action": "withdraw"})
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_requester_stays_anonymous_unless_they_choose(client, login, personas):
    user = personas["citizen"]
    user.display_name = "张小明"
    user.save()
    hidden = submit(client, login, user, title="匿名的诉求")
    shown = submit(client, login, user, title="署名的诉求", kind="suggestion", show_name=True)
    assert "张小明" not in str(hidden) and hidden["requester"].startswith("匿名用户")
    for who in ("anonymous", "enterprise", "officer"):
        login(personas[who])
        html = client.get(f"/requests/{hidden['id']}/").content.decode()
        listing = client.get("/requests/").content.decode()
        body = client.get(f"/api/v1/requests/{hidden['id']}").json()
        assert "张小明" not in html and "citizen" not in html and body["requester"] == "匿名用户"
        assert "张小明" not in str(client.get("/api/v1/requests?kind=data_request").json())
        assert "张小明" in client.get(f"/requests/{shown['id']}/").content.decode()
        assert client.get(f"/api/v1/requests/{shown['id']}").json()["requester"] == "张小明"
        assert "张小明" not in listing


def test_markup_and_long_text_in_requests(client, login, personas):
    body = submit(client, login, personas["citizen"], title=SCRIPT, body=SCRIPT + "\x00尾")
    assert body["title"] == SCRIPT and body["body"] == SCRIPT + "尾"  # NUL removed (PostgreSQL refuses it)
    for url in (f"/requests/{body['id']}/", "/requests/", "/interaction/"):
        html = client.get(url).content.decode()
        assert SCRIPT not in html and "&lt;script&gt;" in html
    r = post_json(client, "/api/v1/requests", request_body(body="长" * 4001))
    assert r.status_code == 422 and "不能超过4000个字" in r.json()["error"]["details"]["body"]
    r = post_json(client, "/api/v1/requests", request_body(kind="rumour"))
    assert r.status_code == 422 and "kind" in r.json()["error"]["details"]
    r = post_json(client, "/api/v1/requests", request_body(domain="nope"))
    assert r.status_code == 422


def test_long_comment_is_refused_with_a_clear_message_and_kept(client, login, personas, data):
    ds = data["bus"]
    login(personas["citizen"])
    r = post_json(client, api(ds), {"text": "评" * 2001})
    assert r.status_code == 422
    assert r.json()["error"]["details"]["text"] == "评论内容不能超过2000个字（现有2001个字）。"
    r = client.post(f"/interaction/datasets/{slug(ds)}/comments/", {"text": "评" * 2001, "rating": "3"})
    html = r.content.decode()
    assert r.status_code == 422 and "不能超过2000个字" in html and "评" * 2001 in html
    assert post_json(client, api(ds), {"text": "评" * 2000}).status_code == 201


def test_requester_withdraws_closes_reopens_and_rates(client, login, personas, data, departments):
    from kaifang.operations.models import WorkOrder
    from kaifang.operations.services import work_order_answer

    first = submit(client, login, personas["citizen"])
    r = client.post(f"/requests/{first['id']}/", {"action": "withdraw", "reason": "已找到数据"})
    assert r.status_code == 302
    html = client.get(f"/requests/{first['id']}/").content.decode()
    assert "已撤回" in html and 'value="withdraw"' not in html
    assert client.get(f"/api/v1/requests/{first['id']}").json()["state"] == "withdrawn"
    r = post_json(client, f"/api/v1/requests/{first['id']}/withdraw", {"reason": ""})
    assert r.status_code == 409  # already withdrawn
    assert "已撤回" in client.get("/requests/?status=withdrawn").content.decode()

    second = submit(client, login, personas["citizen"], department=departments["transport"].pk)
    wo = WorkOrder.objects.get(public_request__pk=second["id"])
    assert wo.department == departments["transport"]
    work_order_answer(
        actor=personas["officer"], work_order=wo, answer="已发布，见链接。", dataset=data["bus"]
    )
    html = client.get(f"/requests/{second['id']}/").content.decode()
    assert "已发布，见链接。" in html and 'data-testid="answer-dataset"' in html and page(data["bus"]) in html
    assert client.get(f"/api/v1/requests/{second['id']}").json()["answer_dataset"]["code"] == data["bus"].code
    r = client.post(f"/requests/{second['id']}/", {"action": "reopen", "reason": ""})
    assert r.status_code == 422 and "理由" in r.content.decode()
    assert (
        client.post(f"/requests/{second['id']}/", {"action": "reopen", "reason": "缺少站点坐标"}).status_code
        == 302
    )
    assert client.get(f"/api/v1/requests/{second['id']}").json()["state"] == "open"
    wo.refresh_from_db()
    work_order_answer(actor=personas["officer"], work_order=wo, answer="已补充坐标。", dataset=data["bus"])
    assert post_json(client, f"/api/v1/requests/{second['id']}/close").json()["state"] == "closed"
    r = post_json(client, f"/api/v1/requests/{second['id']}/rate", {"rating": 9})
    assert r.status_code == 422
    r = client.post(f"/requests/{second['id']}/", {"action": "rate", "rating": "5", "comment": "很快"})
    assert r.status_code == 302
    assert client.get(f"/api/v1/requests/{second['id']}").json()["rating"] == 5
    assert client.post(f"/requests/{second['id']}/", {"action": "nope"}).status_code == 404


def test_request_list_filters_and_pages(client, login, personas, departments, settings):
    settings.KAIFANG_RATELIMIT_ENABLED = False
    for i in range(21):
        submit(
            client, login, personas["citizen"], title=f"需求{i:02d}", department=departments["education"].pk
        )
    submit(client, login, personas["enterprise"], kind="consultation", title="咨询开放流程", purpose="")
    client.logout()
    body = client.get("/api/v1/requests").json()
    assert body["total"] == 22 and len(body["items"]) == 20 and body["pages"] == 2
    assert len(client.get("/api/v1/requests?page=2").json()["items"]) == 2
    assert client.get("/api/v1/requests?kind=consultation").json()["total"] == 1
    edu = departments["education"].pk
    assert client.get(f"/api/v1/requests?department={edu}").json()["total"] == 21
    assert client.get("/api/v1/requests?status=answered").json()["total"] == 0
    assert client.get("/api/v1/requests?status=bogus&kind=bogus&page=x").json()["total"] == 22
    html = client.get("/requests/?kind=data_request").content.decode()
    assert "第 1 / 2 页" in html and "?kind=data_request&amp;page=2" in html and "咨询开放流程" not in html
    html = client.get("/requests/?kind=data_request&page=2").content.decode()
    assert "需求00" in html and "需求20" not in html
    hub = client.get("/interaction/").content.decode()
    assert "共 22 件诉求" in hub and "/requests/new/?kind=complaint" in hub


# Spam ------------------------------------------------------------------------------------------------------


def test_spam_from_one_account_is_refused_clearly(client, login, personas, data):
    ds = data["bus"]
    login(personas["citizen"])
    for i in range(5):
        assert post_json(client, api(ds), {"text": f"第{i}条"}).status_code == 201
    r = post_json(client, api(ds), {"text": "第6条"})
    assert r.status_code == 429 and "Retry-After" in r
    assert r.json()["error"]["message"].startswith("您的账号提交过于频繁，请在")
    # The same account is held back on every kind of submission, on the pages too.
    r = client.post(f"/interaction/datasets/{slug(ds)}/comments/", {"text": "再来一条"})
    assert r.status_code == 429 and "您的账号提交过于频繁" in r.content.decode()
    assert post_json(client, "/api/v1/requests", request_body()).status_code == 429
    # Another account is not.
    login(personas["enterprise"])
    assert post_json(client, api(ds), {"text": "企业的评论"}).status_code == 201


def test_spam_from_one_address_is_refused_clearly(client, login, personas, data, monkeypatch):
    from kaifang.interaction import services

    monkeypatch.setattr(services, "ADDRESS_WINDOWS", [Window("burst", 600, 3)])
    ds = data["bus"]
    for who in ("citizen", "enterprise", "reviewer"):
        login(personas[who])
        assert (
            post_json(
                client,
                api(ds),
                {"text": who},
            ).status_code
            == 201
        )
    login(personas["auditor"])
    r = post_json(client, api(ds), {"text": "第四个账号"})
    assert r.status_code == 429 and "您所在网络地址的提交过于频繁" in r.json()["error"]["message"]
    r = client.post(
        f"/interaction/datasets/{slug(ds)}/error-reports/", {"description": "x"}, REMOTE_ADDR="10.0.0.9"
    )
    assert r.status_code == 302  # another address is not held back


def test_rate_windows_follow_the_platform_clock(personas, data):
    """The demo writes a year of comments through the service at past moments: each counts in its own
    window, not all in the present one."""
    from kaifang.core import clock
    from kaifang.core.ratelimit import RateLimited
    from kaifang.interaction.services import comment_submit

    start = datetime.datetime(2025, 6, 2, 9, tzinfo=datetime.UTC)
    for day in range(12):
        with clock.at(start + datetime.timedelta(days=day)):
            comment_submit(
                actor=personas["citizen"], dataset=data["bus"], text=f"第{day}天", address="10.1.1.1"
            )
    with clock.at(start):
        for i in range(4):
            comment_submit(actor=personas["citizen"], dataset=data["bus"], text=f"又一条{i}")
        with pytest.raises(RateLimited):
            comment_submit(actor=personas["citizen"], dataset=data["bus"], text="太多了")


@pytest.mark.django_db
def test_the_request_list_keeps_the_chosen_filters(client, personas, departments):
    dept = departments["transport"]
    from kaifang.interaction.services import public_request_submit

    public_request_submit(
        actor=personas["citizen"], kind="consultation", title="公交数据怎么下载", body="请问", department=dept
    )
    html = client.get(f"/requests/?kind=consultation&status=open&department={dept.pk}").content.decode()
    assert '<option value="consultation" selected>' in html
    assert '<option value="open" selected>' in html
    assert f'<option value="{dept.pk}" selected>' in html
    assert html.count(" selected>") == 3
    assert "公交数据怎么下载" in html
    plain = client.get("/requests/").content.decode()
    assert " selected>" not in plain


def test_identifiers_typed_into_public_text_are_published_masked(client, login, personas, make_dataset):
    """X5: a phone number in a request or comment never reaches the public page, list or JSON; the department
    handling the work order reads it as written."""
    from kaifang.interaction.services import comment_moderate, comment_submit, public_request_submit

    req = public_request_submit(
        actor=personas["citizen"],
        kind="consultation",
        title="请回电13912345678",
        body="我的手机13912345678，邮箱wang@example.com",
    )
    for url in (f"/requests/{req.pk}/", "/requests/", f"/api/v1/requests/{req.pk}", "/api/v1/requests"):
        body = client.get(url).content.decode()
        assert "13912345678" not in body and "wang@example.com" not in body, url
    assert "139****5678" in client.get(f"/requests/{req.pk}/").content.decode()
    assert "13912345678" in req.work_order.body
    ds = make_dataset("published", title="公交站点")
    comment = comment_submit(actor=personas["citizen"], dataset=ds, text="数据有误，请联系13912345678")
    comment_moderate(actor=personas["officer"], comment=comment, decision="publish")
    from kaifang.catalog.codes import slug_for_code

    slug = slug_for_code(ds.code)
    page = client.get(f"/datasets/{slug}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page


def test_text_no_database_accepts_is_refused_as_a_bad_filter(client, login, personas):
    """A domain that is no vocabulary code (odd characters; a NUL byte, which PostgreSQL refuses in any query
    and which a JSON body or a multipart form can still carry) is no filter, never a server error. A NUL in a
    query parameter is refused before any view (tests/test_nul_parameters.py)."""
    assert client.get("/requests/?domain=%C2%96x%27%3B&kind=%F0%9F%98%80").status_code == 200
    assert client.get("/api/v1/requests?domain=" + "x" * 40).status_code == 200
    c = login(personas["citizen"])
    r = c.post(
        "/api/v1/requests",
        {"kind": "consultation", "title": "标题", "body": "内容", "domain": "tr\x00ansport"},
        content_type="application/json",
    )
    assert r.status_code == 422
    r = c.post("/requests/new/", {"kind": "consultation", "title": "标题", "body": "内容", "domain": "x\x00"})
    assert r.status_code in (200, 302)
