"""Reads of search: ranked matches for the catalog browse, suggestions, snippets, did-you-mean.

The index only ranks; what an actor may see is always decided by the database (catalog.permissions),
so a result can never show a dataset the actor may not see, whatever the index holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import CharField, IntegerField, QuerySet, Value
from django.db.models.functions import Cast, Concat, StrIndex
from django.utils.translation import gettext_lazy

from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.permissions import catalog_queryset
from kaifang.core.memo import GenerationMemo
from kaifang.search import documents as D
from kaifang.search import indexing
from kaifang.search import text as T
from kaifang.search.backends import Hit, SearchResult, get_backend
from kaifang.search.documents import version_of
from kaifang.search.models import IndexOutbox, RankingSettings, Synonym

# Ranked ids considered per query; facets and counts are computed over the same set, so they match.
MAX_HITS = 1000


def _operator_settings() -> tuple[dict[str, tuple[str, ...]], dict[str, dict[str, float]]]:
    """The operators' synonyms and ranking, per process and audit generation: every change is a service
    writing an audit event, so a new value reaches every worker on its next query (decision 0004)."""
    from kaifang.catalog.selectors import catalog_generation

    def read() -> tuple[dict[str, tuple[str, ...]], dict[str, dict[str, float]]]:
        groups = list(T.file_synonyms()) + [s.group() for s in Synonym.objects.all()]
        return T.synonym_map(groups), stored_ranking()

    # Kept as live objects, read-only (a synonym map pickled through the cache cost 0.3 ms a query).
    value: tuple[dict[str, tuple[str, ...]], dict[str, dict[str, float]]] = _OPERATOR_SETTINGS.get(
        catalog_generation(), "settings", read
    )
    return value


_OPERATOR_SETTINGS = GenerationMemo(most=1)


def synonyms() -> dict[str, tuple[str, ...]]:
    return _operator_settings()[0]


def stored_ranking() -> dict[str, dict[str, float]]:
    row = RankingSettings.objects.filter(pk=RankingSettings.SINGLETON).values("weights", "boosts").first()
    return (
        {"weights": dict(row["weights"]), "boosts": dict(row["boosts"])}
        if row
        else {"weights": {}, "boosts": {}}
    )


def parse(q: str) -> T.ParsedQuery:
    """The query as every backend takes it; also brings this process's ranking up to date."""
    syn, ranking = _operator_settings()
    D.set_stored_ranking(ranking["weights"], ranking["boosts"])
    return T.parse_query(q, syn)


def _catch_up() -> None:
    """Apply changes still queued (a crash, or a writer busy in another process) before reading."""
    if IndexOutbox.objects.exists():
        indexing.apply_pending_quietly()


def ranked(q: str, limit: int = MAX_HITS) -> SearchResult:
    _catch_up()
    return get_backend().search(parse(q), limit)


def _verified(qs: QuerySet[Any], hits: list[Hit]) -> tuple[list[Hit], list[int]]:
    """Keep hits whose index entry matches the row the actor may see; report the stale ones."""
    rows = qs.filter(id__in=[h.id for h in hits]).values_list("id", "lock_version", "updated_at")
    current = {pk: version_of(lv, up) for pk, lv, up in rows}
    ok = [h for h in hits if current.get(h.id) == h.version]
    stale = [h.id for h in hits if h.id in current and current[h.id] != h.version]
    return ok, stale


def matching_hits(qs: QuerySet[Any], q: str) -> tuple[list[Hit], str]:
    result = ranked(q)
    hits, stale = _verified(qs, result.hits)
    if stale:
        # The catalog changed without reaching the index: fix those entries now and ask again.
        indexing.reindex(set(stale))
        result = get_backend().search(parse(q), MAX_HITS)
        hits, _stale = _verified(qs, result.hits)
    return hits, result.mode


def matching(qs: QuerySet[Any], q: str) -> QuerySet[Any]:
    """`qs` narrowed to the datasets matching q, annotated with `search_rank` (0 = best)."""
    hits, _mode = matching_hits(qs, q)
    if not hits:
        return qs.none().annotate(search_rank=Value(0, output_field=IntegerField()))
    # The rank is the position of ",<id>," in the ranked id list: one expression and one parameter,
    # where a CASE with a branch per hit costs hundreds of milliseconds to compile at 1,000 hits.
    ranked_ids = "," + ",".join(str(h.id) for h in hits) + ","
    rank = StrIndex(Value(ranked_ids), Concat(Value(","), Cast("id", CharField()), Value(",")))
    return qs.filter(id__in=[h.id for h in hits]).annotate(search_rank=rank)


