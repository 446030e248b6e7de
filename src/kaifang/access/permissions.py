"""Applicants act on their own applications; the provider department's officers decide; the bureau sees all."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaifang.access.models import AccessApplication, AccessGrant
from kaifang.catalog.models import Dataset
from kaifang.core.actors import roles_of


def _provider_officer(actor: Any, dataset: Dataset) -> bool:
    return dataset.department_id in roles_of(actor).officer_department_ids


def _bureau(actor: Any, dataset: Dataset) -> bool:
    roles = roles_of(actor)
    return roles.city_reviewer or dataset.region_id in roles.review_region_ids


def can_access_application_submit(actor: Any, dataset: Dataset) -> bool:
    """Any signed-in user except the provider's own officers (they have the data already)."""
    roles = roles_of(actor)
    return roles.authenticated and not _provider_officer(actor, dataset)


def can_access_application_withdraw(actor: Any, application: AccessApplication) -> bool:
    return roles_of(actor).user_id == application.applicant_id


def can_access_application_answer(actor: Any, application: AccessApplication) -> bool:
    return roles_of(actor).user_id == application.applicant_id


def _decides(actor: Any, application: AccessApplication) -> bool:
    if roles_of(actor).user_id == application.applicant_id:
        return False
    return _provider_officer(actor, application.dataset)


def can_access_application_request_info(actor: Any, application: AccessApplication) -> bool:
    return _decides(actor, application)


def can_access_application_approve(actor: Any, application: AccessApplication) -> bool:
    return _decides(actor, application)


def can_access_application_reject(actor: Any, application: AccessApplication) -> bool:
    return _decides(actor, application)


def can_access_grant_revoke(actor: Any, grant: AccessGrant) -> bool:
    return _provider_officer(actor, grant.dataset) or _bureau(actor, grant.dataset)


def can_usage_report_submit(actor: Any, grant: AccessGrant) -> bool:
    return roles_of(actor).user_id == grant.grantee_id


def applications_visible_to(actor: Any) -> QuerySet[AccessApplication]:
    """Applicants see theirs; officers their department's; the bureau and auditors all (X3)."""
    roles = roles_of(actor)
    if not roles.authenticated:
        return AccessApplication.objects.none()
    if roles.city_reviewer or roles.auditor or roles.operator:
        return AccessApplication.objects.all()
    scope = Q(applicant_id=roles.user_id)
    if roles.officer_department_ids:
        scope |= Q(dataset__department_id__in=roles.officer_department_ids)
    if roles.review_region_ids:
        scope |= Q(dataset__region_id__in=roles.review_region_ids)
    return AccessApplication.objects.filter(scope)


def call_logs_visible_to(actor: Any) -> QuerySet[Any]:
    """Auditors, operators and city reviewers see every call; officers the calls on their departments' data."""
    from kaifang.access.models import CallLog

    roles = roles_of(actor)
    if roles.auditor or roles.operator or roles.city_reviewer or roles.superuser:
        return CallLog.objects.all()
    if roles.officer_department_ids:
        codes = Dataset.objects.filter(department_id__in=roles.officer_department_ids).values("code")
        return CallLog.objects.filter(dataset_code__in=codes)
    return CallLog.objects.none()


def may_read_call_logs(actor: Any) -> bool:
    roles = roles_of(actor)
    return bool(
        roles.auditor
        or roles.operator
        or roles.city_reviewer
        or roles.superuser
        or roles.officer_department_ids
    )
