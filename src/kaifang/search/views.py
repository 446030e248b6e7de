"""Search pages: the suggestion list under the search box (htmx) and the resource graph."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kaifang.search import selectors


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:64]
    ctx = {"q": q, "suggestions": selectors.suggest(request.user, q)}
    return render(request, "search/_suggest.html", ctx)


@require_GET
def graph(request: HttpRequest) -> HttpResponse:
    from kaifang.portal.selectors import domains_with_counts

    params = {k: request.GET.get(k, "")[:40] for k in ("domain", "focus") if request.GET.get(k)}
    ctx = {
        "domain": params.get("domain", ""),
        "domains": [d for d in domains_with_counts() if getattr(d, "n", 1)],
        "focus": params.get("focus", ""),
        "api_twin": "/api/v1/graph" + (f"?{urlencode(params)}" if params else ""),
    }
    return render(request, "search/graph.html", ctx)
