"""The work-order workflow through its services: routing, deadlines, the scheduler's jobs, transfers,
reopening, rating, withdrawal and double submission."""

import datetime

import pytest

from kaifang.catalog.models import Concept
from kaifang.core import clock
from kaifang.core.errors import Forbidden, InvalidTransition, ValidationFailed
from kaifang.core.models import AuditEvent
from kaifang.notifications.models import Notification
from kaifang.operations import services, tasks
from kaifang.operations.models import DomainLead, WorkOrder, WorkOrderStep
from kaifang.operations.selectors import overdue_by_department, overdue_by_region, queue_for
from kaifang.operations.tests.conftest import moment

pytestmark = pytest.mark.django_db
D = datetime.date


def actions(wo):
    return list(wo.steps.values_list("action", flat=True))


def inbox(user, event):
    return Notification.objects.filter(recipient=user, event=event)


# Routing


def test_a_dataset_routes_to_its_department(personas, departments, make_dataset, open_order):
    ds = make_dataset("published")
    wo = open_order(kind="error_report", dataset=ds)
    assert wo.department == departments["transport"]
    assert wo.region == departments["transport"].region
    assert actions(wo) == ["opened", "routed"]
    assert inbox(personas["officer"], "workorder_assigned").count() == 1
    assert not inbox(personas["other_officer"], "workorder_assigned").exists()
    assert not inbox(personas["reviewer"], "workorder_assigned").exists()
    assert AuditEvent.objects.filter(action="work_order_open", target_id=str(wo.pk)).exists()


def test_a_dataset_wins_over_a_department_hint(departments, make_dataset, open_order):
    ds = make_dataset("published")
    wo = open_order(dataset=ds, department=departments["education"])
    assert wo.department == departments["transport"]


def test_a_department_hint(personas, departments, open_order):
    wo = open_order(department=departments["education"])
    assert wo.department == departments["education"]
    assert inbox(personas["other_officer"], "workorder_assigned").count() == 1


def test_a_domain_routes_to_its_lead_department(personas, departments, open_order):
    domain = Concept.objects.get(scheme="domain", code="transport")
    DomainLead.objects.create(domain=domain, department=departments["xianan_edu"])
    wo = open_order(kind="data_request", domain=domain)
    assert wo.department == departments["xianan_edu"]
    assert wo.region == departments["xianan_edu"].region
    assert "牵头部门" in wo.steps.get(action="routed").text
    assert inbox(personas["county_officer"], "workorder_assigned").count() == 1


def test_nothing_known_goes_to_the_bureau_desk(personas, regions, open_order):
    domain = Concept.objects.get(scheme="domain", code="transport")  # no lead department
    wo = open_order(kind="suggestion", domain=domain)
    assert wo.department is None and wo.region == regions["city"]
    assert inbox(personas["reviewer"], "workorder_assigned").count() == 1
    assert inbox(personas["operator"], "workorder_assigned").count() == 1
    assert not inbox(personas["officer"], "workorder_assigned").exists()
    assert not inbox(personas["county_admin"], "workorder_assigned").exists()
    assert wo in queue_for(personas["reviewer"]) and wo in queue_for(personas["operator"])
    assert wo not in queue_for(personas["officer"])


def test_a_department_without_an_officer_falls_back_to_the_desk(personas, departments, regions, open_order):
    wo = open_order(department=departments["jiayu_edu"])
    assert wo.department is None and wo.region == regions["city"]
    assert "尚未配置数据管理员" in wo.steps.get(action="routed").text
    assert inbox(personas["reviewer"], "workorder_assigned").exists()


def test_an_inactive_officer_does_not_count(personas, departments, regions, open_order):
    personas["officer"].is_active = False
    personas["officer"].save()
    wo = open_order(department=departments["transport"])
    assert wo.department is None


def test_bad_input_is_refused_with_reasons(personas, make_dataset, open_order):
    with pytest.raises(ValidationFailed) as exc:
        open_order(kind="nonsense", title="", body="x" * 5001)
    assert set(exc.value.details) == {"kind", "title", "body"}
    with pytest.raises(Forbidden):
        services.work_order_open(actor=None, kind="consultation", title="t", body="b")
    hidden = make_dataset("draft")
    with pytest.raises(ValidationFailed) as exc:
        open_order(dataset=hidden)
    assert "dataset" in exc.value.details


def test_markup_is_stored_as_text(open_order):
    wo = open_order(title="<script>alert(1)</script>", body="<img src=x onerror=alert(1)>")
    assert wo.title == "<script>alert(1)</script>"


# Deadlines over the public-holiday calendar


