"""JSON twins of the workbench pages (/staff/, its queues, the auditor's search and timelines, and /me/)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Router

from kaifang.core.errors import NotAuthenticated, NotFound
from kaifang.core.http import DbInt, actor_for
from kaifang.portal import permissions as pperm
from kaifang.portal import workbench as wb

router = Router(tags=["workbench"])


def _user(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


def _staff(request: HttpRequest) -> Any:
    actor = _user(request)
    if not pperm.may_use_workbench(actor):
        raise NotFound()
    return actor


def _queue_out(spec: wb.QueueSpec, queue: wb.Queue) -> dict[str, Any]:
    return {**queue.as_dict(), "title": str(spec.title), "full_list": spec.url}


def _section_out(section: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": section["name"],
        "queues": [_queue_out(spec, queue) for spec, queue in section["queues"]],
    }
    if "health" in section:
        out["health"] = section["health"]
    if "indicators" in section:
        out["indicators"] = section["indicators"]
        out["read_only"] = True
    if "regions" in section:
        out["regions"] = [
            {"code": r["region"].code, "name": r["region"].name, "progress": r["progress"]}
            for r in section["regions"]
        ]
    return out


@router.get("/workbench", summary="工作台：按角色分区的待办队列（最早的在前）")
def workbench(request: HttpRequest) -> dict[str, Any]:
    actor = _staff(request)
    sections = pperm.workbench_sections(actor)
    return {"sections": [_section_out(wb.section(actor, name)) for name in sections]}


@router.get("/workbench/queue", summary="工作台的一个队列（全部，分页）")
def workbench_queue(request: HttpRequest, name: str, page: DbInt = 1) -> dict[str, Any]:
    actor = _user(request)
    spec = wb.QUEUES.get(name)
    if spec is None or (spec.section != "me" and spec.section not in pperm.workbench_sections(actor)):
        raise NotFound()
    number = wb.page_number(page)
    queue = spec.function(actor, limit=wb.PAGE, offset=(number - 1) * wb.PAGE)
    return {**_queue_out(spec, queue), "page": number, "num_pages": max(1, -(-queue.total // wb.PAGE))}


def _auditor(request: HttpRequest) -> Any:
    actor = _staff(request)
    if not pperm.may_audit(actor):
        raise NotFound()
    return actor


@router.get("/workbench/audit", summary="审计记录或调用日志检索（审计员）")
def audit(
    request: HttpRequest,
    tab: str = "events",
    user: str = "",
    key_prefix: str = "",
    dataset: str = "",
    action: str = "",
    date_from: str = "",
    date_to: str = "",
    page: DbInt = 1,
) -> dict[str, Any]:
    actor = _auditor(request)
    raw = {
        "user": user,
        "key_prefix": key_prefix,
        "dataset": dataset,
        "action": action,
        "from": date_from,
        "to": date_to,
    }
    # The page's own parameter names (from/to) are Python keywords; the HTML form's query string works too.
    raw.update({k: request.GET[k] for k in ("from", "to") if k in request.GET})
    params = wb.audit_params(raw)
    calls = tab == "calls"
    qs = wb.call_log_events(actor, params) if calls else wb.audit_events(actor, params)
    paginator = Paginator(qs, wb.AUDIT_PAGE)
    current = paginator.get_page(wb.page_number(page))
    convert = wb.call_log_dict if calls else wb.audit_event_dict
    return {
        "tab": "calls" if calls else "events",
        "count": paginator.count,
        "page": current.number,
        "num_pages": paginator.num_pages,
        "invalid": params["invalid"],
        "results": [convert(item) for item in current.object_list],
    }


@router.get("/workbench/audit/timeline", summary="某用户、API 密钥或数据资源的时间线（审计员）")
def audit_timeline(
    request: HttpRequest, user: str = "", key_prefix: str = "", dataset: str = "", page: DbInt = 1
) -> dict[str, Any]:
    actor = _auditor(request)
    given = {"user": user, "key_prefix": key_prefix, "dataset": dataset}
    kind = next((k for k in wb.TIMELINE_KINDS if given[k].strip()), None)
    if kind is None:
        raise NotFound()
    return wb.timeline(actor, kind, given[kind].strip()[:150], wb.page_number(page))


@router.get("/me/overview", summary="我的：申请、授权、诉求与工单、关注")
def me(request: HttpRequest) -> dict[str, Any]:
    actor = _user(request)
    return {
        "queues": [_queue_out(spec, spec.function(actor)) for spec in wb.queues_of("me")],
        "has_workbench": pperm.may_use_workbench(actor),
    }
