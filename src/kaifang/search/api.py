"""Search API v1: full-text search with snippets, suggestions, the resource graph, related datasets,
and the operators' index tools."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field as PydField

from kaifang.catalog import selectors as csel
from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.permissions import may_view_staff_catalogs
from kaifang.core.errors import NotAuthenticated, NotFound
from kaifang.core.http import DbInt, actor_for
from kaifang.search import selectors, services
from kaifang.search.permissions import can_search_index_repair, can_search_settings_update
from kaifang.search.schemas import SearchFilters, SynonymIn, hit_out, related_out

router = Router(tags=["search"])


def _authenticated(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


@router.get("/search", summary="全文检索（分词、同义词、拼音，含高亮与分面）")
def search(request: HttpRequest, filters: Query[SearchFilters]) -> dict[str, Any]:
    actor = actor_for(request)
    if filters.catalog != "open" and not may_view_staff_catalogs(actor):
        raise NotFound()
    result = csel.browse(actor, csel.BrowseQuery(**filters.dict()))
    snippets = selectors.snippets(result["results"], filters.q)
    return {
        "count": result["count"],
        "page": result["page"],
        "page_size": result["page_size"],
        "num_pages": result["num_pages"],
        "did_you_mean": selectors.did_you_mean(actor, filters.q),
        "results": [hit_out(d, snippets[d.pk]) for d in result["results"]],
        "facets": result["facets"],
    }


class SuggestQuery(Schema):
    q: str = PydField("", max_length=64)


@router.get("/search/suggest", summary="输入提示")
def suggest(request: HttpRequest, params: Query[SuggestQuery]) -> dict[str, Any]:
    items = selectors.suggest(actor_for(request), params.q)
    return {"q": params.q, "suggestions": [s.as_dict() for s in items]}


@router.get("/graph", summary="数据资源图谱")
def graph(
    request: HttpRequest, domain: str = "", focus: str = "", app: DbInt | None = None, limit: int = 300
) -> dict[str, Any]:
    """`domain` narrows to one domain; `focus` (a dataset code) shows it with its related datasets;
    `app` (a scenario application id) the datasets that application uses."""
    return selectors.graph(actor_for(request), domain=domain[:32], limit=limit, focus=focus[:40], app=app)


@router.get("/datasets/{slug}/related", summary="相关数据资源")
def related(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    actor = actor_for(request)
    ds = csel.get_dataset_for(actor, code_from_slug(slug))
    return related_out(selectors.related_datasets(actor, ds))


@router.get("/search/index", summary="索引状态（运营）")
def index_status(request: HttpRequest) -> dict[str, Any]:
    actor = _authenticated(request)
    if not can_search_index_repair(actor):
        raise NotFound()
    return selectors.index_status()


@router.post("/search/index/repair", summary="修复索引与目录的差异（运营）")
def index_repair(request: HttpRequest) -> dict[str, Any]:
    return services.search_index_repair(actor=_authenticated(request))


@router.post("/search/index/rebuild", summary="重建索引，不中断检索（运营）")
def index_rebuild(request: HttpRequest) -> dict[str, Any]:
    return services.search_index_rebuild(actor=_authenticated(request))


@router.post("/search/synonyms", response={201: dict}, summary="新增同义词组（运营）")
def synonym_add(request: HttpRequest, payload: SynonymIn) -> tuple[int, dict[str, Any]]:
    syn = services.synonym_add(actor=_authenticated(request), terms=payload.terms)
    return 201, {"id": syn.pk, "terms": syn.terms}


@router.get("/search/synonyms", summary="同义词组（运营）")
def synonym_list(request: HttpRequest) -> dict[str, Any]:
    actor = _authenticated(request)
    if not can_search_index_repair(actor):
        raise NotFound()
    groups = selectors.synonym_groups()
    return {
        "builtin": groups["builtin"],
        "custom": [{"id": s.pk, "terms": s.terms} for s in groups["custom"]],
    }


@router.delete("/search/synonyms/{pk}", response={204: None}, summary="删除同义词组（运营）")
def synonym_delete(request: HttpRequest, pk: DbInt) -> tuple[int, None]:
    actor = _authenticated(request)
    if not can_search_index_repair(actor):
        raise NotFound()
    services.synonym_delete(actor=actor, synonym=selectors.get_synonym(pk))
    return 204, None


class RankingIn(Schema):
    weights: dict[str, float] = PydField(default_factory=dict)
    boosts: dict[str, float] = PydField(default_factory=dict)


class PreviewIn(RankingIn):
    q: str = PydField(max_length=64)


def _operator(request: HttpRequest) -> Any:
    actor = _authenticated(request)
    if not can_search_settings_update(actor):
        raise NotFound()
    return actor


@router.get("/search/ranking", summary="排序权重与加权（运营）")
def ranking_get(request: HttpRequest) -> dict[str, Any]:
    _operator(request)
    return selectors.ranking_settings()


@router.put("/search/ranking", summary="修改排序权重与加权，立即生效（运营）")
def ranking_put(request: HttpRequest, payload: RankingIn) -> dict[str, Any]:
    actor = _operator(request)
    services.search_settings_update(actor=actor, weights=payload.weights, boosts=payload.boosts)
    return selectors.ranking_settings()


@router.post("/search/ranking/preview", summary="预览新排序下的检索结果，不保存（运营）")
def ranking_preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    actor = _operator(request)
    return selectors.ranking_preview(actor, payload.q, payload.weights, payload.boosts)


@router.post("/search/usage/refresh", summary="把调用与下载次数、元数据质量计入检索排序（运营）")
def usage_refresh(request: HttpRequest, full: bool = False) -> dict[str, Any]:
    return services.search_usage_refresh(actor=_authenticated(request), full=full)
