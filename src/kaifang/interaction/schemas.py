"""API schemas and the one serialisation of comments and requests, shared by the API and the pages.

Text limits here are far above the services' own (2000, 4000 characters), so a long text gets the service's
clear message; these only stop a body from being absurd."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.catalog.codes import slug_for_code
from kaifang.core.http import DbInt
from kaifang.interaction import selectors
from kaifang.interaction.models import Comment, PublicRequest

ABSURD = 100_000


class CommentIn(Schema):
    text: str = PydField(max_length=ABSURD)
    rating: int | None = None


class ModerateIn(Schema):
    decision: str = PydField(max_length=16, description="publish 或 reject")
    reason: str = PydField("", max_length=ABSURD)


class TextIn(Schema):
    text: str = PydField(max_length=ABSURD)


class ErrorReportIn(Schema):
    description: str = PydField(max_length=ABSURD)
    field: str = PydField("", max_length=200, description="信息项编码或名称（可选）")
    row_reference: str = PydField("", max_length=ABSURD)


class RequestIn(Schema):
    kind: str = PydField(max_length=16, description="data_request | consultation | suggestion | complaint")
    title: str = PydField(max_length=ABSURD)
    body: str = PydField(max_length=ABSURD)
    purpose: str = PydField("", max_length=ABSURD)
    department: DbInt | None = PydField(None, description="负责部门编号（如知道）")
    domain: str = PydField("", max_length=16, description="数据领域代码（可选）")
    show_name: bool = False


class ReasonIn(Schema):
    reason: str = PydField("", max_length=ABSURD)


class RateIn(Schema):
    rating: int
    comment: str = PydField("", max_length=ABSURD)


def comment_out(c: Comment, viewer: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.pk,
        "dataset": c.dataset.code,
        "author": selectors.masked_name(c.author),
        "text": c.text,
        "rating": c.rating,
        "created_at": c.created_at,
        "reply": c.reply or None,
        "reply_at": c.reply_at if c.reply else None,
    }
    if c.state != Comment.State.PUBLISHED or (
        viewer is not None and c.author_id == getattr(viewer, "pk", None)
    ):
        out["state"] = c.state
        out["moderation_reason"] = c.moderation_reason
    return out


def moderation_out(c: Comment) -> dict[str, Any]:
    return {
        **comment_out(c),
        "state": c.state,
        "author": c.author.get_username(),
        "dataset_title": c.dataset.title,
        "url": f"/datasets/{slug_for_code(c.dataset.code)}/#comments",
    }


def request_out(req: PublicRequest, viewer: Any = None) -> dict[str, Any]:
    wo = req.work_order
    answer_ds = selectors.answer_dataset_for(viewer, req)
    return {
        "id": req.pk,
        "code": wo.code,
        "kind": req.kind,
        "kind_label": str(req.get_kind_display()),
        "title": req.title,
        "body": req.body,
        "purpose": req.purpose,
        "requester": str(selectors.requester_label(req, viewer)),
        "state": wo.state,
        "state_label": str(wo.get_state_display()),
        "department": {"id": wo.department_id, "name": wo.department.name} if wo.department else None,
        "domain": req.domain.code if req.domain else None,
        "deadline": wo.deadline,
        "answer": wo.answer or None,
        "answered_at": wo.answered_at,
        "answer_dataset": {
            "code": answer_ds.code,
            "title": answer_ds.title,
            "url": f"/datasets/{slug_for_code(answer_ds.code)}/",
        }
        if answer_ds
        else None,
        "rating": wo.rating,
        "created_at": req.created_at,
        "url": f"/requests/{req.pk}/",
    }