def test_deadline_over_national_day_and_its_adjusted_saturday(open_order):
    # Opened Tuesday 29 September 2026: 30 Sep, 8 Oct, 9 Oct, Saturday 10 Oct (调休), 12 Oct.
    wo = open_order(kind="consultation", when=moment(2026, 9, 29))
    assert wo.deadline == D(2026, 10, 12)
    # Ten working days for a data request.
    wo = open_order(kind="data_request", when=moment(2026, 9, 29))
    assert wo.deadline == D(2026, 10, 19)


def test_deadline_over_the_spring_festival(open_order):
    # Spring Festival 2026: 15–23 February off; Saturday 14 February is a working day.
    wo = open_order(kind="error_report", when=moment(2026, 2, 12))
    assert wo.deadline == D(2026, 2, 26)  # 13, 14 (Sat), 24, 25, 26


# Scheduler: reminders, escalation, auto-close


def test_reminder_once_on_the_working_day_before(personas, open_order):
    wo = open_order(kind="consultation", when=moment(2026, 11, 9))  # Monday → deadline Monday 16 Nov
    assert wo.deadline == D(2026, 11, 16)
    with clock.at(moment(2026, 11, 12)):  # Thursday: two working days left
        assert tasks.send_reminders() == 0
    with clock.at(moment(2026, 11, 13)):  # Friday: the working day before
        assert tasks.send_reminders() == 1
        assert tasks.send_reminders() == 0
    wo.refresh_from_db()
    assert wo.reminded_at is not None
    assert actions(wo).count("reminded") == 1
    assert inbox(personas["reviewer"], "workorder_due").count() == 1  # the desk handles an unrouted order
    with pytest.raises(InvalidTransition):
        services.work_order_remind(work_order=wo)
    with pytest.raises(Forbidden):
        services.work_order_remind(actor=personas["reviewer"], work_order=wo)


def test_escalation_once_after_the_deadline(personas, departments, open_order):
    wo = open_order(kind="consultation", department=departments["transport"], when=moment(2026, 11, 9))
    with clock.at(moment(2026, 11, 16, 23)):  # the last day itself is on time
        assert tasks.escalate_overdue() == 0
    with clock.at(moment(2026, 11, 17)):
        assert tasks.escalate_overdue() == 1
        assert tasks.escalate_overdue() == 0
        assert overdue_by_department(personas["reviewer"]) == [
            {
                "department_id": departments["transport"].pk,
                "department": "咸宁市交通运输局",
                "region": "咸宁市",
                "count": 1,
                "escalated": 1,
            }
        ]
        assert overdue_by_region(personas["operator"])[0]["count"] == 1
        assert overdue_by_department(personas["other_officer"]) == []
        assert overdue_by_department(personas["citizen"]) == []
        assert overdue_by_department(personas["evaluator"])[0]["count"] == 1
    wo.refresh_from_db()
    assert wo.escalated_at is not None and actions(wo).count("escalated") == 1
    for who in ("officer", "reviewer", "operator"):
        assert inbox(personas[who], "workorder_overdue").count() == 1, who
    assert not inbox(personas["other_officer"], "workorder_overdue").exists()
    assert not inbox(personas["citizen"], "workorder_overdue").exists()
    # The desk watches escalated orders in its queue.
    assert wo in queue_for(personas["reviewer"])


def test_unconfirmed_answers_close_after_ten_working_days(personas, departments, open_order):
    wo = open_order(department=departments["transport"], when=moment(2026, 11, 2))
    with clock.at(moment(2026, 11, 3)):
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer="每月更新。")
    with clock.at(moment(2026, 11, 16)):  # nine working days later
        assert tasks.close_unconfirmed() == 0
    with clock.at(moment(2026, 11, 17)):
        assert tasks.close_unconfirmed() == 1
    wo.refresh_from_db()
    assert wo.state == "closed" and wo.steps.get(action="closed").actor is None
    with pytest.raises(InvalidTransition):
        with clock.at(moment(2026, 11, 17)):
            services.work_order_close(actor=None, work_order=wo)


def test_the_scheduler_does_not_close_early(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    services.work_order_answer(actor=personas["officer"], work_order=wo, answer="好")
    with pytest.raises(InvalidTransition):
        services.work_order_close(actor=None, work_order=wo)


# Answer


def test_answer_reaches_the_requester(personas, departments, make_dataset, open_order):
    answer_ds = make_dataset("published")
    wo = open_order(kind="data_request", department=departments["transport"])
    with pytest.raises(Forbidden):
        services.work_order_answer(actor=personas["other_officer"], work_order=wo, answer="x")
    with pytest.raises(ValidationFailed):
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer=" ")
    services.work_order_answer(actor=personas["officer"], work_order=wo, answer="已开放", dataset=answer_ds)
    wo.refresh_from_db()
    assert wo.state == "answered" and wo.answer_dataset == answer_ds and wo.answered_by == personas["officer"]
    note = inbox(personas["citizen"], "workorder_answered").get()
    assert note.url == f"/workorders/{wo.pk}/" and note.body == "已开放"