def did_you_mean(actor: Any, q: str) -> str:
    """When q matched only through its pinyin or a spelling variant, the title it most likely meant."""
    if not q.strip():
        return ""
    result = ranked(q, 20)
    if result.mode != "fuzzy" or not result.hits:
        return ""
    visible = catalog_queryset(actor, "resource")
    hits, _stale = _verified(visible, result.hits)
    if not hits:
        return ""
    return visible.filter(id=hits[0].id).values_list("title", flat=True).first() or ""


@dataclass
class Suggestion:
    title: str
    title_html: str
    department: str
    url: str

    def as_dict(self) -> dict[str, str]:
        return {
            "title": self.title,
            "title_html": self.title_html,
            "department": self.department,
            "url": self.url,
        }


def suggest(actor: Any, q: str, limit: int = 8) -> list[Suggestion]:
    """Datasets whose title (or its pinyin) starts like what is being typed, among those the actor sees."""
    q = (q or "").strip()[:64]
    query = parse(q)
    if not query:
        return []
    _catch_up()
    hits = get_backend().prefix(query, 50)
    visible = catalog_queryset(actor, "resource")
    hits, _stale = _verified(visible, hits)
    hits = hits[:limit]
    rows = {
        d.pk: d
        for d in visible.filter(id__in=[h.id for h in hits])
        .select_related("department")
        .only("id", "code", "title", "department__short_name")
    }
    terms = query.terms
    out = []
    for h in hits:
        d = rows.get(h.id)
        if d is not None:
            out.append(
                Suggestion(
                    title=d.title,
                    title_html=T.highlight(d.title, terms, width=64),
                    department=d.department.short_name,
                    url=f"/datasets/{slug_for_code(d.code)}/",
                )
            )
    return out


def snippets(datasets: list[Any], q: str) -> dict[int, dict[str, str]]:
    """Highlighted title and abstract of each dataset for q (HTML, escaped)."""
    terms = parse(q).terms if q else []
    return {
        d.pk: {
            "title_html": T.highlight(d.title, terms, width=128),
            "abstract_html": T.highlight(d.abstract, terms),
        }
        for d in datasets
    }


def index_status() -> dict[str, Any]:
    found = indexing.drift()
    return {
        "backend": get_backend().name,
        "pending": indexing.pending_count(),
        **{k: len(v) for k, v in found.items()},
        "sample": {k: v[:20] for k, v in found.items()},
    }


# ---- the data resource graph (数据资源图谱) -----------------------------------------------------------

# Fields that join datasets, by the words their names contain. 身份证号 joins only inside the raw zone
# (sandbox), so only staff see that key in the graph.
JOIN_KEYS: dict[str, dict[str, Any]] = {
    "uscc": {
        "label": "统一社会信用代码",
        "words": ("统一社会信用代码", "社会信用代码", "信用代码"),
        "staff": False,
    },
    "id_number": {"label": "身份证号", "words": ("身份证号", "公民身份号码", "证件号码"), "staff": True},
    "address": {"label": "地址", "words": ("地址", "住址", "地点"), "staff": False},
    "region_code": {"label": "行政区划代码", "words": ("行政区划代码", "区划代码"), "staff": False},
    "lnglat": {"label": "经纬度", "words": ("经度", "纬度", "坐标"), "staff": False},
}
GRAPH_LIMIT = 300


def join_keys_of(field_names: list[str], staff: bool = False) -> list[str]:
    keys = []
    for key, spec in JOIN_KEYS.items():
        if spec["staff"] and not staff:
            continue
        if any(w in name for name in field_names for w in spec["words"]):
            keys.append(key)
    return keys


def _field_names(ids: list[int]) -> dict[int, list[str]]:
    from kaifang.catalog.models import Field

    out: dict[int, list[str]] = {}
    for ds_id, name in Field.objects.filter(dataset_id__in=ids).values_list("dataset_id", "name"):
        out.setdefault(ds_id, []).append(name)
    return out


