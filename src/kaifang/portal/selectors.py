"""Reads that only the portal pages need. Everything else comes from the apps' own selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from kaifang.catalog.choices import CATALOGED_STATES, OpenAttribute
from kaifang.catalog.models import Concept, Dataset, DuplicateFlag
from kaifang.catalog.rules import REVIEWED_KEYS
from kaifang.core.actors import roles_of
from kaifang.tenancy.models import Department, Region

OPEN = Q(domain_datasets__state__in=CATALOGED_STATES) & ~Q(
    domain_datasets__open_attribute=OpenAttribute.CLOSED
)


def domains_with_counts() -> list[Concept]:
    """Every domain with its number of open datasets (one query)."""
    return list(
        Concept.objects.filter(scheme=Concept.Scheme.DOMAIN).annotate(n=Count("domain_datasets", filter=OPEN))
    )


def counties() -> list[Region]:
    return list(Region.objects.filter(level__in=[Region.Level.COUNTY, Region.Level.ZONE]))


def concepts(scheme: str) -> list[Concept]:
    return list(Concept.objects.filter(scheme=scheme))


def officer_departments(actor: Any) -> list[Department]:
    ids = roles_of(actor).officer_department_ids
    return list(Department.objects.select_related("region").filter(pk__in=ids)) if ids else []


def managed_departments(actor: Any) -> list[Department]:
    """Departments whose responsibility lists the actor may manage."""
    roles = roles_of(actor)
    qs = Department.objects.select_related("region")
    if roles.operator or roles.city_reviewer:
        return list(qs)
    if roles.review_region_ids:
        return list(qs.filter(region_id__in=roles.review_region_ids))
    return []


def open_duplicate_flags(queue: Any) -> list[DuplicateFlag]:
    return list(
        DuplicateFlag.objects.filter(status=DuplicateFlag.Status.OPEN)
        .filter(Q(dataset__in=queue) | Q(other__in=queue))
        .select_related("dataset__department", "other__department")
    )


def duplicate_flag(pk: int) -> DuplicateFlag | None:
    return DuplicateFlag.objects.select_related("dataset", "other").filter(pk=pk).first()


def dataset_by_code(code: str) -> Dataset | None:
    return Dataset.objects.filter(code=code).first()


def pending_diff(ds: Dataset) -> dict[str, Any]:
    """What a revision under review would change: scalar keys before/after; fields added, removed, changed."""
    pending = ds.pending_changes or {}
    scalars = []
    for key in REVIEWED_KEYS:
        if key == "fields" or key not in pending:
            continue
        before, after = getattr(ds, key), pending[key]
        if before != after:
            scalars.append({"key": key, "before": before, "after": after})
    current = {f.name: f for f in ds.fields.all()}
    proposed = {f["name"]: f for f in pending.get("fields", [])}
    added = [proposed[n] for n in proposed if n not in current]
    removed = [current[n] for n in current if n not in proposed]
    changed = []
    for name in proposed.keys() & current.keys():
        f, p = current[name], proposed[name]
        diffs = [
            {"key": k, "before": getattr(f, k), "after": p.get(k)}
            for k in (
                "data_type",
                "length",
                "open_attribute",
                "share_type",
                "sensitivity_grade",
                "value_range",
            )
            if getattr(f, k) != p.get(k)
        ]
        if diffs:
            changed.append({"name": name, "diffs": diffs})
    return {"scalars": scalars, "added": added, "removed": removed, "changed": changed}


def data_services(actor: Any, page: int = 1, per_page: int = 30) -> dict[str, Any]:
    """数据服务: every open dataset whose table is queryable through the data API or that has a live feed,
    newest first."""
    from django.core.paginator import Paginator
    from django.db.models import Q

    from kaifang.catalog.permissions import catalog_queryset

    qs = (
        catalog_queryset(actor, "open")
        .filter(Q(table_versions__is_current=True) | Q(feed__row_count__gt=0))
        .select_related("department", "domain", "feed")
        .order_by("-publish_date", "-id")
        .distinct()
    )
    paginator = Paginator(qs, per_page)
    return {"page": paginator.get_page(page), "count": paginator.count}
