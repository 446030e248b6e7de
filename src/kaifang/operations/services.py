"""The work-order workflow (P10 工单转接): every step one audited service, recorded as a WorkOrderStep.

open → answered → closed (confirmed by the requester, or by the scheduler after AUTO_CLOSE_WORKDAYS) → rated;
open → withdrawn; answered (or closed unrated, within REOPEN_WORKDAYS of the answer) → open again; an open
order may be transferred to another department; the scheduler reminds one working day before the deadline
and escalates to the bureau once the deadline has passed.

Deadlines are counted in working days of the public calendar (core.workdays), the day of the request not
counted. A transfer keeps the deadline, except that the receiving department always gets at least
TRANSFER_EXTENSION_WORKDAYS working days (decision: a department handed an order on its last day could not
answer it in time, and resetting the full term would reward passing orders on).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kaifang.core import clock
from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, InvalidTransition, ValidationFailed
from kaifang.core.workdays import add_workdays, workdays_between
from kaifang.notifications.dispatch import notify
from kaifang.operations import permissions as perm
from kaifang.operations.models import DomainLead, WorkOrder, WorkOrderStep
from kaifang.operations.selectors import bureau_desk_users, handlers_of, officers_of

Kind = WorkOrder.Kind
State = WorkOrder.State
Action = WorkOrderStep.Action

# Working days a department has to answer, per kind (自受理之日起N个工作日内).
DEADLINE_WORKDAYS = {
    Kind.ERROR_REPORT: 5,
    Kind.DATA_REQUEST: 10,
    Kind.CONSULTATION: 5,
    Kind.SUGGESTION: 10,
    Kind.COMPLAINT: 5,
}
MAX_TRANSFERS = 3
TRANSFER_EXTENSION_WORKDAYS = 2
REOPEN_WORKDAYS = 15
MAX_REOPENS = 2
AUTO_CLOSE_WORKDAYS = 10
TITLE_MAX = 120
BODY_MAX = 5000
REASON_MAX = 1000
RATING_COMMENT_MAX = 500


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _text(
    value: Any, field: str, label: str, limit: int, errors: dict[str, str], required: bool = True
) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = _("请填写%(label)s。") % {"label": label}
    elif len(text) > limit:
        errors[field] = _("%(label)s不能超过%(n)s个字符。") % {"label": label, "n": limit}
    return text


def _lock(work_order: WorkOrder) -> WorkOrder:
    """Re-read the order under a row lock before anything is decided: a double submission then sees the first
    one's result, and permission goes by where the order is now (it may have been transferred meanwhile)."""
    return WorkOrder.objects.select_for_update().get(pk=work_order.pk)


def _url(work_order: WorkOrder) -> str:
    return f"/workorders/{work_order.pk}/"


def _sees(work_order: WorkOrder) -> Any:
    def visible(user: Any) -> bool:
        return perm.work_orders_visible_to(user).filter(pk=work_order.pk).exists()

    return visible


def _step(
    work_order: WorkOrder,
    action: str,
    actor: Any,
    text: str = "",
    *,
    from_department: Any = None,
    to_department: Any = None,
) -> WorkOrderStep:
    return WorkOrderStep.objects.create(
        work_order=work_order,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_department=from_department,
        to_department=to_department,
        text=text,
    )


def _audit(actor: Any, action: str, work_order: WorkOrder, reason: str = "", **after: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=work_order,
        reason=reason,
        after={"state": work_order.state, "department": work_order.department_id, **after},
    )


def _save(work_order: WorkOrder, *fields: str) -> None:
    work_order.updated_at = clock.now()
    work_order.save(update_fields=[*fields, "updated_at"])


def _desk_name() -> str:
    return _("市大数据局统筹受理")


def _department_label(department: Any) -> str:
    return department.name if department is not None else _desk_name()


def _city_region() -> Any:
    from kaifang.tenancy.models import Region

    return Region.objects.filter(code=settings.KAIFANG_CITY_REGION_CODE).first()