def graph(
    actor: Any, domain: str = "", limit: int = GRAPH_LIMIT, focus: str = "", app: int | None = None
) -> dict[str, Any]:
    """Datasets with their departments, domains, counties, shared join fields and the published scenario
    applications that use them, as nodes and links. With `focus` (a dataset code): that dataset and its
    related datasets, whatever their domain; with `app` (an application id): the datasets it uses."""
    from kaifang.catalog.schemas import SAMPLE_LABEL
    from kaifang.core.actors import roles_of

    staff = roles_of(actor).is_staff_member
    qs = catalog_queryset(actor, "resource").select_related("department", "region", "domain")
    center = qs.filter(code=focus).first() if focus else None
    if center is not None:
        near = [r["dataset"].pk for r in related_datasets(actor, center, limit=12)]
        qs = qs.filter(id__in=[center.pk, *near])
    elif app is not None:
        qs = qs.filter(scenario_applications=app, scenario_applications__status="published")
    elif domain:
        qs = qs.filter(domain__code=domain)
    datasets = list(qs.order_by("-publish_date", "-id")[: max(1, min(limit, GRAPH_LIMIT))])
    names = _field_names([d.pk for d in datasets])
    categories = ["dataset", "department", "domain", "region", "join_key", "application"]
    nodes: dict[str, dict[str, Any]] = {}
    links: list[dict[str, str]] = []

    def node(node_id: str, name: str, category: str, **extra: Any) -> None:
        if node_id not in nodes:
            nodes[node_id] = {"id": node_id, "name": name, "category": categories.index(category), **extra}
        nodes[node_id]["value"] = nodes[node_id].get("value", 0) + 1

    for d in datasets:
        did = f"dataset:{d.code}"
        node(
            did,
            d.title,
            "dataset",
            url=f"/datasets/{slug_for_code(d.code)}/",
            domain=d.domain.code,
            sample=SAMPLE_LABEL if d.is_sample else "",
        )
        node(f"department:{d.department.uscc}", d.department.short_name, "department")
        links.append({"source": did, "target": f"department:{d.department.uscc}", "kind": "provided_by"})
        node(f"domain:{d.domain.code}", d.domain.label, "domain")
        links.append({"source": did, "target": f"domain:{d.domain.code}", "kind": "in_domain"})
        node(f"region:{d.region.code}", d.region.name, "region")
        links.append({"source": did, "target": f"region:{d.region.code}", "kind": "in_region"})
        for key in join_keys_of(names.get(d.pk, []), staff=staff):
            node(f"join_key:{key}", JOIN_KEYS[key]["label"], "join_key")
            links.append({"source": did, "target": f"join_key:{key}", "kind": "joins_on"})
    _add_applications(datasets, node, links)
    return {
        "nodes": list(nodes.values()),
        "links": links,
        "categories": categories,
        "truncated": qs.count() > len(datasets),
    }


def _add_applications(datasets: list[Any], node: Any, links: list[dict[str, str]]) -> None:
    """Published scenario applications (场景应用) as nodes, linked to the shown datasets they use."""
    from kaifang.scenarios.models import ScenarioApplication
    from kaifang.scenarios.selectors import published_links

    codes = {d.pk: d.code for d in datasets}
    pairs = published_links(list(codes))
    apps = ScenarioApplication.objects.in_bulk({a for a, _d in pairs})
    for app_id, ds_id in pairs:
        a = apps[app_id]
        aid = f"application:{app_id}"
        node(aid, a.title, "application", url=f"/applications/{app_id}/", scenario=a.scenario)
        links.append({"source": f"dataset:{codes[ds_id]}", "target": aid, "kind": "used_by"})


def related_datasets(actor: Any, dataset: Any, limit: int = 6) -> list[dict[str, Any]]:
    """Datasets near this one in the graph: explicit links, shared join fields, the same department or
    domain, and similar titles (through the index), among those the actor may see."""
    from kaifang.catalog.selectors import catalog_generation
    from kaifang.core.actors import roles_of

    if roles_of(actor).is_staff_member:
        return _related(actor, dataset, limit, staff=True)
    # Every visitor who is not staff sees the same public catalog: one answer per catalog generation.
    key = f"kf:search:related:{catalog_generation()}:{dataset.pk}:{limit}"
    value = cache.get(key)
    if value is None:
        value = _related(actor, dataset, limit, staff=False)
        cache.set(key, value, 600)
    return value


def _related(actor: Any, dataset: Any, limit: int, staff: bool) -> list[dict[str, Any]]:
    from django.db.models import Q

    visible = catalog_queryset(actor, "resource").exclude(pk=dataset.pk)
    scores: dict[int, float] = {}
    reasons: dict[int, list[str]] = {}

    def add(pk: int, score: float, reason: str) -> None:
        scores[pk] = scores.get(pk, 0.0) + score
        if reason not in reasons.setdefault(pk, []):
            reasons[pk].append(reason)

    for pk in visible.filter(code__in=list(dataset.related_codes or [])[:50]).values_list("id", flat=True):
        add(pk, 5.0, "linked")
    own_keys = join_keys_of([f.name for f in dataset.fields.all()], staff=staff)
    if own_keys:
        cond = Q()
        for key in own_keys:
            for w in JOIN_KEYS[key]["words"]:
                cond |= Q(fields__name__contains=w)
        for pk in visible.filter(cond).values_list("id", flat=True).distinct()[:500]:
            add(pk, 0.0, "joins_on")
        for pk, names in _field_names([k for k in scores if "joins_on" in reasons[k]]).items():
            shared = set(join_keys_of(names, staff=staff)) & set(own_keys)
            scores[pk] += 3.0 * len(shared)
    near = visible.filter(Q(domain_id=dataset.domain_id) | Q(department_id=dataset.department_id))
    for pk in near.order_by("-publish_date", "-id").values_list("id", flat=True)[:40]:
        add(pk, 0.0, "nearby")
    hits = ranked(dataset.title, 30).hits
    for i, h in enumerate(hits):
        if h.id != dataset.pk:
            add(h.id, 2.0 * (1 - i / 30), "similar")
    top = sorted(scores, key=lambda k: (-scores[k], k))[: limit * 3]
    rows = {d.pk: d for d in visible.filter(id__in=top).select_related("department", "domain")}
    for pk, d in rows.items():
        if d.domain_id == dataset.domain_id:
            add(pk, 1.0, "same_domain")
        if d.department_id == dataset.department_id:
            add(pk, 0.5, "same_department")
    ordered = sorted(rows, key=lambda k: (-scores[k], k))[:limit]
    return [
        {
            "dataset": rows[pk],
            "code": rows[pk].code,
            "title": rows[pk].title,
            "url": f"/datasets/{slug_for_code(rows[pk].code)}/",
            "department": rows[pk].department.short_name,
            "score": round(scores[pk], 3),
            "reasons": [r for r in reasons[pk] if r != "nearby"],
        }
        for pk in ordered
        if scores[pk] > 0
    ]


