"""Work-order pages and their JSON twins through real URLs, with every persona: anonymous, forbidden,
missing, valid."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaifang.core import clock
from kaifang.core.testing import PERSONA_NAMES
from kaifang.notifications.models import Notification
from kaifang.operations import services, tasks
from kaifang.operations.tests.conftest import moment

pytestmark = pytest.mark.django_db

# Who sees an order filed by the citizen and routed to the city transport bureau.
SEES = {"citizen", "officer", "reviewer", "operator", "auditor"}
# Who may act on it, per action, given the state the action needs.
MAY = {
    "answer": {"officer"},
    "transfer": {"officer", "reviewer", "operator"},
    "withdraw": {"citizen"},
    "reopen": {"citizen"},
    "close": {"citizen"},
    "rate": {"citizen"},
}
BODIES = {
    "answer": {"answer": "每月5日更新。"},
    "transfer": {"department": None, "reason": "属教育数据"},
    "withdraw": {"reason": "不需要了"},
    "reopen": {"reason": "没有回答"},
    "close": {},
    "rate": {"rating": 5, "comment": "满意"},
}


@pytest.fixture
def order(personas, departments, open_order):
    return open_order(department=departments["transport"])


def _in_state(order, personas, action):
    if action in ("reopen", "close", "rate"):
        services.work_order_answer(actor=personas["officer"], work_order=order, answer="答复")
    if action == "rate":
        services.work_order_close(actor=personas["citizen"], work_order=order)
    return order


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


# Reading


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_detail_page_and_api(client, login, personas, order, persona):
    login(personas[persona])
    page = client.get(f"/workorders/{order.pk}/")
    api = client.get(f"/api/v1/workorders/{order.pk}")
    if persona == "anonymous":
        assert page.status_code == 302 and "/login" in page["Location"]
        assert api.status_code == 401
        return
    expected = 200 if persona in SEES else 404
    assert page.status_code == expected
    assert api.status_code == expected
    if expected == 200:
        assert order.title in page.content.decode()
        data = api.json()
        assert data["code"] == order.code and data["department"]["name"] == "咸宁市交通运输局"
        assert [s["action"]["code"] for s in data["steps"]] == ["opened", "routed"]
    else:
        assert api.json()["error"]["code"] == "not_found"


def test_missing_order(client, login, personas):
    login(personas["reviewer"])
    assert client.get("/workorders/999999/").status_code == 404
    assert client.get("/api/v1/workorders/999999").status_code == 404
    assert client.get("/api/v1/workorders/99999999999999999999").status_code == 422
    assert post(client, "/api/v1/workorders/999999/answer", {"answer": "x"}).status_code == 404


def test_queue_page_lists_the_actors_work_oldest_deadline_first(
    client, login, personas, departments, open_order
):
    late = open_order(department=departments["transport"], kind="data_request", title="十日工单")
    soon = open_order(department=departments["transport"], kind="error_report", title="五日工单")
    other = open_order(department=departments["education"], title="教育工单")
    login(personas["officer"])
    body = client.get("/workorders/").content.decode()
    assert body.index("五日工单") < body.index("十日工单") and "教育工单" not in body
    data = client.get("/api/v1/workorders?queue=true").json()
    assert [r["id"] for r in data["results"]] == [soon.pk, late.pk] and data["count"] == 2
    assert client.get("/api/v1/workorders?kind=data_request").json()["count"] == 1
    assert "十日工单" not in client.get("/workorders/?scope=all&kind=error_report").content.decode()
    login(personas["reviewer"])
    assert client.get("/api/v1/workorders").json()["count"] == 3
    assert client.get("/api/v1/workorders?queue=true").json()["count"] == 0
    login(personas["citizen"])  # the requester sees their own, whatever scope is asked for
    body = client.get("/workorders/?scope=all").content.decode()
    assert "十日工单" in body and "教育工单" in body
    login(personas["enterprise"])
    assert client.get("/workorders/").status_code == 200
    assert client.get("/api/v1/workorders").json()["count"] == 0
    assert other.pk


def test_queue_shows_working_days_left_and_overdue(client, login, personas, departments, open_order):
    open_order(department=departments["transport"], title="到期工单", when=moment(2026, 11, 9))
    login(personas["officer"])
    with clock.at(moment(2026, 11, 12)):
        assert "剩余 2 个工作日" in client.get("/workorders/").content.decode()
    with clock.at(moment(2026, 11, 18)):
        tasks.escalate_overdue()
        body = client.get("/workorders/?overdue=1").content.decode()
        assert "已超期 2 个工作日" in body and "督办" in body
        data = client.get("/api/v1/workorders?overdue=true").json()["results"][0]
        assert data["overdue"] and data["working_days_overdue"] == 2 and data["escalated"]


def test_queue_page_anonymous(client):
    assert client.get("/workorders/").status_code == 302
    assert client.get("/api/v1/workorders").status_code == 401


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_overdue_page_and_api(client, login, personas, departments, open_order, persona):
    open_order(department=departments["transport"], when=moment(2026, 11, 2))
    login(personas[persona])
    with clock.at(moment(2026, 11, 20)):
        page = client.get("/workorders/overdue/")
        api = client.get("/api/v1/workorders/overdue")
    if persona == "anonymous":
        assert page.status_code == 302 and api.status_code == 401
        return
    if persona in ("citizen", "enterprise"):
        assert page.status_code == 404 and api.status_code == 404
        return
    assert page.status_code == 200 and api.status_code == 200
    counted = {"officer", "reviewer", "operator", "auditor", "evaluator"}
    rows = api.json()["by_department"]
    assert (rows[0]["count"] if rows else 0) == (1 if persona in counted else 0), persona
    if persona in counted:
        assert "咸宁市交通运输局" in page.content.decode()
        assert api.json()["by_region"][0]["region"] == "咸宁市"


# Acting


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("action", sorted(MAY))
def test_action_endpoints(client, login, personas, departments, order, action, persona):
    _in_state(order, personas, action)
    body = dict(BODIES[action])
    if action == "transfer":
        body["department"] = departments["education"].pk
    login(personas[persona])
    r = post(client, f"/api/v1/workorders/{order.pk}/{action}", body)
    if persona == "anonymous":
        assert r.status_code == 401
    elif persona in MAY[action]:
        assert r.status_code == 200, r.content
    elif persona in SEES:
        assert r.status_code == 403, r.content
    else:
        assert r.status_code == 404, r.content
    if r.status_code != 200:
        assert r.json()["error"]["code"]


def test_api_flow_answer_reopen_close_rate(client, login, personas, departments, make_dataset, order):
    ds = make_dataset("published")
    login(personas["officer"])
    r = post(client, f"/api/v1/workorders/{order.pk}/answer", {"answer": "请见数据资源", "dataset": ds.code})
    assert r.status_code == 200 and r.json()["answer_dataset"]["code"] == ds.code
    again = post(client, f"/api/v1/workorders/{order.pk}/answer", {"answer": "请见数据资源"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    login(personas["citizen"])
    assert Notification.objects.filter(recipient=personas["citizen"], event="workorder_answered").exists()
    assert post(client, f"/api/v1/workorders/{order.pk}/reopen", {"reason": ""}).status_code == 422
    assert post(client, f"/api/v1/workorders/{order.pk}/reopen", {"reason": "还不够"}).json()["state"][
        "code"
    ] == ("open")
    login(personas["officer"])
    post(client, f"/api/v1/workorders/{order.pk}/answer", {"answer": "补充答复"})
    login(personas["citizen"])
    assert post(client, f"/api/v1/workorders/{order.pk}/close", {}).json()["state"]["code"] == "closed"
    assert post(client, f"/api/v1/workorders/{order.pk}/rate", {"rating": 9}).status_code == 422
    r = post(client, f"/api/v1/workorders/{order.pk}/rate", {"rating": 4, "comment": "好"})
    assert r.json()["rating"] == 4
    assert post(client, f"/api/v1/workorders/{order.pk}/rate", {"rating": 4}).status_code == 409


def test_api_answer_with_an_unknown_dataset_code(client, login, personas, order):
    login(personas["officer"])
    r = post(client, f"/api/v1/workorders/{order.pk}/answer", {"answer": "见", "dataset": "NOPE"})
    assert r.status_code == 422 and "dataset" in r.json()["error"]["details"]


def test_api_transfer_errors_and_summary_after_leaving(client, login, personas, departments, order):
    login(personas["officer"])
    url = f"/api/v1/workorders/{order.pk}/transfer"
    assert post(client, url, {"department": 999999, "reason": "x"}).status_code == 422
    assert post(client, url, {"department": departments["education"].pk, "reason": ""}).status_code == 422
    r = post(client, url, {"department": departments["transport"].pk, "reason": "x"})
    assert r.status_code == 409 and "同一部门" in r.json()["error"]["message"]
    r = post(client, url, {"department": departments["education"].pk, "reason": "属教育"})
    assert (
        r.status_code == 200 and r.json()["department"]["name"] == "咸宁市教育局" and "steps" not in r.json()
    )
    assert client.get(f"/api/v1/workorders/{order.pk}").status_code == 404  # now the education bureau's
    login(personas["other_officer"])
    r = post(client, url, {"department": departments["transport"].pk, "reason": "退回"})
    assert r.status_code == 409 and "不能再转回" in r.json()["error"]["message"]
    r = post(client, url, {"department": None, "reason": "不清楚归属"})
    assert r.status_code == 200 and r.json()["department"] is None


def test_detail_page_actions(client, login, personas, departments, order):
    url = f"/workorders/{order.pk}/"
    login(personas["officer"])
    page = client.get(url).content.decode()
    assert 'data-testid="answer-form"' in page and 'data-testid="transfer-form"' in page
    assert client.post(url, {"action": "answer", "answer": ""}).status_code == 422
    r = client.post(url, {"action": "answer", "answer": "<b>答复</b>", "dataset": "NOPE"})
    assert r.status_code == 422 and "NOPE" in r.content.decode()
    assert client.post(url, {"action": "answer", "answer": "<b>答复</b>"}).status_code == 302
    r = client.post(url, {"action": "answer", "answer": "再答"})
    assert r.status_code == 409 and "不能答复" in r.content.decode()
    assert client.post(url, {"action": "bogus"}).status_code == 422
    page = client.get(url).content.decode()
    assert "&lt;b&gt;答复&lt;/b&gt;" in page and "answer-form" not in page
    login(personas["citizen"])
    assert "确认办结" in client.get(url).content.decode()
    assert client.post(url, {"action": "answer", "answer": "冒充"}).status_code == 403
    assert client.post(url, {"action": "close"}).status_code == 302
    assert 'data-testid="rate-form"' in client.get(url).content.decode()
    assert client.post(url, {"action": "rate", "rating": "5", "comment": "很好"}).status_code == 302
    page = client.get(url).content.decode()
    assert "5 / 5" in page and "rate-form" not in page


def test_detail_page_transfer_leaves_for_the_queue(client, login, personas, departments, order):
    url = f"/workorders/{order.pk}/"
    login(personas["officer"])
    r = client.post(url, {"action": "transfer", "department": "", "reason": "x"})
    assert r.status_code == 422 and "请选择接收部门" in r.content.decode()
    r = client.post(
        url, {"action": "transfer", "department": departments["education"].pk, "reason": "属教育"}
    )
    assert r.status_code == 302 and r["Location"] == "/workorders/"
    login(personas["other_officer"])
    assert "属教育" in client.get(url).content.decode()
    r = client.post(url, {"action": "transfer", "department": "desk", "reason": "归属不明"})
    assert r.status_code == 302
    login(personas["reviewer"])
    assert "归属不明" in client.get(url).content.decode()


def test_detail_page_withdraw_and_reopen(client, login, personas, departments, order):
    url = f"/workorders/{order.pk}/"
    login(personas["citizen"])
    assert client.post(url, {"action": "withdraw", "reason": "已解决"}).status_code == 302
    assert "已撤回" in client.get(url).content.decode()
    assert client.post(url, {"action": "withdraw"}).status_code == 409


def test_a_dataset_is_named_only_to_who_may_see_it(
    client, login, personas, departments, make_dataset, open_order
):
    from kaifang.catalog import services as catalog

    ds = make_dataset("published", title="公交专用数据")
    wo = open_order(dataset=ds, kind="error_report")
    catalog.dataset_withdraw(actor=personas["reviewer"], dataset=ds, reason="停止更新")
    login(personas["citizen"])
    assert "公交专用数据" not in client.get(f"/workorders/{wo.pk}/").content.decode()
    assert client.get(f"/api/v1/workorders/{wo.pk}").json()["dataset"] is None
    login(personas["officer"])
    assert "公交专用数据" in client.get(f"/workorders/{wo.pk}/").content.decode()


def test_admin_lists_lead_departments_and_work_orders_read_only(client, django_user_model, order):
    admin = django_user_model.objects.create_superuser("ops-admin", "ops@example.cn", "a-long-pass-2026")
    client.force_login(admin)
    for url in ("/admin/operations/domainlead/", "/admin/operations/workorder/"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/admin/operations/workorder/{order.pk}/change/").status_code == 200  # view only
    assert client.get("/admin/operations/workorder/add/").status_code == 403


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    deadlines=st.lists(st.integers(min_value=-3, max_value=3), min_size=0, max_size=45),
    number=st.sampled_from(["", "1", "2", "3", "last", "0", "x"]),
    size=st.sampled_from([1, 7, 20]),
)
def test_work_order_pages_match_a_plain_sort(personas, departments, open_order, deadlines, number, size):
    """`work_order_page` (ids in order first, then the rows) gives exactly the page a plain sort by deadline
    and id gives, around the page boundaries, with ties, for any page asked (including invalid ones)."""
    import datetime

    from django.core.paginator import Paginator

    from kaifang.operations.models import WorkOrder
    from kaifang.operations.selectors import work_order_page, work_orders_for

    WorkOrder.objects.all().delete()
    base = datetime.date(2026, 12, 1)
    for i, shift in enumerate(deadlines):
        wo = open_order(department=departments["transport"], title=f"工单{i}")
        WorkOrder.objects.filter(pk=wo.pk).update(deadline=base + datetime.timedelta(days=shift))
    reviewer = personas["reviewer"]
    qs = work_orders_for(reviewer)
    reference = sorted(WorkOrder.objects.values_list("deadline", "id"))
    expected_page = Paginator([pk for _d, pk in reference], size).get_page(number)
    page = work_order_page(qs, number, size, len(reference) if number != "x" else None)
    assert [wo.pk for wo in page.object_list] == list(expected_page.object_list)
    assert (page.number, page.paginator.num_pages) == (
        expected_page.number,
        expected_page.paginator.num_pages,
    )
