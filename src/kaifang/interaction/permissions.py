"""Who may do what in public interaction. One `can_<service>` per service in services.py.

Services receive datasets fetched through catalog.selectors.get_dataset_for, so visibility is already
decided (missing and not-visible answer 404 alike); these functions add what acting requires."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaifang.catalog.models import Dataset
from kaifang.core.actors import roles_of
from kaifang.interaction.models import Comment, PublicRequest


def _signed_in(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _public_entry(dataset: Dataset) -> bool:
    """Interaction is about the published catalog, never a draft an officer happens to see."""
    return bool(dataset.is_cataloged)


def may_moderate(actor: Any, dataset: Dataset) -> bool:
    """Reviewers whose region covers the dataset, and the officers of its department."""
    roles = roles_of(actor)
    return (
        roles.city_reviewer
        or dataset.region_id in roles.review_region_ids
        or dataset.department_id in roles.officer_department_ids
    )


def may_reply(actor: Any, dataset: Dataset) -> bool:
    return dataset.department_id in roles_of(actor).officer_department_ids


def moderation_scope(actor: Any) -> QuerySet[Comment]:
    """The comments the actor moderates (any state)."""
    roles = roles_of(actor)
    if roles.city_reviewer:
        return Comment.objects.all()
    scope = Q()
    if roles.review_region_ids:
        scope |= Q(dataset__region_id__in=roles.review_region_ids)
    if roles.officer_department_ids:
        scope |= Q(dataset__department_id__in=roles.officer_department_ids)
    if not scope:
        return Comment.objects.none()
    return Comment.objects.filter(scope)


def is_requester(actor: Any, request: PublicRequest) -> bool:
    return _signed_in(actor) and request.requester_id == roles_of(actor).user_id


def can_comment_submit(actor: Any, dataset: Dataset) -> bool:
    return _signed_in(actor) and _public_entry(dataset)


def can_comment_moderate(actor: Any, comment: Comment) -> bool:
    return _signed_in(actor) and may_moderate(actor, comment.dataset)


def can_comment_reply(actor: Any, comment: Comment) -> bool:
    return _signed_in(actor) and may_reply(actor, comment.dataset)


def can_dataset_follow(actor: Any, dataset: Dataset) -> bool:
    return _signed_in(actor) and _public_entry(dataset)


def can_dataset_unfollow(actor: Any, dataset: Dataset) -> bool:
    # Unfollowing needs nothing but an account: a withdrawn entry can still be let go of.
    return _signed_in(actor)


def can_error_report_submit(actor: Any, dataset: Dataset) -> bool:
    return _signed_in(actor) and _public_entry(dataset)


def can_public_request_submit(actor: Any) -> bool:
    return _signed_in(actor)


def can_public_request_reopen(actor: Any, request: PublicRequest) -> bool:
    return is_requester(actor, request)


def can_public_request_close(actor: Any, request: PublicRequest) -> bool:
    return is_requester(actor, request)


def can_public_request_rate(actor: Any, request: PublicRequest) -> bool:
    return is_requester(actor, request)


def can_public_request_withdraw(actor: Any, request: PublicRequest) -> bool:
    return is_requester(actor, request)