def test_an_answer_links_only_a_dataset_the_requester_can_see(
    personas, departments, make_dataset, open_order
):
    draft = make_dataset("draft")
    wo = open_order(kind="data_request", department=departments["transport"])
    with pytest.raises(ValidationFailed) as exc:
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer="见附", dataset=draft)
    assert "dataset" in exc.value.details


def test_double_submission_is_a_clear_refusal_without_a_second_step(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    services.work_order_answer(actor=personas["officer"], work_order=wo, answer="答复")
    with pytest.raises(InvalidTransition) as exc:
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer="答复")
    assert "不能答复" in str(exc.value.message)
    assert actions(wo).count("answered") == 1
    services.work_order_close(actor=personas["citizen"], work_order=wo)
    with pytest.raises(InvalidTransition):
        services.work_order_close(actor=personas["citizen"], work_order=wo)
    services.work_order_rate(actor=personas["citizen"], work_order=wo, rating=5, comment="")
    with pytest.raises(InvalidTransition) as exc:
        services.work_order_rate(actor=personas["citizen"], work_order=wo, rating=4, comment="")
    assert "重复评价" in str(exc.value.message)
    assert actions(wo).count("rated") == 1 and actions(wo).count("closed") == 1


# Transfer


def test_transfer_needs_a_reason_and_another_department(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    with pytest.raises(ValidationFailed):
        services.work_order_transfer(
            actor=personas["officer"], work_order=wo, department=departments["education"], reason=""
        )
    with pytest.raises(InvalidTransition) as exc:
        services.work_order_transfer(
            actor=personas["officer"], work_order=wo, department=departments["transport"], reason="不是我们"
        )
    assert "同一部门" in str(exc.value.message)
    with pytest.raises(Forbidden):
        services.work_order_transfer(
            actor=personas["other_officer"], work_order=wo, department=departments["education"], reason="x"
        )
    with pytest.raises(Forbidden):
        services.work_order_transfer(
            actor=personas["citizen"], work_order=wo, department=departments["education"], reason="x"
        )


def test_transfer_keeps_the_deadline_and_tells_the_new_department(personas, departments, open_order):
    wo = open_order(kind="data_request", department=departments["transport"], when=moment(2026, 11, 2))
    deadline = wo.deadline
    with clock.at(moment(2026, 11, 3)):
        services.work_order_transfer(
            actor=personas["officer"], work_order=wo, department=departments["education"], reason="属教育数据"
        )
    wo.refresh_from_db()
    assert wo.department == departments["education"] and wo.deadline == deadline and wo.transfer_count == 1
    step = wo.steps.get(action="transferred")
    assert step.from_department == departments["transport"] and "属教育数据" in step.text
    assert inbox(personas["other_officer"], "workorder_assigned").count() == 1
    assert wo not in queue_for(personas["officer"]) and wo in queue_for(personas["other_officer"])
    assert AuditEvent.objects.filter(action="work_order_transfer", reason="属教育数据").exists()


def test_a_transfer_on_the_last_day_gets_a_small_extension(personas, departments, open_order):
    wo = open_order(kind="consultation", department=departments["transport"], when=moment(2026, 11, 9))
    with clock.at(moment(2026, 11, 16)):  # the deadline day
        services.work_order_transfer(
            actor=personas["officer"], work_order=wo, department=departments["education"], reason="属教育"
        )
    wo.refresh_from_db()
    assert wo.deadline == D(2026, 11, 18)  # two working days for the new department
    assert "顺延" in wo.steps.get(action="transferred").text


def test_ping_pong_is_refused_but_the_desk_may_settle_it(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    services.work_order_transfer(
        actor=personas["officer"], work_order=wo, department=departments["education"], reason="属教育"
    )
    with pytest.raises(InvalidTransition) as exc:
        services.work_order_transfer(
            actor=personas["other_officer"],
            work_order=wo,
            department=departments["transport"],
            reason="属交通",
        )
    assert "不能再转回" in str(exc.value.message)
    assert actions(wo).count("transferred") == 1
    services.work_order_transfer(
        actor=personas["reviewer"], work_order=wo, department=departments["transport"], reason="经协调属交通"
    )
    wo.refresh_from_db()
    assert wo.department == departments["transport"] and wo.transfer_count == 2


def test_transfers_are_limited(personas, departments, open_order):
    from kaifang.core.testing import _user

    wo = open_order(department=departments["transport"])
    zone_officer = _user("zone_officer", roles=[{"role": "officer", "department": departments["zone_econ"]}])
    services.work_order_transfer(
        actor=personas["officer"], work_order=wo, department=departments["education"], reason="1"
    )
    services.work_order_transfer(
        actor=personas["other_officer"], work_order=wo, department=departments["xianan_edu"], reason="2"
    )
    services.work_order_transfer(
        actor=personas["county_officer"], work_order=wo, department=departments["zone_econ"], reason="3"
    )
    with pytest.raises(InvalidTransition) as exc:
        services.work_order_transfer(actor=zone_officer, work_order=wo, department=None, reason="4")
    assert "不能再转办" in str(exc.value.message)
    wo.refresh_from_db()
    assert wo.transfer_count == 3 and wo.department == departments["zone_econ"]


def test_transfer_to_a_department_without_an_officer_goes_to_the_desk(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    services.work_order_transfer(
        actor=personas["officer"], work_order=wo, department=departments["jiayu_edu"], reason="属嘉鱼"
    )
    wo.refresh_from_db()
    assert wo.department is None
    assert "尚未配置数据管理员" in wo.steps.get(action="transferred").text
    assert inbox(personas["reviewer"], "workorder_assigned").exists()


# Reopen, close, rate, withdraw


def test_reopen_by_the_requester_within_the_window(personas, departments, open_order):
    wo = open_order(department=departments["transport"], when=moment(2026, 11, 2))
    with clock.at(moment(2026, 11, 3)):
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer="答复")
    with pytest.raises(Forbidden):
        services.work_order_reopen(actor=personas["enterprise"], work_order=wo, reason="不满意")
    with clock.at(moment(2026, 11, 4)):
        with pytest.raises(ValidationFailed):
            services.work_order_reopen(actor=personas["citizen"], work_order=wo, reason="")
        services.work_order_reopen(actor=personas["citizen"], work_order=wo, reason="没有回答更新频率")
        with pytest.raises(InvalidTransition):
            services.work_order_reopen(actor=personas["citizen"], work_order=wo, reason="again")
    wo.refresh_from_db()
    assert wo.state == "open" and wo.reopen_count == 1 and wo.deadline == D(2026, 11, 11)
    assert inbox(personas["officer"], "workorder_assigned").count() == 2
    assert actions(wo).count("reopened") == 1


def test_reopen_window_and_count(personas, departments, open_order):
    wo = open_order(department=departments["transport"], when=moment(2026, 11, 2))
    for day in (3, 5):
        with clock.at(moment(2026, 11, day)):
            services.work_order_answer(actor=personas["officer"], work_order=wo, answer="答复")
            services.work_order_reopen(actor=personas["citizen"], work_order=wo, reason="仍不清楚")
    with clock.at(moment(2026, 11, 6)):
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer="答复")
        with pytest.raises(InvalidTransition) as exc:
            services.work_order_reopen(actor=personas["citizen"], work_order=wo, reason="三次")
    assert "不能再重新办理" in str(exc.value.message)

    late = open_order(department=departments["transport"], when=moment(2026, 11, 2))
    with clock.at(moment(2026, 11, 3)):
        services.work_order_answer(actor=personas["officer"], work_order=late, answer="答复")
    with clock.at(moment(2026, 11, 25)):  # 16 working days after the answer
        with pytest.raises(InvalidTransition) as exc:
            services.work_order_reopen(actor=personas["citizen"], work_order=late, reason="迟")
    assert "超过15个工作日" in str(exc.value.message)


def test_an_auto_closed_unrated_order_can_still_be_reopened(personas, departments, open_order):
    wo = open_order(department=departments["transport"], when=moment(2026, 11, 2))
    with clock.at(moment(2026, 11, 3)):
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer="答复")
    with clock.at(moment(2026, 11, 18)):
        tasks.close_unconfirmed()
        wo.refresh_from_db()
        assert wo.state == "closed"
        services.work_order_reopen(actor=personas["citizen"], work_order=wo, reason="其实没解决")
    wo.refresh_from_db()
    assert wo.state == "open" and wo.closed_at is None


