"""Search pages: the suggestion list under the search box (htmx) and the resource graph."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kaifang.core.errors import DomainError, NotFound
from kaifang.portal.views import domain_errors, staff_required
from kaifang.search import selectors, services
from kaifang.search.permissions import can_search_index_repair


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


@domain_errors
@staff_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """Operators: index status, repair, rebuild, and the synonym list."""
    if not can_search_index_repair(request.user):
        raise NotFound()
    if request.method == "POST":
        return _manage_action(request)
    ctx = {
        "status": selectors.index_status(),
        "synonyms": selectors.synonym_groups(),
        "api_twin": "/api/v1/search/index",
    }
    return render(request, "search/manage.html", ctx)


def _manage_action(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action == "repair":
            result = services.search_index_repair(actor=request.user)
            messages.success(
                request,
                _("索引已修复：%(n)s 处差异。")
                % {"n": result["missing"] + result["stale"] + result["extra"]},
            )
        elif action == "rebuild":
            result = services.search_index_rebuild(actor=request.user)
            messages.success(request, _("索引已重建：%(n)s 个数据资源。") % {"n": result["indexed"]})
        elif action == "synonym_add":
            services.synonym_add(actor=request.user, terms=request.POST.get("terms", ""))
            messages.success(request, _("已添加同义词组。"))
        elif action == "synonym_delete":
            services.synonym_delete(actor=request.user, synonym=selectors.get_synonym(request.POST.get("id")))
            messages.success(request, _("已删除同义词组。"))
        else:
            raise NotFound()
    except NotFound:
        raise
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        messages.error(request, "；".join(str(v) for v in details.values()) or str(exc.message))
    return redirect("search:manage")
