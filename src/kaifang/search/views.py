"""Search pages: the suggestion list under the search box (htmx) and the resource graph."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kaifang.core.errors import DomainError, NotFound, ValidationFailed
from kaifang.portal.views import domain_errors, staff_required
from kaifang.search import selectors, services
from kaifang.search.permissions import can_search_index_repair, can_search_settings_update


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:64]
    ctx = {"q": q, "suggestions": selectors.suggest(request.user, q)}
    return render(request, "search/_suggest.html", ctx)


@require_GET
def graph(request: HttpRequest) -> HttpResponse:
    from kaifang.portal.selectors import domains_with_counts
    from kaifang.scenarios.selectors import scenarios_for

    params = {k: request.GET.get(k, "")[:40] for k in ("domain", "focus", "app") if request.GET.get(k)}
    if not params.get("app", "0").isdigit():
        params.pop("app")
    ctx = {
        "domain": params.get("domain", ""),
        "domains": [d for d in domains_with_counts() if getattr(d, "n", 1)],
        "focus": params.get("focus", ""),
        "app": params.get("app", ""),
        "apps": list(scenarios_for(request.user)[:200]),
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


def _posted_ranking(request: HttpRequest) -> tuple[dict[str, str], dict[str, str]]:
    from kaifang.search.documents import DEFAULT_BOOSTS, DEFAULT_WEIGHTS

    weights = {
        k: request.POST.get(f"w_{k}", "") for k in DEFAULT_WEIGHTS if request.POST.get(f"w_{k}", "") != ""
    }
    boosts = {
        k: request.POST.get(f"b_{k}", "") for k in DEFAULT_BOOSTS if request.POST.get(f"b_{k}", "") != ""
    }
    return weights, boosts


@domain_errors
@staff_required
@require_http_methods(["GET", "POST"])
def ranking(request: HttpRequest) -> HttpResponse:
    """Operators: field weights, the quality/freshness/use boosts, a preview, and the usage refresh."""
    if not can_search_settings_update(request.user):
        raise NotFound()
    ctx: dict[str, object] = {"api_twin": "/api/v1/search/ranking", "preview": None, "errors": {}}
    settings_now = selectors.ranking_settings()
    if request.method == "POST":
        action = request.POST.get("action", "")
        weights, boosts = _posted_ranking(request)
        try:
            if action == "preview":
                ctx["preview"] = selectors.ranking_preview(
                    request.user, request.POST.get("q", ""), weights, boosts
                )
                # Show the proposed values in the form again, not the saved ones.
                for row in settings_now["weights"]:
                    row["value"] = weights.get(row["name"], row["value"])
                for row in settings_now["boosts"]:
                    row["value"] = boosts.get(row["name"], row["value"])
            elif action in ("save", "reset"):
                if action == "reset":
                    weights, boosts = {}, {}
                services.search_settings_update(actor=request.user, weights=weights, boosts=boosts)
                messages.success(request, _("排序设置已保存，立即生效。"))
                return redirect("search:ranking")
            elif action == "refresh_usage":
                result = services.search_usage_refresh(actor=request.user, full=True)
                messages.success(
                    request, _("使用统计已更新：%(n)s 个数据资源。") % {"n": result["refreshed"]}
                )
                return redirect("search:ranking")
            else:
                raise NotFound()
        except ValidationFailed as exc:
            ctx["errors"] = exc.details if isinstance(exc.details, dict) else {}
    ctx["settings"] = settings_now
    ctx["q"] = request.POST.get("q", "") if request.method == "POST" else ""
    return render(request, "search/ranking.html", ctx, status=422 if ctx["errors"] else 200)
