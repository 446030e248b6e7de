"""The interaction API v1: requests, comments and ratings, follows, error reports. Missing and not-visible
look alike (404)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from kaifang.accounts.security import client_address
from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.models import Concept
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import NotAuthenticated, ValidationFailed
from kaifang.core.http import DbInt, actor_for
from kaifang.interaction import selectors, services
from kaifang.interaction.schemas import (
    CommentIn,
    ErrorReportIn,
    ModerateIn,
    RateIn,
    ReasonIn,
    RequestIn,
    TextIn,
    comment_out,
    moderation_out,
    request_out,
)

router = Router(tags=["interaction"])
SHOWN = 200


def _user(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


def _dataset(actor: Any, slug: str) -> Any:
    return get_dataset_for(actor, code_from_slug(slug))


@router.get("/requests", summary="诉求公开列表（数据需求、咨询、建议、投诉）")
def list_requests(
    request: HttpRequest,
    kind: str = "",
    status: str = "",
    department: str = "",
    domain: str = "",
    page: str = "1",
) -> dict[str, Any]:
    actor = actor_for(request)
    query = selectors.RequestQuery.parse(
        {"kind": kind, "status": status, "department": department, "domain": domain, "page": page}
    )
    result = selectors.public_requests_page(query)
    return {**result, "items": [request_out(r, actor) for r in result["items"]]}


@router.get("/requests/{request_id}", summary="诉求详情（状态与答复）")
def get_request(request: HttpRequest, request_id: DbInt) -> dict[str, Any]:
    actor = actor_for(request)
    return request_out(selectors.get_request_for(actor, request_id), actor)


@router.post("/requests", response={201: dict}, summary="提交诉求")
def submit_request(request: HttpRequest, payload: RequestIn) -> tuple[int, dict[str, Any]]:
    from kaifang.tenancy.models import Department

    actor = _user(request)
    department = domain = None
    if payload.department is not None:
        department = Department.objects.filter(pk=payload.department).first()
        if department is None:
            raise ValidationFailed(details={"department": _("没有该部门。")})
    if payload.domain:
        domain = Concept.objects.filter(
            scheme=Concept.Scheme.DOMAIN, code=selectors.domain_code(payload.domain)
        ).first()
        if domain is None:
            raise ValidationFailed(details={"domain": _("没有该数据领域。")})
    req = services.public_request_submit(
        actor=actor,
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        purpose=payload.purpose,
        department=department,
        domain=domain,
        show_name=payload.show_name,
        address=client_address(request),
    )
    return 201, request_out(req, actor)


def _requester_act(request: HttpRequest, request_id: int, service: Any, **kwargs: Any) -> dict[str, Any]:
    actor = _user(request)
    req = service(actor=actor, request=selectors.get_request_for(actor, request_id), **kwargs)
    return request_out(selectors.get_request_for(actor, req.pk), actor)


@router.post("/requests/{request_id}/reopen", summary="对答复不满意，重新办理")
def reopen_request(request: HttpRequest, request_id: DbInt, payload: ReasonIn) -> dict[str, Any]:
    return _requester_act(request, request_id, services.public_request_reopen, reason=payload.reason)


@router.post("/requests/{request_id}/close", summary="办结")
def close_request(request: HttpRequest, request_id: DbInt) -> dict[str, Any]:
    return _requester_act(request, request_id, services.public_request_close)


@router.post("/requests/{request_id}/rate", summary="满意度评价")
def rate_request(request: HttpRequest, request_id: DbInt, payload: RateIn) -> dict[str, Any]:
    return _requester_act(
        request, request_id, services.public_request_rate, rating=payload.rating, comment=payload.comment
    )


@router.post("/requests/{request_id}/withdraw", summary="撤回诉求")
def withdraw_request(request: HttpRequest, request_id: DbInt, payload: ReasonIn) -> dict[str, Any]:
    return _requester_act(request, request_id, services.public_request_withdraw, reason=payload.reason)


@router.get("/datasets/{slug}/comments", summary="数据资源的评分与公开评论")
def list_comments(request: HttpRequest, slug: str) -> dict[str, Any]:
    actor = actor_for(request)
    ds = _dataset(actor, slug)
    return {
        "rating": selectors.rating_summary(ds),
        "followers": selectors.follower_count(ds),
        "following": selectors.is_following(actor, ds),
        "items": [comment_out(c, actor) for c in selectors.comments_for(actor, ds)[:SHOWN]],
    }


@router.post("/datasets/{slug}/comments", response={201: dict}, summary="评论并评分（审核后公开）")
def submit_comment(request: HttpRequest, slug: str, payload: CommentIn) -> tuple[int, dict[str, Any]]:
    actor = _user(request)
    ds = _dataset(actor, slug)
    comment = services.comment_submit(
        actor=actor, dataset=ds, text=payload.text, rating=payload.rating, address=client_address(request)
    )
    return 201, comment_out(comment, actor)


@router.post("/datasets/{slug}/follow", summary="关注数据资源")
def follow(request: HttpRequest, slug: str) -> dict[str, Any]:
    actor = _user(request)
    ds = _dataset(actor, slug)
    services.dataset_follow(actor=actor, dataset=ds)
    return {"dataset": ds.code, "following": True, "followers": selectors.follower_count(ds)}


@router.delete("/datasets/{slug}/follow", summary="取消关注")
def unfollow(request: HttpRequest, slug: str) -> dict[str, Any]:
    actor = _user(request)
    ds = _dataset(actor, slug)
    services.dataset_unfollow(actor=actor, dataset=ds)
    return {"dataset": ds.code, "following": False, "followers": selectors.follower_count(ds)}


@router.post("/datasets/{slug}/error-reports", response={201: dict}, summary="数据纠错")
def submit_error_report(
    request: HttpRequest, slug: str, payload: ErrorReportIn
) -> tuple[int, dict[str, Any]]:
    actor = _user(request)
    ds = _dataset(actor, slug)
    report = services.error_report_submit(
        actor=actor,
        dataset=ds,
        description=payload.description,
        field=payload.field,
        row_reference=payload.row_reference,
        address=client_address(request),
    )
    wo = report.work_order
    return 201, {
        "id": report.pk,
        "dataset": ds.code,
        "field": report.field_name or None,
        "row_reference": report.row_reference or None,
        "description": report.description,
        "work_order": {"id": wo.pk, "code": wo.code, "state": wo.state, "deadline": wo.deadline},
    }


@router.get("/comments/moderation", summary="待审核评论（先到先审）")
def moderation_queue(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _user(request)
    return [moderation_out(c) for c in selectors.moderation_queue(actor)[:SHOWN]]


@router.get("/comments/{comment_id}", summary="评论详情")
def get_comment(request: HttpRequest, comment_id: DbInt) -> dict[str, Any]:
    actor = actor_for(request)
    return comment_out(selectors.get_comment_for(actor, comment_id), actor)


@router.post("/comments/{comment_id}/moderate", summary="审核评论：公开或不予公开（须说明理由）")
def moderate(request: HttpRequest, comment_id: DbInt, payload: ModerateIn) -> dict[str, Any]:
    actor = _user(request)
    comment = services.comment_moderate(
        actor=actor,
        comment=selectors.get_comment_for(actor, comment_id),
        decision=payload.decision,
        reason=payload.reason,
    )
    return moderation_out(comment)


@router.post("/comments/{comment_id}/reply", summary="部门回复评论（随评论公开）")
def reply(request: HttpRequest, comment_id: DbInt, payload: TextIn) -> dict[str, Any]:
    actor = _user(request)
    comment = services.comment_reply(
        actor=actor, comment=selectors.get_comment_for(actor, comment_id), text=payload.text
    )
    return moderation_out(comment)
