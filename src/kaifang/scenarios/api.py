"""Scenario applications API v1: the showcase (public) and the submit/publish workflow."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field as PydField

from kaifang.core.errors import NotAuthenticated
from kaifang.core.http import actor_for
from kaifang.scenarios import selectors, services
from kaifang.scenarios.schemas import ScenarioIn, ScenarioPatch, WithdrawIn, scenario_out

router = Router(tags=["scenarios"])


def _authenticated(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


class ScenarioFilters(Schema):
    scenario: str = PydField("", max_length=8, description="SC1–SC16")
    q: str = PydField("", max_length=64)
    status: str = PydField(
        "published", max_length=16, description="draft / published / withdrawn（提供方与审核员）"
    )


@router.get("/scenarios", summary="场景应用")
def scenario_list(request: HttpRequest, filters: Query[ScenarioFilters]) -> dict[str, Any]:
    actor = actor_for(request)
    qs = selectors.scenarios_for(actor, scenario=filters.scenario, q=filters.q, status=filters.status)
    apps = list(qs[:500])
    return {
        "count": len(apps),
        "scenarios": selectors.scenario_counts(actor),
        "results": [scenario_out(a, selectors.datasets_of(actor, a)) for a in apps],
    }


@router.get("/scenarios/{pk}", summary="场景应用详情（含所用数据资源）")
def scenario_detail(request: HttpRequest, pk: str) -> dict[str, Any]:
    actor = actor_for(request)
    app = selectors.get_scenario_for(actor, pk)
    return scenario_out(app, selectors.datasets_of(actor, app))


@router.post("/scenarios", response={201: dict}, summary="提交场景应用（部门或企业）")
def scenario_create(request: HttpRequest, payload: ScenarioIn) -> tuple[int, dict[str, Any]]:
    actor = _authenticated(request)
    department = selectors.provider_department_for(actor, payload.department)
    data = payload.dict(exclude={"department"})
    app = services.scenario_create(actor=actor, data=data, department=department)
    return 201, scenario_out(app, selectors.datasets_of(actor, app))


@router.patch("/scenarios/{pk}", summary="修改场景应用")
def scenario_update(request: HttpRequest, pk: str, payload: ScenarioPatch) -> dict[str, Any]:
    actor = _authenticated(request)
    app = selectors.get_scenario_for(actor, pk)
    app = services.scenario_update(actor=actor, app=app, data=payload.dict(exclude_none=True))
    return scenario_out(app, selectors.datasets_of(actor, app))


@router.post("/scenarios/{pk}/publish", summary="发布场景应用（审核员、运营）")
def scenario_publish(request: HttpRequest, pk: str) -> dict[str, Any]:
    actor = _authenticated(request)
    app = services.scenario_publish(actor=actor, app=selectors.get_scenario_for(actor, pk))
    return scenario_out(app)


@router.post("/scenarios/{pk}/withdraw", summary="撤下场景应用")
def scenario_withdraw(request: HttpRequest, pk: str, payload: WithdrawIn) -> dict[str, Any]:
    actor = _authenticated(request)
    app = services.scenario_withdraw(
        actor=actor, app=selectors.get_scenario_for(actor, pk), reason=payload.reason
    )
    return scenario_out(app)