def test_rate_only_when_closed_by_the_requester(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    with pytest.raises(InvalidTransition):
        services.work_order_rate(actor=personas["citizen"], work_order=wo, rating=5, comment="")
    services.work_order_answer(actor=personas["officer"], work_order=wo, answer="答复")
    with pytest.raises(Forbidden):
        services.work_order_close(actor=personas["officer"], work_order=wo)
    services.work_order_close(actor=personas["citizen"], work_order=wo)
    with pytest.raises(Forbidden):
        services.work_order_rate(actor=personas["officer"], work_order=wo, rating=5, comment="")
    for bad in (0, 6, "x", None):
        with pytest.raises(ValidationFailed):
            services.work_order_rate(actor=personas["citizen"], work_order=wo, rating=bad, comment="")
    services.work_order_rate(actor=personas["citizen"], work_order=wo, rating="4", comment="及时")
    wo.refresh_from_db()
    assert wo.rating == 4 and wo.rating_comment == "及时"
    with pytest.raises(InvalidTransition):
        services.work_order_reopen(actor=personas["citizen"], work_order=wo, reason="rated already")


def test_withdraw_while_open(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    with pytest.raises(Forbidden):
        services.work_order_withdraw(actor=personas["officer"], work_order=wo, reason="")
    services.work_order_withdraw(actor=personas["citizen"], work_order=wo, reason="已自行解决")
    wo.refresh_from_db()
    assert wo.state == "withdrawn" and wo not in queue_for(personas["officer"])
    with pytest.raises(InvalidTransition):
        services.work_order_withdraw(actor=personas["citizen"], work_order=wo, reason="")
    with pytest.raises(InvalidTransition):
        services.work_order_answer(actor=personas["officer"], work_order=wo, answer="晚了")
    assert WorkOrderStep.objects.filter(work_order=wo, action="withdrawn").count() == 1


def test_every_step_is_audited(personas, departments, open_order):
    wo = open_order(department=departments["transport"])
    services.work_order_transfer(
        actor=personas["officer"], work_order=wo, department=departments["education"], reason="属教育"
    )
    services.work_order_answer(actor=personas["other_officer"], work_order=wo, answer="答复")
    services.work_order_close(actor=personas["citizen"], work_order=wo)
    services.work_order_rate(actor=personas["citizen"], work_order=wo, rating=3, comment="一般")
    audited = list(
        AuditEvent.objects.filter(target_type="operations.workorder", target_id=str(wo.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert audited == [
        "work_order_open",
        "work_order_transfer",
        "work_order_answer",
        "work_order_close",
        "work_order_rate",
    ]
    assert WorkOrder.objects.get(pk=wo.pk).steps.count() == 6  # opened, routed + four


# Visibility and scheduling


def test_county_staff_see_their_countys_orders(personas, departments, open_order):
    from kaifang.operations.permissions import work_orders_visible_to

    county = open_order(department=departments["xianan_edu"])
    city = open_order(department=departments["transport"])
    seen = set(work_orders_visible_to(personas["county_admin"]))
    assert county in seen and city not in seen
    assert county in queue_for(personas["county_admin"])
    assert set(work_orders_visible_to(personas["evaluator"])) == set()
    assert set(work_orders_visible_to(personas["auditor"])) == {county, city}
    assert set(work_orders_visible_to(personas["citizen"])) == {county, city}
    assert set(work_orders_visible_to(personas["enterprise"])) == set()


def test_a_year_without_a_published_calendar_is_provisional(open_order):
    from kaifang.operations.selectors import deadline_status

    # The Spring Festival 2027 arrangement is not published in the installed calendar: counted Monday to
    # Friday, and shown as provisional rather than passed off as exact.
    wo = open_order(kind="consultation", when=moment(2027, 2, 1))
    assert wo.deadline == D(2027, 2, 8)
    with clock.at(moment(2027, 2, 1)):
        status = deadline_status(wo)
    assert status["provisional"] and status["days_left"] == 5
    assert not deadline_status(open_order(when=moment(2026, 11, 9)))["provisional"]


def test_the_jobs_run_on_the_scheduler(personas, departments, open_order):
    from kaifang.core.periodic import JOBS, run_due

    names = [
        "operations.work_order_reminders",
        "operations.work_order_escalation",
        "operations.work_order_auto_close",
    ]
    assert set(names) <= set(JOBS)
    wo = open_order(department=departments["transport"], when=moment(2026, 11, 2))
    with clock.at(moment(2026, 11, 20)):
        assert run_due(moment(2026, 11, 20), only=names) == names
        assert run_due(moment(2026, 11, 20), only=names) == []  # claimed until the next period
    wo.refresh_from_db()
    assert wo.escalated_at is not None
