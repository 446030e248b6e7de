"""Who may change a dataset's privacy settings. One `can_<service>` per service in services.py."""

from __future__ import annotations

from typing import Any

from kaifang.core.actors import roles_of


def can_publication_profile_set(actor: Any, dataset: Any) -> bool:
    """The officers of the dataset's own department decide how its open version is de-identified."""
    return dataset.department_id in roles_of(actor).officer_department_ids


def may_review_privacy(actor: Any, dataset: Any) -> bool:
    """Who may read the privacy review of a dataset: its officers and the reviewers of its region."""
    roles = roles_of(actor)
    return (
        dataset.department_id in roles.officer_department_ids
        or roles.city_reviewer
        or dataset.region_id in roles.review_region_ids
        or roles.superuser
    )


def can_grade_decide(actor: Any, dataset: Any) -> bool:
    """The officers of the dataset's department confirm or override the suggested grades."""
    return dataset.department_id in roles_of(actor).officer_department_ids
