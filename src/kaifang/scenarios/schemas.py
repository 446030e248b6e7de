"""API schemas and the one serialisation of a scenario application, shared by the API and the pages."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.catalog.codes import slug_for_code


class ScenarioIn(Schema):
    title: str = PydField(max_length=200)
    summary: str = PydField(max_length=4000)
    scenario: str = PydField(max_length=8)
    url: str = PydField("", max_length=500)
    datasets: list[str] = PydField(default_factory=list, max_length=200)
    department: str = PydField("", max_length=18, description="提供部门的统一社会信用代码（部门用户）")


class ScenarioPatch(Schema):
    title: str | None = PydField(None, max_length=200)
    summary: str | None = PydField(None, max_length=4000)
    scenario: str | None = PydField(None, max_length=8)
    url: str | None = PydField(None, max_length=500)
    datasets: list[str] | None = PydField(None, max_length=200)


class WithdrawIn(Schema):
    reason: str = PydField(max_length=2000)


def scenario_out(app: Any, datasets: list[Any] | None = None) -> dict[str, Any]:
    out = {
        "id": app.pk,
        "title": app.title,
        "summary": app.summary,
        "scenario": app.scenario,
        "scenario_label": str(app.get_scenario_display()),
        "provider": app.provider_name,
        "url": app.url,
        "status": app.status,
        "is_sample": app.is_sample,
        "published_at": app.published_at.isoformat() if app.published_at else None,
        "page": f"/applications/{app.pk}/",
    }
    if datasets is not None:
        out["datasets"] = [
            {"code": d.code, "title": d.title, "url": f"/datasets/{slug_for_code(d.code)}/"} for d in datasets
        ]
    return out
