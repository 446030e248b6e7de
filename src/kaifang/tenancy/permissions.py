"""Responsibility lists: departments see their own; the bureau sees all; a county admin sees its county."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaifang.core.actors import roles_of
from kaifang.tenancy.models import Department, ResponsibilityItem


def _manages(actor: Any, department: Department) -> bool:
    roles = roles_of(actor)
    if roles.operator or roles.city_reviewer:
        return True
    return department.region_id in roles.review_region_ids


def can_responsibility_item_create(actor: Any, department: Department) -> bool:
    return _manages(actor, department)


def can_responsibility_item_delete(actor: Any, item: ResponsibilityItem) -> bool:
    return _manages(actor, item.department)


def can_department_update_cdo(actor: Any, department: Department) -> bool:
    roles = roles_of(actor)
    return roles.operator or department.pk in roles.officer_department_ids


def can_department_designate_cdo_pilot(actor: Any, department: Department) -> bool:
    """Naming a Chief Data Officer pilot is the big data bureau's (S8: the city names its pilots)."""
    roles = roles_of(actor)
    return roles.operator or roles.city_reviewer


def may_maintain_cdo_pilots(actor: Any) -> bool:
    """Whether the pilots page offers its maintenance links at all (each department is checked again)."""
    roles = roles_of(actor)
    return roles.operator or roles.city_reviewer or bool(roles.officer_department_ids)


def responsibility_items_visible_to(actor: Any) -> QuerySet[ResponsibilityItem]:
    roles = roles_of(actor)
    if roles.operator or roles.city_reviewer or roles.auditor or roles.evaluator:
        return ResponsibilityItem.objects.all()
    scope = Q(pk__in=[])
    if roles.officer_department_ids:
        scope |= Q(department_id__in=roles.officer_department_ids)
    if roles.review_region_ids:
        scope |= Q(department__region_id__in=roles.review_region_ids)
    return ResponsibilityItem.objects.filter(scope)


def may_manage_responsibilities(actor: Any) -> bool:
    roles = roles_of(actor)
    return roles.operator or roles.is_reviewer
