"""Reads of work orders: one order (404 alike for missing and not yours), lists, queues and overdue counts."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from kaifang.core import clock
from kaifang.core.actors import roles_of
from kaifang.core.errors import NotFound
from kaifang.core.workdays import workdays_between
from kaifang.operations.models import WorkOrder, WorkOrderStep
from kaifang.operations.permissions import is_bureau_desk, work_orders_visible_to

State = WorkOrder.State


def get_work_order_for(actor: Any, pk: Any) -> WorkOrder:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not -(2**63) <= pk < 2**63:
        raise NotFound()
    wo = (
        work_orders_visible_to(actor)
        .select_related("requester", "department", "region", "dataset", "domain", "answer_dataset")
        .filter(pk=pk)
        .first()
    )
    if wo is None:
        raise NotFound()
    return wo


def is_visible_to(actor: Any, pk: int) -> bool:
    return work_orders_visible_to(actor).filter(pk=pk).exists()


def steps_of(work_order: WorkOrder) -> QuerySet[WorkOrderStep]:
    return work_order.steps.select_related("actor", "from_department", "to_department")


def queue_for(actor: Any) -> QuerySet[WorkOrder]:
    """Open orders the actor must handle, the oldest deadline first: their departments' orders; for the
    bureau desk also the desk's own orders and every escalated one; for a county administrator the county's."""
    roles = roles_of(actor)
    if not roles.authenticated:
        return WorkOrder.objects.none()
    scope = Q(pk__in=[])
    if roles.officer_department_ids:
        scope |= Q(department_id__in=roles.officer_department_ids)
    if is_bureau_desk(actor):
        scope |= Q(department__isnull=True) | Q(escalated_at__isnull=False)
    if roles.county_admin_region_ids:
        scope |= Q(region_id__in=roles.county_admin_region_ids)
    return (
        WorkOrder.objects.filter(scope, state=State.OPEN)
        .select_related("department", "region")
        .order_by("deadline", "id")
    )


# An order's kind and state as words, looked up once per page: Model.get_FOO_display rebuilds the choices'
# table on every call, a millisecond per list page of twenty.
KIND_LABELS = dict(WorkOrder.Kind.choices)
STATE_LABELS = dict(State.choices)


def kind_label(work_order: WorkOrder) -> str:
    return str(KIND_LABELS.get(work_order.kind, work_order.kind))


def state_label(work_order: WorkOrder) -> str:
    return str(STATE_LABELS.get(work_order.state, work_order.state))


def work_order_page(qs: QuerySet[WorkOrder], number: Any, size: int, count: int | None = None) -> Page:
    """A page of `qs` in its order. The page's ids are found first, then its orders read: sorting whole
    rows (with their texts) where no index gives the order — an officer sees their departments' orders or
    their own — cost more than the page (bench/workbench_bench.py)."""
    paginator = Paginator(qs.values_list("pk", flat=True), size)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(number)
    ids = list(page.object_list)
    found = {wo.pk: wo for wo in WorkOrder.objects.filter(pk__in=ids).select_related("department", "region")}
    page.object_list = [found[i] for i in ids if i in found]
    return page


def work_orders_for(
    actor: Any,
    *,
    state: str = "",
    kind: str = "",
    overdue: bool = False,
    queue: bool = False,
    mine: bool = False,
) -> QuerySet[WorkOrder]:
    """The orders the actor may see, filtered; the oldest deadline first."""
    qs = queue_for(actor) if queue else work_orders_visible_to(actor)
    if mine:
        qs = qs.filter(requester_id=roles_of(actor).user_id)
    if state in State.values:
        qs = qs.filter(state=state)
    if kind in WorkOrder.Kind.values:
        qs = qs.filter(kind=kind)
    if overdue:
        qs = qs.filter(state=State.OPEN, deadline__lt=clock.today())
    return qs.select_related("department", "region").order_by("deadline", "id")


def _overdue_scope(actor: Any) -> QuerySet[WorkOrder]:
    roles = roles_of(actor)
    # The evaluator reads counts over the whole platform, never an order.
    base = WorkOrder.objects.all() if roles.evaluator else work_orders_visible_to(actor)
    if not (roles.is_staff_member or roles.evaluator):
        return WorkOrder.objects.none()
    return base.filter(state=State.OPEN, deadline__lt=clock.today())


def overdue_by_department(actor: Any) -> list[dict[str, Any]]:
    """Open orders past their deadline per department (None: the bureau's desk), most overdue first."""
    rows = (
        _overdue_scope(actor)
        .values("department_id", "department__name", "region__name")
        .annotate(count=Count("id"), escalated=Count("id", filter=Q(escalated_at__isnull=False)))
        .order_by("-count", "department__name")
    )
    return [
        {
            "department_id": r["department_id"],
            "department": r["department__name"] or "",
            "region": r["region__name"] or "",
            "count": r["count"],
            "escalated": r["escalated"],
        }
        for r in rows
    ]


def overdue_by_region(actor: Any) -> list[dict[str, Any]]:
    """Open orders past their deadline per county (the region of the department answering them)."""
    rows = (
        _overdue_scope(actor)
        .values("region_id", "region__name", "region__code")
        .annotate(count=Count("id"), escalated=Count("id", filter=Q(escalated_at__isnull=False)))
        .order_by("-count", "region__code")
    )
    return [
        {
            "region_id": r["region_id"],
            "region": r["region__name"] or "",
            "code": r["region__code"] or "",
            "count": r["count"],
            "escalated": r["escalated"],
        }
        for r in rows
    ]


# Recipients. Notifications go to the people an order waits on; each message is still checked per recipient
# (`visible=`) before it is written.


def officers_of(department: Any) -> QuerySet[Any]:
    from kaifang.accounts.models import User

    if department is None:
        return User.objects.none()
    return User.objects.filter(
        is_active=True, roles__role="officer", roles__department_id=getattr(department, "pk", department)
    ).distinct()


def bureau_desk_users() -> QuerySet[Any]:
    from kaifang.accounts.models import User

    city = settings.KAIFANG_CITY_REGION_CODE
    return User.objects.filter(
        Q(roles__role="reviewer", roles__region__isnull=True)
        | Q(roles__role="reviewer", roles__region__code=city)
        | Q(roles__role="operator"),
        is_active=True,
    ).distinct()


def handlers_of(work_order: WorkOrder) -> list[Any]:
    if work_order.department_id is None:
        return list(bureau_desk_users())
    return list(officers_of(work_order.department_id))


def deadline_status(work_order: WorkOrder, today: datetime.date | None = None) -> dict[str, Any]:
    """Working days left (0 on the last day), or working days overdue, for an open order."""
    from kaifang.core.workdays import calendar_known

    today = today or clock.today()
    provisional = not calendar_known(work_order.deadline)
    if work_order.state != State.OPEN:
        return {
            "open": False,
            "overdue": False,
            "days_left": None,
            "days_overdue": 0,
            "provisional": provisional,
        }
    if work_order.deadline < today:
        return {
            "open": True,
            "overdue": True,
            "days_left": 0,
            "days_overdue": max(1, workdays_between(work_order.deadline, today)),
            "provisional": provisional,
        }
    return {
        "open": True,
        "overdue": False,
        "days_left": workdays_between(today, work_order.deadline),
        "days_overdue": 0,
        "provisional": provisional,
    }
