"""Reads over the organisation tree and the responsibility lists (T2, T5, T6)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kaifang.catalog.choices import CATALOGED_STATES
from kaifang.core.errors import NotFound
from kaifang.tenancy.models import Department, Region, ResponsibilityItem

CATALOGED = Q(dataset__state__in=CATALOGED_STATES)


def _rate(listed: int, cataloged: int) -> float:
    return round(cataloged / listed, 4) if listed else 1.0


def cataloging_rate(*, region: Region | None = None, department: Department | None = None) -> dict[str, Any]:
    """编目率 = cataloged resources / resources on the responsibility lists."""
    qs = ResponsibilityItem.objects.all()
    if department is not None:
        qs = qs.filter(department=department)
    elif region is not None and not region.is_city:
        qs = qs.filter(Q(department__region=region) | Q(department__region__spatial_parent=region))
    listed = qs.count()
    cataloged = qs.filter(CATALOGED).count()
    overdue = qs.filter(~CATALOGED, due_date__lt=timezone.localdate()).count()
    return {"listed": listed, "cataloged": cataloged, "overdue": overdue, "rate": _rate(listed, cataloged)}


def departments_with_progress(region: Region | None = None) -> list[Department]:
    """Each department with its list progress and open dataset count, for T6's progress board."""
    from kaifang.catalog.choices import OpenAttribute

    qs = Department.objects.select_related("region")
    if region is not None and not region.is_city:
        qs = qs.filter(Q(region=region) | Q(region__spatial_parent=region))
    today = timezone.localdate()
    qs = qs.annotate(
        listed=Count("responsibilities", distinct=True),
        cataloged=Count(
            "responsibilities", filter=Q(responsibilities__dataset__state__in=CATALOGED_STATES), distinct=True
        ),
        overdue=Count(
            "responsibilities",
            filter=~Q(responsibilities__dataset__state__in=CATALOGED_STATES)
            & Q(responsibilities__due_date__lt=today),
            distinct=True,
        ),
        open_datasets=Count(
            "datasets",
            filter=Q(datasets__state__in=CATALOGED_STATES)
            & ~Q(datasets__open_attribute=OpenAttribute.CLOSED),
            distinct=True,
        ),
    )
    out = list(qs)
    for d in out:
        d.rate = _rate(d.listed, d.cataloged)
    return out


def regions_with_progress() -> list[Region]:
    """Every region with its list progress, from one grouped query (a zone also counts for its county)."""
    today = timezone.localdate()
    rows = ResponsibilityItem.objects.values(
        "department__region_id", "department__region__spatial_parent_id"
    ).annotate(
        listed=Count("id"),
        cataloged=Count("id", filter=CATALOGED),
        overdue=Count("id", filter=~CATALOGED & Q(due_date__lt=today)),
    )
    totals: dict[int | None, list[int]] = {}  # None is the whole city
    for r in rows:
        for key in {r["department__region_id"], r["department__region__spatial_parent_id"], None}:
            acc = totals.setdefault(key, [0, 0, 0])
            acc[0] += r["listed"]
            acc[1] += r["cataloged"]
            acc[2] += r["overdue"]
    out = []
    for region in Region.objects.all():
        listed, cataloged, overdue = totals.get(None if region.is_city else region.pk, [0, 0, 0])
        region.listed, region.cataloged, region.overdue = listed, cataloged, overdue
        region.rate = _rate(listed, cataloged)
        out.append(region)
    return out


def get_department(key: str) -> Department:
    d = Department.objects.select_related("region").filter(uscc=key).first()
    if d is None:
        raise NotFound()
    return d


def cdo_pilots() -> list[Department]:
    """The Chief Data Officer pilots (S8): the city's departments first, then each county's, in their order."""
    return list(
        Department.objects.filter(is_cdo_pilot=True).select_related("region").order_by("region__order", "seq")
    )


def get_region(code: str) -> Region:
    r = Region.objects.filter(code=code).first()
    if r is None:
        raise NotFound()
    return r


def responsibility_items_for(actor: Any) -> QuerySet[ResponsibilityItem]:
    from kaifang.tenancy.permissions import responsibility_items_visible_to

    return responsibility_items_visible_to(actor).select_related("department", "domain", "dataset")


def overdue_items(qs: QuerySet[ResponsibilityItem]) -> QuerySet[ResponsibilityItem]:
    return qs.filter(~CATALOGED, due_date__lt=timezone.localdate())
