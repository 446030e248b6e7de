"""Who reads which workbench (工作台). Portal has no services, so nothing here is named can_*."""

from __future__ import annotations

from typing import Any

from kaifang.core.actors import roles_of

# The order sections appear on the workbench.
SECTIONS = ("officer", "reviewer", "county", "operator", "auditor", "evaluator")


def may_use_workbench(actor: Any) -> bool:
    """Government staff and the third-party evaluator; everyone else has the applicant's page (/me/)."""
    roles = roles_of(actor)
    return roles.is_staff_member or roles.evaluator


def may_audit(actor: Any) -> bool:
    """Audit events and call logs across the platform, with per user / key / dataset timelines: the security
    auditor (and a superuser). Operators and reviewers read call logs through access, never the audit trail."""
    roles = roles_of(actor)
    return roles.auditor or roles.superuser


def workbench_sections(actor: Any) -> list[str]:
    """The sections of the workbench the actor holds a role for; a user with several roles sees each."""
    roles = roles_of(actor)
    held = {
        "officer": bool(roles.officer_department_ids),
        "reviewer": roles.is_reviewer,
        "county": bool(roles.county_admin_region_ids),
        "operator": roles.operator or roles.superuser,
        "auditor": may_audit(actor),
        "evaluator": roles.evaluator,
    }
    return [s for s in SECTIONS if held[s]]
