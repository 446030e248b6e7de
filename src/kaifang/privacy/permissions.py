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


class _CommandLine:
    """The actor of `kaifang privacy …` commands: whoever may run the command owns the instance."""

    is_authenticated = False
    pk = None

    def __repr__(self) -> str:
        return "command-line"


COMMAND_LINE = _CommandLine()


def can_retention_set(actor: Any, dataset: Any) -> bool:
    """The data's own department sets how long its table versions are kept."""
    return dataset.department_id in roles_of(actor).officer_department_ids


def can_version_destroy(actor: Any, version: Any) -> bool:
    """Destruction on order: the officers of the data's department (or the platform's superuser)."""
    return may_destroy_versions_of(actor, version.dataset)


def may_destroy_versions_of(actor: Any, dataset: Any) -> bool:
    roles = roles_of(actor)
    return dataset.department_id in roles.officer_department_ids or roles.superuser


def can_versions_destroy_expired(actor: Any) -> bool:
    """The retention sweep: the command line (the operator's channel) or a superuser."""
    return actor is COMMAND_LINE or roles_of(actor).superuser


def may_see_lifecycle(actor: Any, dataset: Any) -> bool:
    """Retention and destruction records: the department's officers, the region's reviewers, auditors."""
    return may_review_privacy(actor, dataset) or roles_of(actor).auditor