def _has_officer(department: Any) -> bool:
    return officers_of(department).exists()


def _route(dataset: Any, domain: Any, department: Any) -> tuple[Any, str]:
    """The department that answers (None: the bureau's desk) and why, for the ROUTED step."""
    if dataset is not None:
        target, why = dataset.department, _("按数据资源的提供部门分派至%(d)s。")
    elif department is not None:
        target, why = department, _("按申请人指明的部门分派至%(d)s。")
    else:
        lead = (
            DomainLead.objects.select_related("department").filter(domain=domain).first() if domain else None
        )
        if lead is not None:
            target, why = lead.department, _("按领域牵头部门分派至%(d)s。")
        else:
            return None, _("未能确定责任部门，由市大数据局统筹受理。")
    if not _has_officer(target):
        return None, _("%(d)s尚未配置数据管理员，转由市大数据局统筹受理。") % {"d": target.name}
    return target, why % {"d": target.name}


def _notify_handlers(work_order: WorkOrder, event: str, subject: str, body: str, actor: Any) -> None:
    notify(
        recipients=handlers_of(work_order),
        event=event,
        subject=subject,
        body=body,
        url=_url(work_order),
        visible=_sees(work_order),
        exclude=actor,
    )


@transaction.atomic
def work_order_open(
    *,
    actor: Any,
    kind: str,
    title: str,
    body: str,
    dataset: Any = None,
    domain: Any = None,
    department: Any = None,
) -> WorkOrder:
    """Open a work order for the requester `actor` and route it (dataset → its department; a named
    department; domain → its lead department; otherwise the bureau's desk)."""
    _require(perm.can_work_order_open(actor))
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = _("工单类型无效。")
    title = _text(title, "title", _("标题"), TITLE_MAX, errors)
    body = _text(body, "body", _("内容"), BODY_MAX, errors)
    if dataset is not None:
        from kaifang.catalog.permissions import datasets_visible_to

        if not datasets_visible_to(actor).filter(pk=dataset.pk).exists():
            errors["dataset"] = _("未找到该数据资源，或您无权访问。")
    if errors:
        raise ValidationFailed(details=errors)
    target, why = _route(dataset, domain, department)
    today = clock.today()
    region = target.region if target is not None else _city_region()
    work_order = WorkOrder.objects.create(
        kind=kind,
        title=title,
        body=body,
        requester=actor,
        dataset=dataset,
        domain=domain,
        department=target,
        region=region,
        deadline=add_workdays(today, DEADLINE_WORKDAYS[kind]),
    )
    _step(work_order, Action.OPENED, actor, _("已受理，办理期限 %(d)s。") % {"d": work_order.deadline})
    _step(work_order, Action.ROUTED, None, why, to_department=target)
    _audit(actor, "work_order_open", work_order, why, kind=kind, deadline=work_order.deadline.isoformat())
    _notify_handlers(
        work_order,
        "workorder_assigned",
        _("新工单 %(c)s：%(t)s") % {"c": work_order.code, "t": title},
        _("请于 %(d)s 前办理。%(w)s") % {"d": work_order.deadline, "w": why},
        actor,
    )
    return work_order


