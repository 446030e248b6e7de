"""The operations API v1: work orders (工单). Missing and not-yours look alike (404)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from kaifang.core.errors import NotAuthenticated, NotFound, ValidationFailed
from kaifang.core.http import DbInt, actor_for
from kaifang.operations import selectors, services
from kaifang.operations.permissions import may_view_staff_lists
from kaifang.operations.schemas import (
    AnswerIn,
    RateIn,
    ReasonIn,
    TransferIn,
    visible_dataset_ids,
    work_order_out,
)

router = Router(tags=["operations"])
MAX_PAGE_SIZE = 100


def _user(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


@router.get("/workorders", summary="工单列表（可见范围内；queue=true 为待我办理）")
def list_work_orders(
    request: HttpRequest,
    state: str = "",
    kind: str = "",
    overdue: bool = False,
    queue: bool = False,
    mine: bool = False,
    page: DbInt = 1,
    page_size: DbInt = 50,
) -> dict[str, Any]:
    actor = _user(request)
    qs = selectors.work_orders_for(actor, state=state, kind=kind, overdue=overdue, queue=queue, mine=mine)
    size = min(max(page_size, 1), MAX_PAGE_SIZE)
    page = max(page, 1)
    orders = list(qs[(page - 1) * size : page * size]) if page <= 10**6 else []
    visible = visible_dataset_ids(actor, orders)
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "results": [work_order_out(wo, visible) for wo in orders],
    }


@router.get("/workorders/overdue", summary="超期工单统计（按部门、按县市区）")
def overdue(request: HttpRequest) -> dict[str, Any]:
    actor = _user(request)
    if not may_view_staff_lists(actor):
        raise NotFound()
    return {
        "by_department": selectors.overdue_by_department(actor),
        "by_region": selectors.overdue_by_region(actor),
    }


def _out(actor: Any, wo: Any) -> dict[str, Any]:
    try:
        wo = selectors.get_work_order_for(actor, wo.pk)
    except NotFound:
        # Transferred away: the actor no longer sees the order, only the summary of what they just did.
        return work_order_out(wo, set())
    return work_order_out(wo, visible_dataset_ids(actor, [wo]), steps=True)


@router.get("/workorders/{wo_id}", summary="工单详情（含办理过程）")
def get_work_order(request: HttpRequest, wo_id: DbInt) -> dict[str, Any]:
    actor = _user(request)
    return _out(actor, selectors.get_work_order_for(actor, wo_id))


def _answer_dataset(actor: Any, code: str) -> Any:
    if not code.strip():
        return None
    from kaifang.catalog.selectors import get_dataset_for

    try:
        return get_dataset_for(actor, code.strip())
    except NotFound:
        raise ValidationFailed(
            details={"dataset": _("未找到编码为 %(c)s 的数据资源。") % {"c": code.strip()}}
        ) from None


@router.post("/workorders/{wo_id}/answer", summary="答复工单")
def answer(request: HttpRequest, wo_id: DbInt, payload: AnswerIn) -> dict[str, Any]:
    actor = _user(request)
    wo = selectors.get_work_order_for(actor, wo_id)
    dataset = _answer_dataset(actor, payload.dataset)
    return _out(
        actor, services.work_order_answer(actor=actor, work_order=wo, answer=payload.answer, dataset=dataset)
    )


@router.post("/workorders/{wo_id}/transfer", summary="转办工单（须说明理由）")
def transfer(request: HttpRequest, wo_id: DbInt, payload: TransferIn) -> dict[str, Any]:
    from kaifang.tenancy.models import Department

    actor = _user(request)
    wo = selectors.get_work_order_for(actor, wo_id)
    department = None
    if payload.department is not None:
        department = Department.objects.select_related("region").filter(pk=payload.department).first()
        if department is None:
            raise ValidationFailed(details={"department": _("接收部门不存在。")})
    done = services.work_order_transfer(
        actor=actor, work_order=wo, department=department, reason=payload.reason
    )
    return _out(actor, done)


@router.post("/workorders/{wo_id}/reopen", summary="要求重新办理（提出人）")
def reopen(request: HttpRequest, wo_id: DbInt, payload: ReasonIn) -> dict[str, Any]:
    actor = _user(request)
    wo = selectors.get_work_order_for(actor, wo_id)
    return _out(actor, services.work_order_reopen(actor=actor, work_order=wo, reason=payload.reason))


@router.post("/workorders/{wo_id}/close", summary="确认办结（提出人）")
def close(request: HttpRequest, wo_id: DbInt) -> dict[str, Any]:
    actor = _user(request)
    wo = selectors.get_work_order_for(actor, wo_id)
    return _out(actor, services.work_order_close(actor=actor, work_order=wo))


@router.post("/workorders/{wo_id}/rate", summary="满意度评价（提出人，办结后一次）")
def rate(request: HttpRequest, wo_id: DbInt, payload: RateIn) -> dict[str, Any]:
    actor = _user(request)
    wo = selectors.get_work_order_for(actor, wo_id)
    done = services.work_order_rate(
        actor=actor, work_order=wo, rating=payload.rating, comment=payload.comment
    )
    return _out(actor, done)


@router.post("/workorders/{wo_id}/withdraw", summary="撤回工单（提出人，办理中）")
def withdraw(request: HttpRequest, wo_id: DbInt, payload: ReasonIn) -> dict[str, Any]:
    actor = _user(request)
    wo = selectors.get_work_order_for(actor, wo_id)
    return _out(actor, services.work_order_withdraw(actor=actor, work_order=wo, reason=payload.reason))
