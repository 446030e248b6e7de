"""Who may act on a work order, and who may see which.

The requester acts on their own order (reopen, close, rate, withdraw); the officers of the department it is
routed to answer and transfer it; the big data bureau's desk (city reviewers and operators) handles the orders
routed to no department and may re-route any open order. The scheduler (actor None) reminds, escalates and
closes answered orders nobody confirmed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaifang.core.actors import roles_of
from kaifang.operations.models import WorkOrder


def is_bureau_desk(actor: Any) -> bool:
    """The big data bureau's desk: city reviewers and platform operators."""
    roles = roles_of(actor)
    return roles.city_reviewer or roles.operator or roles.superuser


def handles(actor: Any, work_order: WorkOrder) -> bool:
    """The actor is one of the people the order now waits on."""
    if work_order.department_id is None:
        return is_bureau_desk(actor)
    return work_order.department_id in roles_of(actor).officer_department_ids


def _requester(actor: Any, work_order: WorkOrder) -> bool:
    roles = roles_of(actor)
    return roles.authenticated and roles.user_id == work_order.requester_id


def can_work_order_open(actor: Any) -> bool:
    return roles_of(actor).authenticated


def can_work_order_answer(actor: Any, work_order: WorkOrder) -> bool:
    return handles(actor, work_order)


def can_work_order_transfer(actor: Any, work_order: WorkOrder) -> bool:
    return handles(actor, work_order) or is_bureau_desk(actor)


def can_work_order_reopen(actor: Any, work_order: WorkOrder) -> bool:
    return _requester(actor, work_order)


def can_work_order_close(actor: Any, work_order: WorkOrder) -> bool:
    """The requester confirms; the scheduler (no actor) closes answered orders nobody confirmed."""
    return actor is None or _requester(actor, work_order)


def can_work_order_rate(actor: Any, work_order: WorkOrder) -> bool:
    return _requester(actor, work_order)


def can_work_order_withdraw(actor: Any, work_order: WorkOrder) -> bool:
    return _requester(actor, work_order)


def can_work_order_remind(actor: Any, work_order: WorkOrder) -> bool:
    """Only the scheduler."""
    return actor is None


def can_work_order_escalate(actor: Any, work_order: WorkOrder) -> bool:
    """Only the scheduler."""
    return actor is None


def work_orders_visible_to(actor: Any) -> QuerySet[WorkOrder]:
    """The requester sees their own; officers their departments'; county administrators and reviewers their
    counties'; the bureau (city reviewers, operators) and auditors all. Evaluators see only counts
    (selectors.overdue_by_*), never an order."""
    roles = roles_of(actor)
    if not roles.authenticated:
        return WorkOrder.objects.none()
    if roles.city_reviewer or roles.operator or roles.auditor or roles.superuser:
        return WorkOrder.objects.all()
    scope = Q(requester_id=roles.user_id)
    if roles.officer_department_ids:
        scope |= Q(department_id__in=roles.officer_department_ids)
    if roles.review_region_ids:
        scope |= Q(region_id__in=roles.review_region_ids)
    return WorkOrder.objects.filter(scope)


def may_view_staff_lists(actor: Any) -> bool:
    """Queues and overdue lists are for staff; the evaluator reads the overdue counts only."""
    roles = roles_of(actor)
    return roles.is_staff_member or roles.evaluator
