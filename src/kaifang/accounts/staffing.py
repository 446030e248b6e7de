"""Django admin access for operators: a group with the model permissions their work needs.

Catalog entries and the audit trail are read-only in the admin; their changes go through the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

OPERATOR_GROUP = "平台运营"
OPERATOR_PERMISSIONS = {
    ("accounts", "user"): ("view", "add", "change"),
    ("accounts", "roleassignment"): ("view", "add", "change", "delete"),
    ("accounts", "apikey"): ("view",),
    ("tenancy", "region"): ("view", "add", "change"),
    ("tenancy", "department"): ("view", "add", "change"),
    ("tenancy", "responsibilityitem"): ("view",),
    ("catalog", "concept"): ("view", "add", "change"),
    ("catalog", "dataset"): ("view",),
    ("catalog", "field"): ("view",),
    ("catalog", "distribution"): ("view",),
    ("catalog", "duplicateflag"): ("view",),
    ("core", "auditevent"): ("view",),
}


def operator_group() -> Group:
    group, _ = Group.objects.get_or_create(name=OPERATOR_GROUP)
    match = Q(pk__in=[])
    for (app, model), actions in OPERATOR_PERMISSIONS.items():
        match |= Q(content_type__app_label=app, codename__in=[f"{a}_{model}" for a in actions])
    perms = Permission.objects.filter(match)
    group.permissions.set(perms)
    return group


def grant_admin_access(user: Any) -> None:
    """Call inside the service that gives a user the operator role."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(operator_group())