# ---- row-level search (inside the text columns of a table) -------------------------------------------


def row_search_terms(q: str) -> list[list[str]]:
    """The same segmentation for searching table cells by substring: one list per query word, holding the
    word and its synonyms; a row matches when every list has a member in one of its text columns.
    咸安区的医院 -> [["咸安区"], ["医院", "医疗机构", "医疗卫生机构"]]. ASCII words stay as typed."""
    out = []
    for g in parse(q).groups:
        out.append([g.term] if g.ascii else g.all)
    return out[:8]


def synonym_groups() -> dict[str, Any]:
    """The built-in groups (data/synonyms.txt, read-only) and the operators' own."""
    return {"builtin": [",".join(g) for g in T.file_synonyms()], "custom": list(Synonym.objects.all())}


def get_synonym(pk: Any) -> Synonym:
    from kaifang.core.errors import NotFound

    syn = Synonym.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if syn is None:
        raise NotFound()
    return syn


# ---- the operators' ranking settings ------------------------------------------------------------------

WEIGHT_LABELS = {
    "title": gettext_lazy("标题"),
    "code": gettext_lazy("信息资源代码"),
    "tags": gettext_lazy("标签"),
    "dept": gettext_lazy("提供部门"),
    "region": gettext_lazy("县市区"),
    "domain": gettext_lazy("数据领域"),
    "fields": gettext_lazy("信息项"),
    "py": gettext_lazy("拼音"),
    "abstract": gettext_lazy("摘要"),
    "en": gettext_lazy("英文名称"),
}
BOOST_LABELS = {
    "freshness": gettext_lazy("新鲜度"),
    "quality": gettext_lazy("质量"),
    "use": gettext_lazy("使用量"),
}


def ranking_settings() -> dict[str, Any]:
    """Each weight and boost with its label, default and current value (the staff page and the API)."""
    stored = stored_ranking()
    base_w, base_b = D.base_weights(), D.base_boosts()
    row = RankingSettings.objects.filter(pk=RankingSettings.SINGLETON).values("usage_refreshed_at").first()
    return {
        "weights": [
            {
                "name": k,
                "label": WEIGHT_LABELS[k],
                "default": base_w[k],
                "value": stored["weights"].get(k, base_w[k]),
            }
            for k in D.DEFAULT_WEIGHTS
        ],
        "boosts": [
            {
                "name": k,
                "label": BOOST_LABELS[k],
                "default": base_b[k],
                "value": stored["boosts"].get(k, base_b[k]),
            }
            for k in D.DEFAULT_BOOSTS
        ],
        "usage_refreshed_at": row["usage_refreshed_at"] if row else None,
    }


def _top_titles(actor: Any, q: str, limit: int) -> list[dict[str, Any]]:
    visible = catalog_queryset(actor, "open")
    hits, _mode = matching_hits(visible, q)
    ids = [h.id for h in hits[:limit]]
    titles = dict(visible.filter(id__in=ids).values_list("id", "title"))
    return [
        {"id": i, "title": titles[i], "score": round(h.score, 4)} for i, h in zip(ids, hits, strict=False)
    ]


def ranking_preview(
    actor: Any, q: str, weights: dict[str, Any], boosts: dict[str, Any], limit: int = 10
) -> dict[str, Any]:
    """The top results for q with the current ranking and with the proposed one, nothing saved."""
    q = (q or "").strip()[:64]
    if not q:
        return {"q": q, "current": [], "proposed": []}
    clean_w, clean_b = D.clean_ranking(weights, boosts)
    current = _top_titles(actor, q, limit)
    with D.ranking_override(clean_w, clean_b):
        proposed = _top_titles(actor, q, limit)
    return {"q": q, "current": current, "proposed": proposed}
