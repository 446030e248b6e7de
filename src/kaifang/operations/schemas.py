"""Work-order API shapes. A linked dataset is named only to a reader who may see it."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.core.http import DbInt
from kaifang.operations.models import WorkOrder
from kaifang.operations.selectors import deadline_status, steps_of


class AnswerIn(Schema):
    answer: str = PydField("", max_length=20000)
    dataset: str = PydField("", max_length=40, description="答复关联的数据资源编码（可选）")


class TransferIn(Schema):
    department: DbInt | None = PydField(None, description="接收部门 id；null 表示退回市大数据局统筹受理")
    reason: str = PydField("", max_length=4000)


class ReasonIn(Schema):
    reason: str = PydField("", max_length=4000)


class RateIn(Schema):
    rating: DbInt = PydField(description="满意度 1–5")
    comment: str = PydField("", max_length=2000)


def _dataset(ds: Any, visible_ids: set[int]) -> dict[str, Any] | None:
    from kaifang.catalog.codes import slug_for_code

    if ds is None or ds.pk not in visible_ids:
        return None
    return {"code": ds.code, "title": ds.title, "slug": slug_for_code(ds.code)}


def visible_dataset_ids(actor: Any, orders: list[WorkOrder]) -> set[int]:
    from kaifang.catalog.permissions import datasets_visible_to

    ids = {i for wo in orders for i in (wo.dataset_id, wo.answer_dataset_id) if i}
    if not ids:
        return set()
    return set(datasets_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))


def work_order_out(wo: WorkOrder, visible_ids: set[int], *, steps: bool = False) -> dict[str, Any]:
    status = deadline_status(wo)
    out: dict[str, Any] = {
        "id": wo.pk,
        "code": wo.code,
        "kind": {"code": wo.kind, "label": str(wo.get_kind_display())},
        "state": {"code": wo.state, "label": str(wo.get_state_display())},
        "title": wo.title,
        "department": {"id": wo.department_id, "name": wo.department.name} if wo.department_id else None,
        "region": wo.region.name if wo.region_id else None,
        "deadline": wo.deadline.isoformat(),
        "deadline_provisional": status["provisional"],
        "working_days_left": status["days_left"],
        "working_days_overdue": status["days_overdue"],
        "overdue": status["overdue"],
        "escalated": wo.escalated_at is not None,
        "transfer_count": wo.transfer_count,
        "reopen_count": wo.reopen_count,
        "created_at": wo.created_at.isoformat(),
    }
    if steps:
        out.update(
            body=wo.body,
            requester=str(wo.requester) if wo.requester_id else None,
            dataset=_dataset(wo.dataset, visible_ids),
            answer=wo.answer,
            answered_at=wo.answered_at.isoformat() if wo.answered_at else None,
            answer_dataset=_dataset(wo.answer_dataset, visible_ids),
            closed_at=wo.closed_at.isoformat() if wo.closed_at else None,
            rating=wo.rating,
            rating_comment=wo.rating_comment,
            steps=[
                {
                    "action": {"code": s.action, "label": str(s.get_action_display())},
                    "actor": str(s.actor) if s.actor_id else None,
                    "from_department": s.from_department.name if s.from_department_id else None,
                    "to_department": s.to_department.name if s.to_department_id else None,
                    "text": s.text,
                    "at": s.created_at.isoformat(),
                }
                for s in steps_of(wo)
            ],
        )
    return out
