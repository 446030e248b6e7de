"""Scenario application pages: the public showcase (应用成果) and an application with the data it uses."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kaifang.portal.views import domain_errors
from kaifang.scenarios import selectors
from kaifang.scenarios.models import Scenario


@require_GET
def showcase(request: HttpRequest) -> HttpResponse:
    scenario = request.GET.get("scenario", "")[:8]
    if scenario not in Scenario.values:
        scenario = ""
    q = request.GET.get("q", "")[:64].strip()
    apps = list(selectors.scenarios_for(request.user, scenario=scenario, q=q)[:500])
    params = {k: v for k, v in (("scenario", scenario), ("q", q)) if v}
    ctx = {
        "apps": apps,
        "scenario": scenario,
        "q": q,
        "scenarios": selectors.scenario_counts(request.user),
        "api_twin": "/api/v1/scenarios" + (f"?{urlencode(params)}" if params else ""),
    }
    return render(request, "scenarios/showcase.html", ctx)


@require_GET
@domain_errors
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.get_scenario_for(request.user, pk)
    ctx = {
        "app": app,
        "datasets": selectors.datasets_of(request.user, app),
        "api_twin": f"/api/v1/scenarios/{app.pk}",
    }
    return render(request, "scenarios/detail.html", ctx)
