"""Who may do what with scenario applications.

Officers submit for their own department, enterprise users for their company; reviewers and operators
publish and withdraw; a provider may withdraw its own application and edit it while it is not published.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaifang.core.actors import roles_of
from kaifang.scenarios.models import ScenarioApplication


def _authenticated(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _is_enterprise(actor: Any) -> bool:
    return _authenticated(actor) and getattr(actor, "kind", "") == "enterprise"


def _is_city_publisher(actor: Any) -> bool:
    roles = roles_of(actor)
    return roles.city_reviewer or roles.operator or roles.superuser


def _is_publisher(actor: Any, app: ScenarioApplication) -> bool:
    """City reviewers and operators publish everything; county reviewers their county's departments'."""
    if _is_city_publisher(actor):
        return True
    dept = app.provider_department
    return dept is not None and dept.region_id in roles_of(actor).review_region_ids


def may_provide_for(actor: Any, department: Any) -> bool:
    """May this actor name `department` (None: itself, an enterprise) as the provider?"""
    roles = roles_of(actor)
    if department is None:
        return _is_enterprise(actor)
    return department.pk in roles.officer_department_ids or roles.operator or roles.superuser


def _is_provider(actor: Any, app: ScenarioApplication) -> bool:
    if not _authenticated(actor):
        return False
    if app.provider_user_id and app.provider_user_id == actor.pk:
        return True
    return (
        bool(app.provider_department_id)
        and app.provider_department_id in roles_of(actor).officer_department_ids
    )


def can_scenario_create(actor: Any, department: Any = None) -> bool:
    return _authenticated(actor) and may_provide_for(actor, department)


def can_scenario_update(actor: Any, app: ScenarioApplication) -> bool:
    if _is_publisher(actor, app):
        return True
    return _is_provider(actor, app) and app.status != ScenarioApplication.Status.PUBLISHED


def can_scenario_publish(actor: Any, app: ScenarioApplication) -> bool:
    return _is_publisher(actor, app) and app.status != ScenarioApplication.Status.PUBLISHED


def can_scenario_withdraw(actor: Any, app: ScenarioApplication) -> bool:
    if app.status != ScenarioApplication.Status.PUBLISHED:
        return False
    return _is_publisher(actor, app) or _is_provider(actor, app)


def scenarios_visible_to(actor: Any) -> QuerySet[ScenarioApplication]:
    """Published applications for everyone; a provider's own and a publisher's in any state."""
    qs = ScenarioApplication.objects.all()
    if _is_city_publisher(actor):
        return qs
    visible = Q(status=ScenarioApplication.Status.PUBLISHED)
    if _authenticated(actor):
        visible |= Q(provider_user_id=actor.pk) | Q(created_by_id=actor.pk)
        depts = roles_of(actor).officer_department_ids
        if depts:
            visible |= Q(provider_department_id__in=depts)
        regions = roles_of(actor).review_region_ids
        if regions:
            visible |= Q(provider_department__region_id__in=regions)
    return qs.filter(visible)
