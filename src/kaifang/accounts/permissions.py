"""Accounts: anyone may register; operators make staff accounts; a user manages their own keys."""

from __future__ import annotations

from typing import Any

from kaifang.accounts.models import ApiKey
from kaifang.core.actors import roles_of


def can_user_register(actor: Any) -> bool:
    return not roles_of(actor).authenticated


def can_staff_user_create(actor: Any) -> bool:
    return roles_of(actor).operator


def can_api_key_create(actor: Any, owner: Any) -> bool:
    roles = roles_of(actor)
    return roles.authenticated and (roles.user_id == owner.pk or roles.operator)


def can_api_key_revoke(actor: Any, key: ApiKey) -> bool:
    roles = roles_of(actor)
    return roles.authenticated and (roles.user_id == key.user_id or roles.operator)
