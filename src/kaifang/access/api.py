"""Conditional access API: apply, decide, use, report. Missing and not-yours look alike (404)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router

from kaifang.access import selectors, services
from kaifang.access.models import AccessGrant
from kaifang.access.schemas import ApplicationIn, ApproveIn, ReportIn, TextIn, application_out, grant_out
from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import NotAuthenticated, NotFound, ValidationFailed
from kaifang.core.http import DbInt, actor_for

router = Router(tags=["access"])


def _user(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


@router.post("/datasets/{slug}/applications", response={201: dict}, summary="申请使用有条件开放数据")
def submit(request: HttpRequest, slug: str, payload: ApplicationIn) -> tuple[int, dict[str, Any]]:
    actor = _user(request)
    dataset = get_dataset_for(actor, code_from_slug(slug))
    app = services.access_application_submit(actor=actor, dataset=dataset, data=payload.dict())
    return 201, application_out(app)


@router.get("/applications", summary="我的申请，或本部门待办（queue=true）")
def list_applications(request: HttpRequest, queue: bool = False) -> list[dict[str, Any]]:
    return [application_out(a) for a in selectors.applications_for(_user(request), queue=queue)[:500]]


@router.get("/applications/{app_id}", summary="申请详情")
def get_application(request: HttpRequest, app_id: DbInt) -> dict[str, Any]:
    return application_out(selectors.get_application_for(_user(request), app_id))


def _act(request: HttpRequest, app_id: DbInt, service: Any, **kwargs: Any) -> dict[str, Any]:
    actor = _user(request)
    result = service(actor=actor, application=selectors.get_application_for(actor, app_id), **kwargs)
    app = result.application if isinstance(result, AccessGrant) else result
    return application_out(app)


@router.post("/applications/{app_id}/request-info", summary="要求补充材料")
def request_info(request: HttpRequest, app_id: DbInt, payload: TextIn) -> dict[str, Any]:
    return _act(request, app_id, services.access_application_request_info, question=payload.text)


@router.post("/applications/{app_id}/answer", summary="补充材料")
def answer(request: HttpRequest, app_id: DbInt, payload: TextIn) -> dict[str, Any]:
    return _act(request, app_id, services.access_application_answer, answer=payload.text)


@router.post("/applications/{app_id}/approve", summary="批准（可缩小范围）")
def approve(request: HttpRequest, app_id: DbInt, payload: ApproveIn) -> dict[str, Any]:
    until = None
    if payload.valid_until:
        try:
            until = datetime.date.fromisoformat(payload.valid_until)
        except ValueError:
            raise ValidationFailed(details={"valid_until": "请填写 YYYY-MM-DD 格式的日期。"}) from None
    return _act(
        request,
        app_id,
        services.access_application_approve,
        fields=payload.fields,
        row_filter=payload.row_filter,
        valid_until=until,
        rate_limit_per_minute=payload.rate_limit_per_minute,
        reason=payload.reason,
    )


@router.post("/applications/{app_id}/reject", summary="驳回（须说明理由）")
def reject(request: HttpRequest, app_id: DbInt, payload: TextIn) -> dict[str, Any]:
    return _act(request, app_id, services.access_application_reject, reason=payload.text)


@router.post("/applications/{app_id}/withdraw", summary="撤回申请")
def withdraw(request: HttpRequest, app_id: DbInt) -> dict[str, Any]:
    return _act(request, app_id, services.access_application_withdraw)


def _grant(request: HttpRequest, grant_id: DbInt) -> tuple[Any, AccessGrant]:
    actor = _user(request)
    grant = AccessGrant.objects.select_related("dataset", "application").filter(pk=grant_id).first()
    if grant is None:
        raise NotFound()
    selectors.get_application_for(actor, grant.application_id)  # 404 unless the actor may see the case
    return actor, grant


@router.post("/grants/{grant_id}/revoke", summary="吊销授权")
def revoke(request: HttpRequest, grant_id: DbInt, payload: TextIn) -> dict[str, Any]:
    actor, grant = _grant(request, grant_id)
    return grant_out(services.access_grant_revoke(actor=actor, grant=grant, reason=payload.text))


@router.post("/grants/{grant_id}/reports", response={201: dict}, summary="提交数据利用报告")
def report(request: HttpRequest, grant_id: DbInt, payload: ReportIn) -> tuple[int, dict[str, Any]]:
    actor, grant = _grant(request, grant_id)
    services.usage_report_submit(actor=actor, grant=grant, summary=payload.summary, outcomes=payload.outcomes)
    grant.refresh_from_db()
    return 201, grant_out(grant)
