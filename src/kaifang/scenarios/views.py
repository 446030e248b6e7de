"""Scenario application pages: the public showcase (应用成果) and an application with the data it uses."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kaifang.core.errors import Forbidden, NotFound, ValidationFailed
from kaifang.portal.views import domain_errors
from kaifang.scenarios import permissions as perm
from kaifang.scenarios import selectors, services
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
        "mine": selectors.submitted_by(request.user),
        "may_submit": selectors.may_submit(request.user),
        "api_twin": "/api/v1/scenarios" + (f"?{urlencode(params)}" if params else ""),
    }
    return render(request, "scenarios/showcase.html", ctx)


@require_http_methods(["GET", "POST"])
@domain_errors
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.get_scenario_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "publish":
                services.scenario_publish(actor=request.user, app=app)
                messages.success(request, _("场景应用已发布。"))
            elif action == "withdraw":
                services.scenario_withdraw(actor=request.user, app=app, reason=request.POST.get("reason", ""))
                messages.success(request, _("场景应用已撤下。"))
            else:
                raise NotFound()
        except ValidationFailed as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, "；".join(str(v) for v in details.values()))
        return redirect("scenarios:detail", pk=app.pk)
    ctx = {
        "app": app,
        "datasets": selectors.datasets_of(request.user, app),
        "may_publish": perm.can_scenario_publish(request.user, app),
        "may_withdraw": perm.can_scenario_withdraw(request.user, app),
        "api_twin": f"/api/v1/scenarios/{app.pk}",
    }
    return render(request, "scenarios/detail.html", ctx)


@require_http_methods(["GET", "POST"])
@domain_errors
def submit(request: HttpRequest) -> HttpResponse:
    """Officers (for their department) and enterprises submit an application; a reviewer publishes it."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    department = selectors.provider_department_for(request.user)
    if not perm.can_scenario_create(request.user, department):
        raise Forbidden()
    ctx: dict[str, object] = {
        "scenarios": Scenario.choices,
        "data": {},
        "errors": {},
        "department": department,
    }
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in ("title", "summary", "scenario", "url")}
        data["datasets"] = [c for c in re.split(r"[\s,，、]+", request.POST.get("datasets", "")) if c]
        try:
            app = services.scenario_create(actor=request.user, data=data, department=department)
        except ValidationFailed as exc:
            ctx["data"] = data | {"datasets": "\n".join(data["datasets"])}
            ctx["errors"] = exc.details if isinstance(exc.details, dict) else {}
            return render(request, "scenarios/submit.html", ctx, status=422)
        messages.success(request, _("已提交，审核员发布后对公众可见。"))
        return redirect("scenarios:detail", pk=app.pk)
    return render(request, "scenarios/submit.html", ctx)
