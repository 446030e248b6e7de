"""Work-order pages: the staff queue, one order with its steps and actions, and the overdue counts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from kaifang.core.actors import roles_of
from kaifang.core.errors import DomainError, NotFound, ValidationFailed
from kaifang.core.fragments import fragment
from kaifang.operations import permissions as perm
from kaifang.operations import selectors, services
from kaifang.operations.models import WorkOrder
from kaifang.operations.schemas import visible_dataset_ids

PAGE_SIZE = 20  # as the request list and the workbench queues: one screen of rows
SCOPES = ("queue", "all", "mine")


def _errors(exc: DomainError) -> dict[str, Any]:
    return exc.details if isinstance(exc.details, dict) else {"general": str(exc.message)}


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Staff: the orders waiting on them (default) or all they may see; everyone: the orders they filed."""
    staff = roles_of(request.user).is_staff_member
    scope = request.GET.get("scope", "queue" if staff else "mine")
    if scope not in SCOPES or not staff:
        scope = "mine"
    state, kind = request.GET.get("state", ""), request.GET.get("kind", "")
    overdue = request.GET.get("overdue") == "1"
    query = request.GET.copy()
    query.pop("page", None)
    number = request.GET.get("page", "")
    actor = request.user

    filters = ("workorders", actor.pk, roles_of(actor), scope, state, kind, overdue)

    def body() -> str:
        qs = selectors.work_orders_for(
            actor, state=state, kind=kind, overdue=overdue, queue=scope == "queue", mine=scope == "mine"
        )
        # A filter's count is the same on each of its pages: counted once per generation (up to every order
        # for the bureau's desk).
        count = int(fragment((*filters, "count"), lambda: str(qs.count())))
        page = selectors.work_order_page(qs, number, PAGE_SIZE, count)
        ctx = {
            "page": page,
            "rows": [
                (wo, selectors.deadline_status(wo), selectors.kind_label(wo), selectors.state_label(wo))
                for wo in page.object_list
            ],
            "scope": scope,
            "state": state,
            "kind": kind,
            "overdue": overdue,
            "states": WorkOrder.State.choices,
            "kinds": WorkOrder.Kind.choices,
            "query": query.urlencode(),
        }
        return render_to_string("operations/_queue_body.html", ctx)

    key = (*filters, query.urlencode(), number[:12])
    ctx = {
        "body": fragment(key, body),
        "staff": staff,
        "scope": scope,
        "api_twin": "/api/v1/workorders" + ("?queue=true" if scope == "queue" else ""),
    }
    return render(request, "operations/queue.html", ctx)


def _act(request: HttpRequest, wo: WorkOrder) -> tuple[WorkOrder, str]:
    """Run the posted action; the order as it is afterwards, and what to say."""
    action, post, actor = request.POST.get("action", ""), request.POST, request.user
    if action == "answer":
        dataset = None
        code = post.get("dataset", "").strip()
        if code:
            from kaifang.catalog.selectors import get_dataset_for

            try:
                dataset = get_dataset_for(actor, code)
            except NotFound:
                raise ValidationFailed(
                    details={"dataset": _("未找到编码为 %(c)s 的数据资源。") % {"c": code}}
                ) from None
        done = services.work_order_answer(
            actor=actor, work_order=wo, answer=post.get("answer", ""), dataset=dataset
        )
        return done, _("已答复，提出人将收到通知。")
    if action == "transfer":
        department = _department(post.get("department", ""))
        done = services.work_order_transfer(
            actor=actor, work_order=wo, department=department, reason=post.get("reason", "")
        )
        return done, _("已转办。")
    if action == "reopen":
        return services.work_order_reopen(actor=actor, work_order=wo, reason=post.get("reason", "")), _(
            "已要求重新办理。"
        )
    if action == "close":
        return services.work_order_close(actor=actor, work_order=wo), _("已确认办结，欢迎评价。")
    if action == "rate":
        done = services.work_order_rate(
            actor=actor, work_order=wo, rating=post.get("rating"), comment=post.get("comment", "")
        )
        return done, _("感谢您的评价。")
    if action == "withdraw":
        return services.work_order_withdraw(actor=actor, work_order=wo, reason=post.get("reason", "")), _(
            "工单已撤回。"
        )
    raise ValidationFailed(_("未知的操作。"))


def _department(value: str) -> Any:
    from kaifang.tenancy.models import Department

    if value == "desk":
        return None
    department = (
        Department.objects.select_related("region").filter(pk=value).first() if value.isdigit() else None
    )
    if department is None:
        raise ValidationFailed(details={"department": _("请选择接收部门。")})
    return department


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        wo = selectors.get_work_order_for(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            done, said = _act(request, wo)
        except DomainError as exc:
            errors, status = _errors(exc), exc.status
        else:
            messages.success(request, said)
            if not selectors.is_visible_to(request.user, done.pk):
                return redirect("operations:queue")  # transferred away from the actor's department
            return redirect("operations:detail", pk=done.pk)
        wo = selectors.get_work_order_for(request.user, pk)
    return render(request, "operations/detail.html", _detail_context(request, wo, errors), status=status)


def _detail_context(request: HttpRequest, wo: WorkOrder, errors: dict[str, Any]) -> dict[str, Any]:
    from kaifang.tenancy.models import Department

    actor = request.user
    visible = visible_dataset_ids(actor, [wo])
    open_ = wo.state == WorkOrder.State.OPEN
    can = {
        "answer": open_ and perm.can_work_order_answer(actor, wo),
        "transfer": open_ and perm.can_work_order_transfer(actor, wo),
        "reopen": wo.state in (WorkOrder.State.ANSWERED, WorkOrder.State.CLOSED)
        and wo.rating is None
        and perm.can_work_order_reopen(actor, wo),
        "close": wo.state == WorkOrder.State.ANSWERED and perm.can_work_order_close(actor, wo),
        "rate": wo.state == WorkOrder.State.CLOSED
        and wo.rating is None
        and perm.can_work_order_rate(actor, wo),
        "withdraw": open_ and perm.can_work_order_withdraw(actor, wo),
    }
    return {
        "wo": wo,
        "status": selectors.deadline_status(wo),
        "steps": selectors.steps_of(wo),
        "dataset": wo.dataset if wo.dataset_id in visible else None,
        "answer_dataset": wo.answer_dataset if wo.answer_dataset_id in visible else None,
        "can": can,
        "departments": Department.objects.select_related("region").exclude(pk=wo.department_id)
        if can["transfer"]
        else [],
        "errors": errors,
        "ratings": range(5, 0, -1),
        "api_twin": f"/api/v1/workorders/{wo.pk}",
    }


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    if not perm.may_view_staff_lists(request.user):
        raise Http404
    actor = request.user

    def body() -> str:
        ctx = {
            "by_department": selectors.overdue_by_department(actor),
            "by_region": selectors.overdue_by_region(actor),
        }
        return render_to_string("operations/_overdue_body.html", ctx)

    ctx = {
        "body": fragment(("overdue", roles_of(actor)), body),
        "may_list": roles_of(actor).is_staff_member,
        "api_twin": "/api/v1/workorders/overdue",
    }
    return render(request, "operations/overdue.html", ctx)