@transaction.atomic
def work_order_answer(*, actor: Any, work_order: WorkOrder, answer: str, dataset: Any = None) -> WorkOrder:
    """The department's reply, which the requester sees; a data request may link the dataset answering it."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_answer(actor, work_order))
    if work_order.state != State.OPEN:
        raise InvalidTransition(
            _("该工单当前不在办理中（%(s)s），不能答复。") % {"s": work_order.get_state_display()}
        )
    errors: dict[str, str] = {}
    answer = _text(answer, "answer", _("答复内容"), BODY_MAX, errors)
    if dataset is not None and work_order.requester_id is not None:
        from kaifang.catalog.permissions import datasets_visible_to

        if not datasets_visible_to(work_order.requester).filter(pk=dataset.pk).exists():
            errors["dataset"] = _("关联的数据资源须是提出人可以查看的已发布数据资源。")
    if errors:
        raise ValidationFailed(details=errors)
    now = clock.now()
    work_order.state = State.ANSWERED
    work_order.answer = answer
    work_order.answered_at = now
    work_order.answered_by = actor
    work_order.answer_dataset = dataset
    _save(work_order, "state", "answer", "answered_at", "answered_by", "answer_dataset")
    _step(work_order, Action.ANSWERED, actor, answer, from_department=work_order.department)
    _audit(actor, "work_order_answer", work_order, dataset=getattr(dataset, "code", None))
    notify(
        recipients=[work_order.requester],
        event="workorder_answered",
        subject=_("您的工单 %(c)s 已答复：%(t)s") % {"c": work_order.code, "t": work_order.title},
        body=answer,
        url=_url(work_order),
        visible=_sees(work_order),
        exclude=actor,
    )
    return work_order


@transaction.atomic
def work_order_transfer(*, actor: Any, work_order: WorkOrder, department: Any, reason: str) -> WorkOrder:
    """Hand an open order to another department (None: back to the bureau's desk), with a reason.

    A department may transfer at most MAX_TRANSFERS times in an order's life and may not send it to a
    department it already left (ping-pong); the bureau's desk, which settles such disputes, may."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_transfer(actor, work_order))
    if work_order.state != State.OPEN:
        raise InvalidTransition(
            _("该工单当前不在办理中（%(s)s），不能转办。") % {"s": work_order.get_state_display()}
        )
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", _("转办理由"), REASON_MAX, errors)
    if errors:
        raise ValidationFailed(details=errors)
    target_id = getattr(department, "pk", None)
    if target_id == work_order.department_id:
        raise InvalidTransition(
            _("工单已由%(d)s办理，不能转办给同一部门。") % {"d": _department_label(department)}
        )
    desk = perm.is_bureau_desk(actor)
    if not desk:
        if work_order.transfer_count >= MAX_TRANSFERS:
            raise InvalidTransition(
                _("该工单已转办%(n)s次，不能再转办；请直接答复，或由市大数据局统筹协调。")
                % {"n": MAX_TRANSFERS}
            )
        left = WorkOrderStep.objects.filter(
            work_order=work_order, action=Action.TRANSFERRED, from_department_id=target_id
        )
        if target_id is not None and left.exists():
            raise InvalidTransition(
                _("该工单已从%(d)s转出，不能再转回（防止来回推诿）；如有争议请由市大数据局统筹协调。")
                % {"d": department.name}
            )
    note = ""
    if department is not None and not _has_officer(department):
        note = _("%(d)s尚未配置数据管理员，转由市大数据局统筹受理。") % {"d": department.name}
        department = None
        if work_order.department_id is None:
            raise InvalidTransition(note)
    source = work_order.department
    today = clock.today()
    floor = add_workdays(today, TRANSFER_EXTENSION_WORKDAYS)
    extended = floor > work_order.deadline
    work_order.department = department
    work_order.region = department.region if department is not None else _city_region()
    work_order.transfer_count += 1
    if extended:
        work_order.deadline = floor
    _save(work_order, "department", "region", "transfer_count", "deadline")
    text = _("由%(a)s转至%(b)s。理由：%(r)s") % {
        "a": _department_label(source),
        "b": _department_label(department),
        "r": reason,
    }
    if note:
        text += " " + note
    if extended:
        text += " " + _("办理期限顺延至 %(d)s。") % {"d": work_order.deadline}
    _step(work_order, Action.TRANSFERRED, actor, text, from_department=source, to_department=department)
    _audit(
        actor,
        "work_order_transfer",
        work_order,
        reason,
        from_department=getattr(source, "pk", None),
        deadline=work_order.deadline.isoformat(),
    )
    _notify_handlers(
        work_order,
        "workorder_assigned",
        _("转办工单 %(c)s：%(t)s") % {"c": work_order.code, "t": work_order.title},
        text + " " + _("请于 %(d)s 前办理。") % {"d": work_order.deadline},
        actor,
    )
    return work_order


def _answer_day(work_order: WorkOrder) -> Any:
    from django.utils import timezone

    return timezone.localdate(work_order.answered_at)


@transaction.atomic
def work_order_reopen(*, actor: Any, work_order: WorkOrder, reason: str) -> WorkOrder:
    """The requester is not satisfied with the answer: back to the same department with a new term."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_reopen(actor, work_order))
    reopenable = work_order.state == State.ANSWERED or (
        work_order.state == State.CLOSED and work_order.rating is None
    )
    if not reopenable or work_order.answered_at is None:
        raise InvalidTransition(_("只有已答复、尚未评价的工单可以重新办理。"))
    today = clock.today()
    if workdays_between(_answer_day(work_order), today) > REOPEN_WORKDAYS:
        raise InvalidTransition(
            _("答复已超过%(n)s个工作日，不能再重新办理，请另行提交。") % {"n": REOPEN_WORKDAYS}
        )
    if work_order.reopen_count >= MAX_REOPENS:
        raise InvalidTransition(
            _("该工单已重新办理%(n)s次，不能再重新办理，请另行提交。") % {"n": MAX_REOPENS}
        )
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", _("重新办理的理由"), REASON_MAX, errors)
    if errors:
        raise ValidationFailed(details=errors)
    work_order.state = State.OPEN
    work_order.reopen_count += 1
    work_order.closed_at = None
    work_order.deadline = add_workdays(today, DEADLINE_WORKDAYS[work_order.kind])
    # A new term: its own reminder and, if missed, its own escalation.
    work_order.reminded_at = None
    work_order.escalated_at = None
    _save(work_order, "state", "reopen_count", "closed_at", "deadline", "reminded_at", "escalated_at")
    _step(
        work_order,
        Action.REOPENED,
        actor,
        _("%(r)s（办理期限 %(d)s）") % {"r": reason, "d": work_order.deadline},
        to_department=work_order.department,
    )
    _audit(actor, "work_order_reopen", work_order, reason, deadline=work_order.deadline.isoformat())
    _notify_handlers(
        work_order,
        "workorder_assigned",
        _("工单 %(c)s 被提出人要求重新办理：%(t)s") % {"c": work_order.code, "t": work_order.title},
        _("理由：%(r)s。请于 %(d)s 前重新答复。") % {"r": reason, "d": work_order.deadline},
        actor,
    )
    return work_order


@transaction.atomic
def work_order_close(*, actor: Any, work_order: WorkOrder) -> WorkOrder:
    """The requester accepts the answer; or the scheduler (actor None) closes an answer left unconfirmed
    for AUTO_CLOSE_WORKDAYS working days."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_close(actor, work_order))
    if work_order.state != State.ANSWERED:
        raise InvalidTransition(
            _("只有已答复的工单可以办结（当前：%(s)s）。") % {"s": work_order.get_state_display()}
        )
    if actor is None:
        if workdays_between(_answer_day(work_order), clock.today()) < AUTO_CLOSE_WORKDAYS:
            raise InvalidTransition(_("答复未满%(n)s个工作日，不能自动办结。") % {"n": AUTO_CLOSE_WORKDAYS})
        text = _("答复后%(n)s个工作日内提出人未要求重新办理，自动办结。") % {"n": AUTO_CLOSE_WORKDAYS}
    else:
        text = _("提出人确认办结。")
    work_order.state = State.CLOSED
    work_order.closed_at = clock.now()
    _save(work_order, "state", "closed_at")
    _step(work_order, Action.CLOSED, actor, text)
    _audit(actor, "work_order_close", work_order, text)
    return work_order


@transaction.atomic
def work_order_rate(*, actor: Any, work_order: WorkOrder, rating: Any, comment: str = "") -> WorkOrder:
    """The requester's satisfaction (1–5) with a closed order, once."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_rate(actor, work_order))
    if work_order.state != State.CLOSED:
        raise InvalidTransition(_("工单办结后才能评价。"))
    if work_order.rating is not None:
        raise InvalidTransition(_("您已评价过该工单，不能重复评价。"))
    errors: dict[str, str] = {}
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors["rating"] = _("满意度须为 1 到 5 之间的整数。")
    comment = _text(comment, "comment", _("评价"), RATING_COMMENT_MAX, errors, required=False)
    if errors:
        raise ValidationFailed(details=errors)
    work_order.rating = value
    work_order.rating_comment = comment
    _save(work_order, "rating", "rating_comment")
    _step(work_order, Action.RATED, actor, f"{'★' * value}{'☆' * (5 - value)} {comment}".strip())
    _audit(actor, "work_order_rate", work_order, comment, rating=value)
    return work_order


@transaction.atomic
def work_order_withdraw(*, actor: Any, work_order: WorkOrder, reason: str = "") -> WorkOrder:
    """The requester no longer needs an answer."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_withdraw(actor, work_order))
    if work_order.state != State.OPEN:
        raise InvalidTransition(
            _("只有办理中的工单可以撤回（当前：%(s)s）。") % {"s": work_order.get_state_display()}
        )
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", _("撤回理由"), REASON_MAX, errors, required=False)
    if errors:
        raise ValidationFailed(details=errors)
    work_order.state = State.WITHDRAWN
    work_order.closed_at = clock.now()
    _save(work_order, "state", "closed_at")
    _step(work_order, Action.WITHDRAWN, actor, reason)
    _audit(actor, "work_order_withdraw", work_order, reason)
    return work_order


@transaction.atomic
def work_order_remind(*, actor: Any = None, work_order: WorkOrder) -> WorkOrder:
    """The scheduler's reminder, once per term, on the working day before the deadline."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_remind(actor, work_order))
    if work_order.state != State.OPEN or work_order.reminded_at is not None:
        raise InvalidTransition(_("该工单无需提醒。"))
    work_order.reminded_at = clock.now()
    _save(work_order, "reminded_at")
    text = _("办理期限 %(d)s 即将到期。") % {"d": work_order.deadline}
    _step(work_order, Action.REMINDED, None, text)
    _audit(None, "work_order_remind", work_order, text)
    _notify_handlers(
        work_order,
        "workorder_due",
        _("工单 %(c)s 即将到期：%(t)s") % {"c": work_order.code, "t": work_order.title},
        text,
        None,
    )
    return work_order


@transaction.atomic
def work_order_escalate(*, actor: Any = None, work_order: WorkOrder) -> WorkOrder:
    """The scheduler's escalation (超期督办), once per term: the bureau's desk and the department are told."""
    work_order = _lock(work_order)
    _require(perm.can_work_order_escalate(actor, work_order))
    if work_order.state != State.OPEN or work_order.escalated_at is not None:
        raise InvalidTransition(_("该工单无需督办。"))
    if work_order.deadline >= clock.today():
        raise InvalidTransition(_("该工单尚未超期。"))
    work_order.escalated_at = clock.now()
    _save(work_order, "escalated_at")
    text = _("已超过办理期限 %(d)s，提请市大数据局督办。") % {"d": work_order.deadline}
    _step(work_order, Action.ESCALATED, None, text)
    _audit(None, "work_order_escalate", work_order, text)
    recipients = list(bureau_desk_users()) + list(officers_of(work_order.department_id))
    notify(
        recipients=recipients,
        event="workorder_overdue",
        subject=_("工单 %(c)s 已超期：%(t)s") % {"c": work_order.code, "t": work_order.title},
        body=text + " " + _("当前办理：%(d)s。") % {"d": _department_label(work_order.department)},
        url=_url(work_order),
        visible=_sees(work_order),
    )
    return work_order
