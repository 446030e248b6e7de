"""Reads of scenario applications. Lookups answer NotFound alike for missing and not visible."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length

from kaifang.core.errors import NotFound
from kaifang.scenarios.models import Scenario, ScenarioApplication
from kaifang.scenarios.permissions import scenarios_visible_to


def scenarios_for(
    actor: Any, scenario: str = "", q: str = "", status: str = "published"
) -> QuerySet[ScenarioApplication]:
    """The showcase: published applications (or, for those who may see them, another status)."""
    qs = scenarios_visible_to(actor).select_related("provider_department", "provider_user")
    if status:
        qs = qs.filter(status=status)
    if scenario:
        qs = qs.filter(scenario=scenario)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    return qs.order_by(Length("scenario"), "scenario", "id")  # SC2 before SC10


def scenario_counts(actor: Any) -> list[dict[str, Any]]:
    """Every scenario with how many published applications it has (the showcase's filter)."""
    counts = dict(
        scenarios_visible_to(actor)
        .filter(status=ScenarioApplication.Status.PUBLISHED)
        .values_list("scenario")
        .annotate(n=Count("id"))
        .values_list("scenario", "n")
    )
    return [{"code": c, "label": label, "count": counts.get(c, 0)} for c, label in Scenario.choices]


def get_scenario_for(actor: Any, pk: Any) -> ScenarioApplication:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    app = (
        scenarios_visible_to(actor)
        .select_related("provider_department", "provider_user")
        .filter(pk=pk)
        .first()
    )
    if app is None:
        raise NotFound()
    return app


def datasets_of(actor: Any, app: ScenarioApplication) -> list[Any]:
    """The datasets an application uses, among those the actor may see (a dataset closed later drops out)."""
    from kaifang.catalog.permissions import catalog_queryset

    return list(
        catalog_queryset(actor, "open")
        .filter(scenario_applications=app)
        .select_related("department", "domain")
        .order_by("title")
    )


def published_for_dataset(dataset: Any) -> list[ScenarioApplication]:
    """Published applications that use this dataset (the same for every visitor)."""
    return list(
        ScenarioApplication.objects.filter(datasets=dataset, status=ScenarioApplication.Status.PUBLISHED)
        .select_related("provider_department", "provider_user")
        .order_by(Length("scenario"), "scenario", "id")
    )


def published_links(dataset_ids: list[int]) -> list[tuple[int, int]]:
    """(application id, dataset id) pairs of published applications over these datasets (the graph)."""
    through = ScenarioApplication.datasets.through
    return list(
        through.objects.filter(
            dataset_id__in=dataset_ids, scenarioapplication__status=ScenarioApplication.Status.PUBLISHED
        ).values_list("scenarioapplication_id", "dataset_id")
    )


def provider_department_for(actor: Any, uscc: str = "") -> Any:
    """The department an application is submitted for: the one named, or an officer's own (first) one;
    None for an enterprise. Whether the actor may use it is the service's check."""
    from kaifang.core.actors import roles_of
    from kaifang.tenancy.models import Department

    if uscc:
        dept = Department.objects.filter(uscc=uscc).first()
        if dept is None:
            raise NotFound()
        return dept
    own = sorted(roles_of(actor).officer_department_ids)
    return Department.objects.filter(pk=own[0]).first() if own else None


def submitted_by(actor: Any) -> list[ScenarioApplication]:
    """The actor's own applications not (or no longer) published: drafts and withdrawn ones."""
    from kaifang.core.actors import roles_of

    if not getattr(actor, "is_authenticated", False):
        return []
    own = Q(provider_user_id=actor.pk) | Q(created_by_id=actor.pk)
    depts = roles_of(actor).officer_department_ids
    if depts:
        own |= Q(provider_department_id__in=depts)
    qs = ScenarioApplication.objects.filter(own).exclude(status=ScenarioApplication.Status.PUBLISHED)
    return list(qs.order_by("-updated_at")[:50])


def may_submit(actor: Any) -> bool:
    from kaifang.scenarios.permissions import can_scenario_create

    if not getattr(actor, "is_authenticated", False):
        return False
    return can_scenario_create(actor, provider_department_for(actor))
