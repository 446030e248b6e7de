"""Catalog API v1: browse the three catalogs, read entries, and drive the review workflow."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field as PydField

from kaifang.catalog import selectors, services
from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.importing import parse_upload
from kaifang.catalog.models import DuplicateFlag
from kaifang.catalog.permissions import may_view_staff_catalogs, review_queue_for
from kaifang.catalog.schemas import ActionIn, DatasetIn, SettleIn, dataset_out, dataset_summary, history_out
from kaifang.core.errors import NotAuthenticated, NotFound
from kaifang.core.http import DbInt, actor_for
from kaifang.tenancy.selectors import get_department

router = Router(tags=["catalog"])


class DatasetFilters(Schema):
    catalog: str = PydField(
        "open", pattern="^(open|sharing|resource)$", description="open / sharing / resource"
    )
    q: str = PydField("", max_length=200)
    domain: str = PydField("", max_length=32)
    department: str = PydField("", max_length=32, description="提供方统一社会信用代码")
    region: str = PydField("", max_length=12)
    open_attribute: str = PydField("", max_length=16)
    format: str = PydField("", max_length=16)
    update_frequency: str = PydField("", max_length=16)
    theme: str = PydField("", max_length=16)
    page: int = PydField(1, ge=1, le=100000)
    page_size: int = PydField(20, ge=1, le=100)


def _authenticated(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


def _dataset(request: HttpRequest, slug: str) -> Any:
    return selectors.get_dataset_for(actor_for(request), code_from_slug(slug))


@router.get("/datasets", summary="数据资源列表（含分面）")
def list_datasets(request: HttpRequest, filters: Query[DatasetFilters]) -> dict[str, Any]:
    """Search and filter a catalog. `open` is public; `sharing` and `resource` need a staff account."""
    actor = actor_for(request)
    if filters.catalog != "open" and not may_view_staff_catalogs(actor):
        raise NotFound()
    result = selectors.browse(actor, selectors.BrowseQuery(**filters.dict()))
    return {
        "count": result["count"],
        "page": result["page"],
        "page_size": result["page_size"],
        "num_pages": result["num_pages"],
        "results": [dataset_summary(d) for d in result["results"]],
        "facets": result["facets"],
    }


@router.get("/datasets/{slug}", summary="数据资源详情")
def get_dataset(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One entry with its fields and distributions. `slug` is the code with '/' written as '-'."""
    ds = _dataset(request, slug)
    from kaifang.catalog.permissions import can_dataset_update

    return dataset_out(ds, include_pending=can_dataset_update(actor_for(request), ds))


@router.get("/datasets/{slug}/history", summary="数据资源变更记录")
def dataset_history(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """Newest first. The staff responsible for the dataset see every event; anyone else its public events
    (publication, withdrawal, published versions, rollbacks, the public sample), with no reviews, pending
    changes, unpublished versions or privacy gate decisions."""
    ds = _dataset(request, slug)
    return history_out(selectors.history_for(actor_for(request), ds))


@router.post("/datasets", response={201: dict}, summary="注册数据资源（草稿）")
def register_dataset(request: HttpRequest, payload: DatasetIn) -> tuple[int, dict[str, Any]]:
    actor = _authenticated(request)
    department = get_department(payload.department or "")
    ds = services.dataset_register(actor=actor, department=department, data=payload.dict())
    return 201, dataset_out(ds, include_pending=True)


@router.put("/datasets/{slug}", summary="修改数据资源")
def update_dataset(request: HttpRequest, slug: str, payload: DatasetIn) -> dict[str, Any]:
    actor = _authenticated(request)
    ds = services.dataset_update(
        actor=actor,
        dataset=_dataset(request, slug),
        data=payload.dict(),
        lock_version=payload.lock_version,
        reason=payload.reason,
    )
    return dataset_out(ds, include_pending=True)


def _action(request: HttpRequest, slug: str, payload: ActionIn, service: Any, **extra: Any) -> dict[str, Any]:
    actor = _authenticated(request)
    ds = service(actor=actor, dataset=_dataset(request, slug), **extra)
    return dataset_out(ds, include_pending=True)


@router.post("/datasets/{slug}/submit", summary="提交审核")
def submit_dataset(request: HttpRequest, slug: str, payload: ActionIn) -> dict[str, Any]:
    return _action(
        request,
        slug,
        payload,
        services.dataset_submit,
        reason=payload.reason,
        lock_version=payload.lock_version,
    )


@router.post("/datasets/{slug}/review-start", summary="开始审核")
def start_review(request: HttpRequest, slug: str, payload: ActionIn) -> dict[str, Any]:
    return _action(request, slug, payload, services.dataset_review_start)


@router.post("/datasets/{slug}/publish", summary="审核通过并发布")
def publish_dataset(request: HttpRequest, slug: str, payload: ActionIn) -> dict[str, Any]:
    return _action(
        request,
        slug,
        payload,
        services.dataset_publish,
        reason=payload.reason,
        lock_version=payload.lock_version,
    )


@router.post("/datasets/{slug}/return", summary="退回（须说明理由）")
def return_dataset(request: HttpRequest, slug: str, payload: ActionIn) -> dict[str, Any]:
    return _action(
        request,
        slug,
        payload,
        services.dataset_return,
        reason=payload.reason,
        lock_version=payload.lock_version,
    )


@router.post("/datasets/{slug}/withdraw", summary="撤回已发布的数据资源")
def withdraw_dataset(request: HttpRequest, slug: str, payload: ActionIn) -> dict[str, Any]:
    return _action(
        request,
        slug,
        payload,
        services.dataset_withdraw,
        reason=payload.reason,
        lock_version=payload.lock_version,
    )


@router.post("/datasets/{slug}/reopen", summary="重新编辑已撤回的数据资源")
def reopen_dataset(request: HttpRequest, slug: str, payload: ActionIn) -> dict[str, Any]:
    return _action(request, slug, payload, services.dataset_reopen, reason=payload.reason)


@router.get("/review-queue", summary="待审核队列")
def review_queue(request: HttpRequest) -> list[dict[str, Any]]:
    actor = _authenticated(request)
    qs = review_queue_for(actor).select_related("department", "region", "domain")[:500]
    return [dataset_summary(d) for d in qs]


@router.post("/duplicates/{flag_id}/settle", summary="裁定权威来源（一数一源）")
def settle_duplicate(request: HttpRequest, flag_id: DbInt, payload: SettleIn) -> dict[str, Any]:
    actor = _authenticated(request)
    flag = DuplicateFlag.objects.select_related("dataset", "other").filter(pk=flag_id).first()
    if flag is None:
        raise NotFound()
    authoritative = selectors.get_dataset_for(actor, code_from_slug(payload.authoritative))
    flag = services.duplicate_settle(
        actor=actor, flag=flag, authoritative=authoritative, reason=payload.reason
    )
    return {"id": flag.pk, "status": flag.status, "authoritative": flag.authoritative.code}


@router.post(
    "/catalog/import", response={201: dict}, summary="导入目录（JSON/CSV/XLSX，全部成功或全部不保存）"
)
def import_catalog(
    request: HttpRequest, file: File[UploadedFile], publish: Form[bool] = False
) -> tuple[int, dict[str, Any]]:
    actor = _authenticated(request)
    rows = parse_upload(file.name or "", file.read(20 * 1024 * 1024 + 1))
    created = services.catalog_import(actor=actor, rows=rows, publish=publish)
    return 201, {"count": len(created), "codes": [d.code for d in created]}
