"""Who may do what to catalog entries. One `can_<service>` per service in services.py."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaifang.catalog.choices import CATALOGED_STATES, OpenAttribute, ShareType
from kaifang.catalog.models import Dataset, DuplicateFlag
from kaifang.core.actors import roles_of
from kaifang.tenancy.models import Department


def _is_officer_of(actor: Any, department_id: int) -> bool:
    return department_id in roles_of(actor).officer_department_ids


def _reviews(actor: Any, dataset: Dataset) -> bool:
    roles = roles_of(actor)
    if roles.city_reviewer:
        return True
    return dataset.region_id in roles.review_region_ids


def _reviews_not_own(actor: Any, dataset: Dataset) -> bool:
    """Nobody reviews their own submission."""
    if not _reviews(actor, dataset):
        return False
    return dataset.submitted_by_id is None or dataset.submitted_by_id != roles_of(actor).user_id


def can_dataset_register(actor: Any, department: Department) -> bool:
    return _is_officer_of(actor, department.pk)


def can_dataset_update(actor: Any, dataset: Dataset) -> bool:
    return _is_officer_of(actor, dataset.department_id)


def can_dataset_submit(actor: Any, dataset: Dataset) -> bool:
    return _is_officer_of(actor, dataset.department_id)


def can_dataset_review_start(actor: Any, dataset: Dataset) -> bool:
    return _reviews_not_own(actor, dataset)


def can_dataset_publish(actor: Any, dataset: Dataset) -> bool:
    return _reviews_not_own(actor, dataset)


def can_dataset_return(actor: Any, dataset: Dataset) -> bool:
    return _reviews_not_own(actor, dataset)


def can_dataset_withdraw(actor: Any, dataset: Dataset) -> bool:
    return _reviews(actor, dataset) or _is_officer_of(actor, dataset.department_id)


def can_dataset_reopen(actor: Any, dataset: Dataset) -> bool:
    return _is_officer_of(actor, dataset.department_id)


def can_duplicate_settle(actor: Any, flag: DuplicateFlag) -> bool:
    return _reviews(actor, flag.dataset) and _reviews(actor, flag.other)


def can_catalog_import(actor: Any, department: Department, publish: bool = False) -> bool:
    roles = roles_of(actor)
    reviewer = roles.city_reviewer or department.region_id in roles.review_region_ids
    if publish:
        return reviewer
    return reviewer or department.pk in roles.officer_department_ids


def may_view_staff_catalogs(actor: Any) -> bool:
    """The resource and sharing catalogs are for government staff; the open catalog is public."""
    return roles_of(actor).is_staff_member


def datasets_visible_to(actor: Any) -> QuerySet[Dataset]:
    """Every dataset the actor may see at all. Anything outside this set answers 404."""
    roles = roles_of(actor)
    public = Q(state__in=CATALOGED_STATES) & ~Q(open_attribute=OpenAttribute.CLOSED)
    if not roles.is_staff_member:
        return Dataset.objects.filter(public)
    visible = Q(state__in=CATALOGED_STATES)
    if roles.officer_department_ids:
        visible |= Q(department_id__in=roles.officer_department_ids)
    if roles.city_reviewer or roles.operator or roles.auditor or roles.superuser:
        return Dataset.objects.all()
    if roles.review_region_ids:
        visible |= Q(region_id__in=roles.review_region_ids)
    return Dataset.objects.filter(visible)


def catalog_queryset(actor: Any, catalog: str) -> QuerySet[Dataset]:
    """The three catalogs (S5) as views over the datasets the actor may see."""
    cataloged = datasets_visible_to(actor).filter(state__in=CATALOGED_STATES)
    if catalog == "resource":
        return cataloged
    if catalog == "sharing":
        return cataloged.exclude(share_type=ShareType.NONE)
    return cataloged.exclude(open_attribute=OpenAttribute.CLOSED)


def review_queue_for(actor: Any) -> QuerySet[Dataset]:
    from kaifang.catalog.choices import State

    roles = roles_of(actor)
    qs = Dataset.objects.filter(state__in=[State.SUBMITTED, State.IN_REVIEW, State.REVISION_IN_REVIEW])
    if roles.city_reviewer:
        return qs
    if roles.review_region_ids:
        return qs.filter(region_id__in=roles.review_region_ids)
    return qs.none()


def may_read_full_history(actor: Any, dataset: Any) -> bool:
    """Who reads every event of a dataset's history (pending changes, unpublished versions, gate findings):
    the dataset's department officers, the reviewers of its region, auditors and superusers."""
    roles = roles_of(actor)
    return (
        dataset.department_id in roles.officer_department_ids
        or roles.city_reviewer
        or dataset.region_id in roles.review_region_ids
        or roles.auditor
        or roles.superuser
    )
