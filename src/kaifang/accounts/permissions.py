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


def can_user_email_verification_send(actor: Any, user: Any) -> bool:
    return roles_of(actor).user_id == user.pk


def can_user_email_verify(actor: Any) -> bool:
    """The signed link is the credential, so it works whether or not the holder is logged in."""
    return True


def can_login_attempt_record(actor: Any) -> bool:
    """Anyone may try to log in; every try is recorded."""
    return True


def can_totp_enroll_start(actor: Any) -> bool:
    return roles_of(actor).authenticated


def can_totp_enroll_confirm(actor: Any) -> bool:
    return roles_of(actor).authenticated


def can_totp_disable(actor: Any) -> bool:
    return roles_of(actor).authenticated


def can_totp_verify(actor: Any, user: Any) -> bool:
    """Checked between the password step and the session: the actor is not logged in yet."""
    return not roles_of(actor).authenticated or roles_of(actor).user_id == user.pk


def can_api_key_rotate(actor: Any, key: ApiKey) -> bool:
    roles = roles_of(actor)
    return roles.authenticated and (roles.user_id == key.user_id or roles.operator)


class _CommandLine:
    """The actor of `kaifang manage totp_enrolment_code`: whoever may run it owns the instance."""

    is_authenticated = False
    pk = None
    username = "command-line"

    def __repr__(self) -> str:
        return "command-line"


COMMAND_LINE = _CommandLine()


def can_totp_enrolment_code_issue(actor: Any, user: Any) -> bool:
    """The command line, or an operator whose own session passed the second factor (roles_of sees to that)."""
    if actor is COMMAND_LINE:
        return True
    roles = roles_of(actor)
    return (roles.operator or roles.superuser) and roles.user_id != user.pk
