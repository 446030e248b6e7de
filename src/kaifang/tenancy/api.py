"""Organisations, regions, statistics and responsibility lists."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field as PydField

from kaifang.catalog.schemas import SAMPLE_LABEL, parse_date
from kaifang.catalog.selectors import stats
from kaifang.core.errors import NotAuthenticated, NotFound, ValidationFailed
from kaifang.core.http import DbInt, actor_for
from kaifang.tenancy import selectors, services
from kaifang.tenancy.models import Department, Region, ResponsibilityItem

router = Router(tags=["organizations"])


def department_out(d: Department) -> dict[str, Any]:
    out = {
        "uscc": d.uscc,
        "name": d.name,
        "short_name": d.short_name,
        "name_en": d.name_en,
        "region": {"code": d.region.code, "name": d.region.name},
        "is_cdo_pilot": d.is_cdo_pilot,
        "is_sample": d.is_sample,
        "sample_label": SAMPLE_LABEL if d.is_sample else None,
        "url": f"/organizations/{d.uscc}/",
    }
    for attr in ("listed", "cataloged", "overdue", "rate", "open_datasets"):
        if hasattr(d, attr):
            out[attr] = getattr(d, attr)
    return out


def region_out(r: Region) -> dict[str, Any]:
    out = {
        "code": r.code,
        "name": r.name,
        "name_en": r.name_en,
        "level": r.level,
        "parent": r.parent.code if r.parent_id and r.parent else None,
        "url": f"/regions/{r.code}/",
    }
    for attr in ("listed", "cataloged", "overdue", "rate"):
        if hasattr(r, attr):
            out[attr] = getattr(r, attr)
    return out


@router.get("/stats", summary="平台统计（开放数据集、领域、县市区、编目率）")
def get_stats(request: HttpRequest) -> dict[str, Any]:
    return stats()


@router.get("/organizations", summary="数据提供部门")
def list_organizations(request: HttpRequest, region: str = "") -> list[dict[str, Any]]:
    r = selectors.get_region(region) if region else None
    return [department_out(d) for d in selectors.departments_with_progress(r)]


@router.get("/organizations/{uscc}", summary="部门详情")
def get_organization(request: HttpRequest, uscc: str) -> dict[str, Any]:
    d = selectors.get_department(uscc)
    out = department_out(d)
    out["progress"] = selectors.cataloging_rate(department=d)
    if d.is_cdo_pilot:
        out["cdo"] = {"name": d.cdo_name, "notes": d.cdo_notes}
    return out


def cdo_out(d: Department) -> dict[str, Any]:
    return {**department_out(d), "cdo": {"name": d.cdo_name, "notes": d.cdo_notes}}


@router.get("/cdo-pilots", summary="首席数据官试点部门（业务数据、流程与职责）")
def list_cdo_pilots(request: HttpRequest) -> list[dict[str, Any]]:
    return [cdo_out(d) for d in selectors.cdo_pilots()]


class CdoIn(Schema):
    name: str = PydField("", max_length=64)
    notes: str = PydField("", max_length=8000)


@router.put("/organizations/{uscc}/cdo", summary="维护首席数据官及其业务数据、流程与职责")
def update_cdo(request: HttpRequest, uscc: str, payload: CdoIn) -> dict[str, Any]:
    actor = _authenticated(request)
    department = selectors.get_department(uscc[:32])
    return cdo_out(
        services.department_update_cdo(
            actor=actor, department=department, cdo_name=payload.name, cdo_notes=payload.notes
        )
    )


class CdoPilotIn(Schema):
    pilot: bool
    reason: str = PydField("", max_length=500)


@router.put("/organizations/{uscc}/cdo-pilot", summary="确定或取消首席数据官试点")
def designate_cdo_pilot(request: HttpRequest, uscc: str, payload: CdoPilotIn) -> dict[str, Any]:
    actor = _authenticated(request)
    department = selectors.get_department(uscc[:32])
    return cdo_out(
        services.department_designate_cdo_pilot(
            actor=actor, department=department, pilot=payload.pilot, reason=payload.reason
        )
    )


@router.get("/regions", summary="行政区划（市、县市区、高新区）")
def list_regions(request: HttpRequest) -> list[dict[str, Any]]:
    return [region_out(r) for r in selectors.regions_with_progress()]


@router.get("/regions/{code}", summary="区划详情")
def get_region(request: HttpRequest, code: str) -> dict[str, Any]:
    r = selectors.get_region(code)
    out = region_out(r)
    out["progress"] = selectors.cataloging_rate(region=r)
    return out


class ResponsibilityIn(Schema):
    department: str = PydField(max_length=32)
    title: str = PydField(max_length=1000)
    domain: str = PydField(max_length=32)
    due_date: str = PydField(max_length=10)
    notes: str = PydField("", max_length=2000)


def item_out(i: ResponsibilityItem) -> dict[str, Any]:
    return {
        "id": i.pk,
        "department": i.department.uscc,
        "department_name": i.department.name,
        "title": i.title,
        "domain": i.domain.code,
        "due_date": i.due_date.isoformat(),
        "dataset": i.dataset.code if i.dataset_id else None,
        "cataloged": bool(i.dataset_id and i.dataset.is_cataloged),
    }


def _authenticated(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


@router.get("/responsibilities", summary="责任清单")
def list_responsibilities(request: HttpRequest, overdue: bool = False) -> list[dict[str, Any]]:
    qs = selectors.responsibility_items_for(_authenticated(request))
    if overdue:
        qs = selectors.overdue_items(qs)
    return [item_out(i) for i in qs[:2000]]


@router.post("/responsibilities", response={201: dict}, summary="新增责任清单条目")
def create_responsibility(request: HttpRequest, payload: ResponsibilityIn) -> tuple[int, dict[str, Any]]:
    actor = _authenticated(request)
    due = parse_date(payload.due_date)
    if due is None:
        raise ValidationFailed(details={"due_date": "完成期限须为 YYYY-MM-DD 格式的日期。"})
    item = services.responsibility_item_create(
        actor=actor,
        department=selectors.get_department(payload.department),
        title=payload.title,
        domain_code=payload.domain,
        due_date=due,
        notes=payload.notes,
    )
    return 201, item_out(item)


@router.delete("/responsibilities/{item_id}", summary="删除责任清单条目")
def delete_responsibility(request: HttpRequest, item_id: DbInt, reason: str = "") -> dict[str, Any]:
    actor = _authenticated(request)
    item = selectors.responsibility_items_for(actor).filter(pk=item_id).first()
    if item is None:
        raise NotFound()
    services.responsibility_item_delete(actor=actor, item=item, reason=reason)
    return {"deleted": item_id}
