"""The workbench (工作台) for every role and the applicant's page (/me/): real queues, oldest first, scoped to
the actor's roles; every page has a JSON twin; anonymous callers are sent to log in, others see 404."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kaifang.core import clock
from kaifang.portal.workbench import QUEUES

pytestmark = pytest.mark.django_db

CSV = "编号,名称\n1,甲\n2,乙\n"
FIELDS = [{"name": "编号", "data_type": "N", "length": 8}, {"name": "名称", "data_type": "C", "length": 16}]
APPLICATION = {
    "purpose": "授信评估",
    "scenario": "小微企业贷款",
    "security_measures": "专人专机",
    "period_start": "2026-01-01",
    "period_end": "2027-12-31",
    "accept_agreement": True,
}


def queue_url(name: str) -> str:
    prefix = "me" if QUEUES[name].section == "me" else "staff"
    return f"/{prefix}/queues/{name.replace('_', '-')}/"


STAFF_PAGES = ["/staff/", "/staff/audit/", "/staff/audit/timeline/?user=officer"] + [
    queue_url(n) for n, s in QUEUES.items() if s.section != "me"
]
ME_PAGES = ["/me/"] + [queue_url(n) for n, s in QUEUES.items() if s.section == "me"]
TWINS = [
    "/api/v1/workbench",
    "/api/v1/workbench/queue?name=officer_applications",
    "/api/v1/workbench/audit",
    "/api/v1/workbench/audit/timeline?user=officer",
    "/api/v1/me/overview",
]


def days_ago(n: int) -> datetime.datetime:
    return clock.now() - datetime.timedelta(days=n)


@pytest.fixture
def agreement(db):
    from kaifang.access.models import AgreementTemplate

    return AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )[0]


@pytest.fixture
def apply(personas, agreement):
    from kaifang.access import services as access

    def make(dataset, applicant="enterprise", age=0):
        user = personas[applicant] if isinstance(applicant, str) else applicant
        app = access.access_application_submit(actor=user, dataset=dataset, data=APPLICATION)
        if age:
            type(app).objects.filter(pk=app.pk).update(
                created_at=days_ago(age), deadline=timezone.localdate() + datetime.timedelta(days=15 - age)
            )
            app.refresh_from_db()
        return app

    return make


@pytest.fixture
def work_order(departments, regions, personas):
    from kaifang.operations.models import WorkOrder

    def make(title, department="transport", deadline_in=5, requester="citizen", state="open", age=3):
        dept = departments[department] if department else None
        return WorkOrder.objects.create(
            kind="data_request",
            title=title,
            body="请开放",
            requester=personas[requester] if requester else None,
            department=dept,
            region=dept.region if dept else regions["city"],
            deadline=clock.today() + datetime.timedelta(days=deadline_in),
            state=state,
            created_at=days_ago(age),
        )

    return make


def applicant_user(name):
    from kaifang.accounts.models import User

    return User.objects.create_user(username=name, password="x-long-pass-2026", kind="enterprise")


def ingest(dataset, officer, tmp_path, name="v2.csv"):
    from kaifang.tabular.services import table_ingest

    path = tmp_path / f"{dataset.pk}-{name}"
    path.write_text(CSV + "3,丙\n", encoding="utf-8")
    return table_ingest(actor=officer, dataset=dataset, path=path, filename=name)


def section_names(client) -> list[str]:
    return [s["name"] for s in client.get("/api/v1/workbench").json()["sections"]]


def queue_json(client, name):
    r = client.get(f"/api/v1/workbench/queue?name={name}")
    assert r.status_code == 200, r.content
    return r.json()


# ---------------------------------------------------------------- who reaches what


@pytest.mark.parametrize("url", STAFF_PAGES + ME_PAGES + ["/workbench/"])
def test_anonymous_is_sent_to_log_in(client, url):
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", TWINS)
def test_anonymous_twin_is_401(client, url):
    r = client.get(url)
    assert r.status_code == 401 and r.json()["error"]["code"]


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_citizen_has_no_workbench(client, login, personas, url):
    login(personas["citizen"])
    assert client.get(url).status_code == 404


def test_login_redirect_setting_names_the_landing_view(settings):
    from django.shortcuts import resolve_url

    assert resolve_url(settings.LOGIN_REDIRECT_URL) == "/workbench/"


def test_citizen_lands_on_me(client, login, personas):
    login(personas["citizen"])
    assert client.get("/workbench/")["Location"] == "/me/"
    assert client.get("/api/v1/workbench").status_code == 404
    assert client.get("/api/v1/workbench/queue?name=officer_applications").status_code == 404
    for url in ME_PAGES:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/me/overview").json()["has_workbench"] is False


@pytest.mark.parametrize(
    "persona,sections",
    [
        ("officer", ["officer"]),
        ("reviewer", ["reviewer"]),
        ("county_admin", ["reviewer", "county"]),
        ("operator", ["operator"]),
        ("auditor", ["auditor"]),
        ("evaluator", ["evaluator"]),
    ],
)
def test_each_role_sees_its_sections(client, login, personas, persona, sections):
    login(personas[persona])
    assert client.get("/workbench/")["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    body = page.content.decode()
    for name in ("officer", "reviewer", "county", "operator", "auditor", "evaluator"):
        assert (f'data-testid="section-{name}"' in body) == (name in sections), name
    assert section_names(client) == sections
    for name, spec in QUEUES.items():
        if spec.section == "me":
            continue
        expected = 200 if spec.section in sections else 404
        assert client.get(queue_url(name)).status_code == expected, name
        assert client.get(f"/api/v1/workbench/queue?name={name}").status_code == expected, name
    audit = 200 if "auditor" in sections else 404
    assert client.get("/staff/audit/").status_code == audit
    assert client.get("/api/v1/workbench/audit").status_code == audit


def test_several_roles_see_each_section(client, login, personas, departments, regions):
    from kaifang.accounts.models import RoleAssignment

    user = personas["officer"]
    RoleAssignment.objects.create(user=user, role="auditor")
    RoleAssignment.objects.create(user=user, role="county_admin", region=regions["jiayu"])
    login(user)
    assert section_names(client) == ["officer", "reviewer", "county", "auditor"]


def test_missing_queue_and_timeline(client, login, personas):
    login(personas["auditor"])
    assert client.get("/staff/queues/nothing/").status_code == 404
    assert client.get("/api/v1/workbench/queue?name=nothing").status_code == 404
    assert client.get("/staff/audit/timeline/").status_code == 404
    assert client.get("/api/v1/workbench/audit/timeline").status_code == 404
    assert client.get("/api/v1/workbench/queue?name=officer_applications&page=99999").status_code == 404


# ---------------------------------------------------------------- officer


def test_officer_queues_are_scoped_and_oldest_first(
    client, login, personas, make_dataset, make_table, apply, work_order, tmp_path
):
    from kaifang.access import services as access
    from kaifang.catalog.models import Dataset
    from kaifang.interaction.models import Comment

    mine = make_table(
        CSV, FIELDS, title="本部门有条件表", open_attribute="conditional", open_condition="签协议"
    )
    theirs = make_dataset(
        "published",
        department="education",
        officer="other_officer",
        title="他部门有条件表",
        open_attribute="conditional",
        open_condition="签协议",
    )
    newer = apply(mine, age=1)
    older = apply(mine, applicant="citizen", age=5)
    apply(theirs)
    asked = apply(mine, applicant=applicant_user("third"), age=3)
    access.access_application_request_info(
        actor=personas["officer"], application=asked, question="请补充营业执照"
    )
    answered = access.access_application_answer(actor=asked.applicant, application=asked, answer="已上传")

    work_order("较晚到期", deadline_in=9)
    work_order("逾期工单", deadline_in=-2)
    work_order("他部门工单", department="education")
    work_order("已答复工单", state="answered")

    ingest(mine, personas["officer"], tmp_path)
    other_table = make_dataset(
        "published", department="education", officer="other_officer", title="他部门表", fields=FIELDS
    )
    ingest(other_table, personas["other_officer"], tmp_path)

    make_dataset("returned", title="被退回条目")
    make_dataset("returned", department="education", officer="other_officer", title="他部门退回")
    make_dataset("draft", title="本部门草稿")

    stale = make_dataset("published", title="月更超期", update_frequency="monthly")
    fresh = make_dataset("published", title="月更未超期", update_frequency="monthly")
    older_stale = make_dataset("published", title="年更超期", update_frequency="annual")
    other_stale = make_dataset(
        "published",
        department="education",
        officer="other_officer",
        title="他部门超期",
        update_frequency="daily",
    )
    today = clock.today()
    Dataset.objects.filter(pk=stale.pk).update(publish_date=today - datetime.timedelta(days=40))
    Dataset.objects.filter(pk=fresh.pk).update(publish_date=today - datetime.timedelta(days=10))
    Dataset.objects.filter(pk=older_stale.pk).update(publish_date=today - datetime.timedelta(days=400))
    Dataset.objects.filter(pk=other_stale.pk).update(publish_date=today - datetime.timedelta(days=40))

    Comment.objects.create(dataset=mine, author=personas["citizen"], text="较新的评论", state="published")
    Comment.objects.create(
        dataset=mine, author=personas["citizen"], text="较早的评论", state="published", created_at=days_ago(4)
    )
    Comment.objects.create(
        dataset=mine, author=personas["citizen"], text="已回复", state="published", reply="谢谢"
    )
    Comment.objects.create(dataset=theirs, author=personas["citizen"], text="他部门评论", state="published")
    Comment.objects.create(dataset=mine, author=personas["citizen"], text="待审核评论")

    login(personas["officer"])
    apps = queue_json(client, "officer_applications")
    assert [r["ref"] for r in apps["rows"]] == [f"#{older.pk}", f"#{answered.pk}", f"#{newer.pk}"]
    assert apps["rows"][1]["state"] == "已补充材料"
    assert all(r["deadline"] for r in apps["rows"])

    orders = queue_json(client, "officer_work_orders")
    assert [r["title"] for r in orders["rows"]] == ["逾期工单", "较晚到期"]
    assert orders["rows"][0]["overdue"] and orders["rows"][0]["days_left"] < 0
    assert not orders["rows"][1]["overdue"]

    versions = queue_json(client, "officer_versions")
    assert [r["title"] for r in versions["rows"]] == ["本部门有条件表 · v2"]
    assert [r["title"] for r in queue_json(client, "officer_returned")["rows"]] == ["被退回条目"]
    assert "本部门草稿" in [r["title"] for r in queue_json(client, "officer_drafts")["rows"]]
    overdue = queue_json(client, "officer_overdue_datasets")
    assert [r["title"] for r in overdue["rows"]] == ["年更超期", "月更超期"]
    assert all(r["overdue"] for r in overdue["rows"])
    assert [r["title"] for r in queue_json(client, "officer_comments")["rows"]] == [
        "较早的评论",
        "较新的评论",
    ]
    assert [r["title"] for r in queue_json(client, "officer_pending_comments")["rows"]] == ["待审核评论"]

    body = client.get("/staff/").content.decode()
    for hidden in ("他部门有条件表", "他部门工单", "他部门表", "他部门退回", "他部门超期", "他部门评论"):
        assert hidden not in body, hidden
    for shown in ("逾期工单", "本部门有条件表 · v2", "被退回条目", "月更超期", "较早的评论", "已补充材料"):
        assert shown in body, shown
    assert body.index("逾期工单") < body.index("较晚到期")
    full = client.get(queue_url("officer_work_orders")).content.decode()
    assert "逾期工单" in full and "他部门工单" not in full

    # The other department's officer sees its own items and none of the first's.
    login(personas["other_officer"])
    body = client.get("/staff/").content.decode()
    assert (
        "他部门工单" in body and "他部门评论" in body and "逾期工单" not in body and "较早的评论" not in body
    )


def test_queue_is_bounded_with_total_and_full_list(client, login, personas, work_order):
    from kaifang.portal.workbench import HEAD

    for i in range(23):
        work_order(f"工单{i:02d}", deadline_in=i)
    login(personas["officer"])
    head = next(q for q in client.get("/api/v1/workbench").json()["sections"][0]["queues"])
    orders = next(
        q
        for q in client.get("/api/v1/workbench").json()["sections"][0]["queues"]
        if q["name"] == "officer_work_orders"
    )
    assert head["name"] == "officer_applications"
    assert orders["total"] == 23 and len(orders["rows"]) == HEAD
    assert orders["full_list"] == "/staff/queues/officer-work-orders/"
    body = client.get("/staff/").content.decode()
    assert "/staff/queues/officer-work-orders/" in body
    assert f"工单{HEAD - 1:02d}" in body and f"工单{HEAD:02d}" not in body
    page2 = client.get("/api/v1/workbench/queue?name=officer_work_orders&page=1").json()
    assert len(page2["rows"]) == 23 and page2["num_pages"] == 1
    assert "工单22" in client.get("/staff/queues/officer-work-orders/").content.decode()


def test_officer_workbench_queries_are_bounded(
    client, login, personas, make_dataset, apply, work_order, django_assert_max_num_queries
):
    from kaifang.interaction.models import Comment

    ds = make_dataset("published", title="有条件", open_attribute="conditional", open_condition="签协议")
    for i in range(8):
        apply(ds, applicant=applicant_user(f"applicant{i}"))
        work_order(f"工单{i}", deadline_in=i - 3)
        make_dataset("returned", title=f"退回{i}")
        Comment.objects.create(dataset=ds, author=personas["citizen"], text=f"评论{i}", state="published")
    login(personas["officer"])
    client.get("/staff/")  # warm the per-process caches (catalog generation, vocabularies)
    with django_assert_max_num_queries(25):
        assert client.get("/staff/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get("/api/v1/workbench").status_code == 200


# ---------------------------------------------------------------- reviewer and county administrator


def test_reviewer_queues(client, login, personas, make_dataset, make_table, tmp_path):
    from kaifang.catalog.models import DuplicateFlag

    first = make_dataset("submitted", title="最早提交")
    second = make_dataset("submitted", title="随后提交")
    type(first).objects.filter(pk=first.pk).update(updated_at=days_ago(3))
    table = make_table(CSV, FIELDS, title="有新版本的表")
    ingest(table, personas["officer"], tmp_path)
    DuplicateFlag.objects.create(dataset=second, other=table, item_key="线路编号")

    login(personas["reviewer"])
    entries = queue_json(client, "review_entries")
    assert [r["title"] for r in entries["rows"]] == ["最早提交", "随后提交"]
    assert [r["title"] for r in queue_json(client, "review_versions")["rows"]] == ["有新版本的表 · v2"]
    assert [r["title"] for r in queue_json(client, "review_duplicates")["rows"]] == ["线路编号"]
    assert "最早提交" in client.get("/staff/").content.decode()


def test_county_admin_sees_only_its_county(
    client, login, personas, make_dataset, departments, regions, work_order
):
    from kaifang.accounts.models import RoleAssignment

    RoleAssignment.objects.create(
        user=personas["other_officer"], role="officer", department=departments["jiayu_edu"]
    )
    make_dataset("submitted", department="xianan_edu", officer="county_officer", title="咸安待审")
    make_dataset("submitted", department="jiayu_edu", officer="other_officer", title="嘉鱼待审")
    make_dataset("submitted", title="市直待审")
    work_order("咸安逾期", department="xianan_edu", deadline_in=-3)
    work_order("咸安未逾期", department="xianan_edu", deadline_in=3)
    work_order("嘉鱼逾期", department="jiayu_edu", deadline_in=-3)

    login(personas["county_admin"])
    assert [r["title"] for r in queue_json(client, "review_entries")["rows"]] == ["咸安待审"]
    assert [r["title"] for r in queue_json(client, "county_overdue_work_orders")["rows"]] == ["咸安逾期"]
    body = client.get("/staff/").content.decode()
    assert "咸安待审" in body and "咸安逾期" in body and "咸安区" in body
    for hidden in ("嘉鱼待审", "市直待审", "嘉鱼逾期", "咸安未逾期"):
        assert hidden not in body, hidden


# ---------------------------------------------------------------- operator


def _task(status, finished, name="kaifang.tabular.tasks.ingest_upload"):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path=name,
        queue_name="default",
        backend_name="default",
        run_after=clock.now(),
        finished_at=finished,
        exception_class_path="builtins.ValueError" if status == "FAILED" else "",
        traceback="",
    )


def test_operator_health(client, login, personas, work_order, django_assert_max_num_queries):
    from kaifang.core.models import PeriodicJob
    from kaifang.notifications.models import MailMessage

    _task("FAILED", days_ago(2), "kaifang.x.tasks.older_failure")
    _task("FAILED", days_ago(1), "kaifang.x.tasks.newer_failure")
    _task("FAILED", days_ago(30), "kaifang.x.tasks.ancient_failure")
    for _ in range(3):
        _task("READY", None)
    PeriodicJob.objects.create(name="quality_check", due_at=days_ago(1), last_error="boom: disk full")
    PeriodicJob.objects.create(name="openness_index", due_at=clock.now() + datetime.timedelta(hours=1))
    MailMessage.objects.create(to="a@example.cn", subject="s", body="b", state="pending")
    MailMessage.objects.create(to="b@example.cn", subject="s", body="b", state="failed")
    for i in range(4):
        work_order(f"交通逾期{i}", deadline_in=-1 - i)
    work_order("教育逾期", department="education", deadline_in=-1)
    work_order("受理台逾期", department=None, deadline_in=-1)

    login(personas["operator"])
    client.get("/staff/")
    with django_assert_max_num_queries(15):
        page = client.get("/staff/")
    body = page.content.decode()
    assert "boom: disk full" in body and "quality_check" in body and "未按时运行" in body
    section = client.get("/api/v1/workbench").json()["sections"][0]
    health = section["health"]
    assert health["tasks"]["failed"] == 3 and health["tasks"]["ready"] == 3
    assert health["tasks"]["oldest_ready_minutes"] is not None
    assert health["mail"] == {"pending": 1, "failed": 1, "sent": 0}
    assert [j["name"] for j in health["jobs"]] == ["openness_index", "quality_check"]
    failed = queue_json(client, "operator_failed_tasks")
    assert [r["title"] for r in failed["rows"]] == ["older_failure", "newer_failure"]
    by_dept = queue_json(client, "operator_overdue_by_department")
    assert by_dept["rows"][0]["title"] == "咸宁市交通运输局" and "4" in by_dept["rows"][0]["state"]
    assert {r["title"] for r in by_dept["rows"]} == {"咸宁市交通运输局", "咸宁市教育局", "大数据局受理台"}


# ---------------------------------------------------------------- auditor


def test_auditor_search_and_timelines(client, login, personas, make_dataset):
    from kaifang.access.models import CallLog
    from kaifang.accounts.models import ApiKey

    ds = make_dataset("published", title="被审计的数据")
    make_dataset("draft", title="别的数据", officer="officer")
    key = ApiKey.objects.create(user=personas["enterprise"], prefix="abcd1234", digest="x", scopes=["read"])
    for i, (user, prefix) in enumerate([(personas["enterprise"], "abcd1234"), (personas["citizen"], "")]):
        CallLog.objects.create(
            at=days_ago(i),
            user=user,
            key_prefix=prefix,
            dataset_code=ds.code,
            endpoint="rows",
            method="GET",
            status=200,
            latency_ms=3.0,
        )
    from kaifang.core.audit import audit_record

    audit_record(actor=personas["operator"], action="api_key_revoke", target=key, reason="测试吊销")

    login(personas["auditor"])
    events = client.get("/api/v1/workbench/audit?user=officer").json()
    assert events["count"] >= 2 and all(e["user"] == "officer" for e in events["results"])
    actions = client.get("/api/v1/workbench/audit?action=dataset_publish").json()
    assert actions["count"] == 1 and actions["results"][0]["user"] == "reviewer"
    by_dataset = client.get(f"/api/v1/workbench/audit?dataset={ds.code}").json()
    assert {e["action"] for e in by_dataset["results"]} >= {"dataset_register", "dataset_publish"}
    assert all(e["target"].endswith(ds.code) for e in by_dataset["results"])
    by_key = client.get("/api/v1/workbench/audit?key_prefix=abcd1234").json()
    assert [e["action"] for e in by_key["results"]] == ["api_key_revoke"]
    calls = client.get("/api/v1/workbench/audit?tab=calls&key_prefix=abcd1234").json()
    assert calls["count"] == 1 and calls["results"][0]["user"] == "enterprise"
    tomorrow = (clock.today() + datetime.timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/workbench/audit?from={tomorrow}").json()["count"] == 0
    bad = client.get("/api/v1/workbench/audit?from=yesterday").json()
    assert bad["invalid"] == ["from"] and bad["count"] > 0

    page = client.get("/staff/audit/?user=officer").content.decode()
    assert "dataset_register" in page and "/staff/audit/timeline/?user=officer" in page
    assert "abcd1234" in client.get("/staff/audit/?tab=calls").content.decode()

    timeline = client.get(f"/api/v1/workbench/audit/timeline?dataset={ds.code}").json()
    sources = [i["source"] for i in timeline["items"]]
    assert "audit" in sources and "call" in sources
    times = [i["at"] for i in timeline["items"]]
    assert times == sorted(times, reverse=True)
    assert timeline["total"] == len(timeline["items"])
    user_line = client.get("/api/v1/workbench/audit/timeline?user=enterprise").json()
    assert [i["source"] for i in user_line["items"]].count("call") == 1
    html = client.get(f"/staff/audit/timeline/?dataset={ds.code}").content.decode()
    assert "dataset_publish" in html and "rows" in html


@pytest.mark.parametrize("persona", ["officer", "reviewer", "operator", "evaluator", "citizen"])
def test_only_the_auditor_reads_the_audit_trail(client, login, personas, persona):
    login(personas[persona])
    assert client.get("/staff/audit/?user=officer").status_code == 404
    assert client.get("/staff/audit/timeline/?user=officer").status_code == 404
    assert client.get("/api/v1/workbench/audit?user=officer").status_code == 404
    assert client.get("/api/v1/workbench/audit/timeline?user=officer").status_code == 404


# ---------------------------------------------------------------- evaluator


def test_evaluator_reads_indicators_only(client, login, personas, make_dataset, work_order):
    make_dataset("published", title="开放数据")
    make_dataset("draft", title="草稿不该出现")
    work_order("逾期", deadline_in=-2)
    login(personas["evaluator"])
    body = client.get("/staff/").content.decode()
    assert 'data-testid="read-only"' in body and "编目率" in body and "草稿不该出现" not in body
    assert "新登记" not in body and "<form" not in body.split('data-testid="section-evaluator"')[1]
    section = client.get("/api/v1/workbench").json()["sections"][0]
    assert section["read_only"] is True and section["queues"] == []
    indicators = section["indicators"]
    assert indicators["stats"]["open_datasets"] == 1
    assert any(d["code"] == "transport" and d["open_datasets"] == 1 for d in indicators["domains"])
    assert indicators["overdue_work_orders_by_region"][0]["count"] == 1
    for url in ("/staff/review/", "/staff/datasets/new/", "/staff/import/"):
        assert client.get(url).status_code == 404, url


# ---------------------------------------------------------------- the applicant's one place


def test_me_gathers_the_applicants_items(
    client, login, personas, make_dataset, make_grant, apply, work_order
):
    from kaifang.access import services as access
    from kaifang.interaction.models import Follow

    ds = make_dataset("published", title="有条件数据", open_attribute="conditional", open_condition="签协议")
    other = make_dataset(
        "published", title="另一有条件数据", open_attribute="conditional", open_condition="签协议"
    )
    make_grant(ds)
    asked = apply(other)
    access.access_application_request_info(
        actor=personas["officer"], application=asked, question="请补充用途说明"
    )
    apply(other, applicant="citizen")
    work_order("我的数据需求", requester="enterprise", department="education", age=5)
    work_order("我已获答复", requester="enterprise", state="answered", age=2)
    work_order("别人的需求", requester="citizen")
    work_order("我已办结", requester="enterprise", state="closed")
    Follow.objects.create(user=personas["enterprise"], dataset=other)
    Follow.objects.create(user=personas["citizen"], dataset=ds)

    login(personas["enterprise"])
    body = client.get("/me/").content.decode()
    assert "请补充材料：请补充用途说明" in body
    assert "有条件数据" in body and "有效" in body
    assert "我的数据需求" in body and "我已获答复" in body
    assert "别人的需求" not in body and "我已办结" not in body
    overview = {q["name"]: q for q in client.get("/api/v1/me/overview").json()["queues"]}
    assert [r["title"] for r in overview["my_applications"]["rows"]] == ["另一有条件数据"]
    assert overview["my_grants"]["rows"][0]["deadline"]
    assert [r["title"] for r in overview["my_work_orders"]["rows"]] == ["我的数据需求", "我已获答复"]
    assert [r["title"] for r in overview["my_follows"]["rows"]] == ["另一有条件数据"]
    full = client.get(queue_url("my_work_orders")).content.decode()
    assert "我的数据需求" in full and "别人的需求" not in full
    assert client.get("/api/v1/workbench/queue?name=my_follows").json()["total"] == 1

    login(personas["citizen"])
    overview = {q["name"]: q for q in client.get("/api/v1/me/overview").json()["queues"]}
    assert [r["title"] for r in overview["my_work_orders"]["rows"]] == ["别人的需求"]
    assert overview["my_grants"]["total"] == 0
    assert [r["title"] for r in overview["my_follows"]["rows"]] == ["有条件数据"]


def test_staff_also_have_me(client, login, personas):
    login(personas["officer"])
    body = client.get("/me/").content.decode()
    assert "/staff/" in body
    assert client.get("/api/v1/me/overview").json()["has_workbench"] is True


def test_bad_input_is_refused_or_clamped(client, login, personas):
    login(personas["auditor"])
    for url in (
        "/api/v1/workbench/audit?page=-5",
        "/api/v1/workbench/audit?page=999999999999",
        "/api/v1/workbench/audit?from=2026-13-45&to=%3Cscript%3E",
        "/api/v1/workbench/audit/timeline?user=%3Cscript%3E&page=0",
        "/staff/audit/?page=abc&user=" + "x" * 5000,
        "/staff/audit/timeline/?dataset=%3Cscript%3Ealert(1)%3C/script%3E",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert b"<script>alert" not in r.content
    assert client.get("/api/v1/workbench/audit?page=99999999999999999999999").status_code == 422
    assert client.get("/api/v1/workbench/audit?key=abc").status_code == 400  # keys never in a query string


@pytest.mark.django_db
@pytest.mark.parametrize("n", [0, 1, 4, 5, 6, 11, 12])
def test_bounded_queue_counts_around_the_head_size(n):
    """The head is read with one row more than it shows; the total must match a plain count at every size
    and offset around that boundary."""
    from kaifang.core.models import AuditEvent
    from kaifang.portal.workbench import _bounded

    for i in range(n):
        AuditEvent.objects.create(action="t", target_type="t", target_id=str(i))
    qs = AuditEvent.objects.filter(action="t").order_by("id")
    ids = list(qs.values_list("id", flat=True))
    for offset in (0, 3, 5, 6, 10, 15):
        queue = _bounded("q", qs, lambda e: e.pk, 5, offset)
        assert queue.total == n
        assert queue.rows == ids[offset : offset + 5]
