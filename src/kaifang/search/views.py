"""Search pages: the suggestion list under the search box (htmx) and the resource graph."""

from __future__ import annotations

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

    domain = request.GET.get("domain", "")[:32]
    ctx = {
        "domain": domain,
        "domains": [d for d in domains_with_counts() if getattr(d, "n", 1)],
        "focus": request.GET.get("focus", "")[:64],
        "api_twin": "/api/v1/graph" + (f"?domain={domain}" if domain else ""),
    }
    return render(request, "search/graph.html", ctx)
