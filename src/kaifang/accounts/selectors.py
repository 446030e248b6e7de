from __future__ import annotations

import hmac
from typing import Any

from django.utils import timezone

from kaifang.accounts.models import ApiKey, User
from kaifang.core.actors import held_roles_of, mark_second_factor, second_factor_passed


def user_for_api_key(raw: str) -> User | None:
    key = api_key_for(raw)
    return key.user if key is not None else None


def needs_enrolment_code(user: Any) -> bool:
    """A staff account binding a device from a session that holds only the password needs an administrator's
    enrolment code: otherwise whoever learnt the password first would own the account's second factor."""
    return held_roles_of(user).needs_second_factor and not second_factor_passed(user)


def api_keys_of(user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user).order_by("-created_at"))


def api_key_for(raw: str) -> ApiKey | None:
    """Resolve `kf_<prefix>_<secret>`; unknown, malformed, expired and revoked keys all give None."""
    if not raw or not raw.startswith("kf_") or len(raw) > 200:
        return None
    _kf, prefix, secret = (raw.split("_", 2) + ["", ""])[:3]
    if not prefix or not secret:
        return None
    key = _unrevoked_key(prefix)
    if key is None or not hmac.compare_digest(key.digest, ApiKey.hash_secret(secret)):
        return None
    if not key.user.is_active or not key.is_active:
        return None
    # A key carries its owner's staff roles only if it was made from a session that passed the second factor.
    mark_second_factor(key.user, key.second_factor)
    # Touch at most once a minute so reads do not turn into writes on every call.
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def _unrevoked_key(prefix: str) -> ApiKey | None:
    """The key with this prefix and its user, read fresh on every call so that a revocation, an expiry
    or a deactivated user takes effect at once. Every keyed data API call starts here: fixed statements
    skip the ORM's query compilation, which cost more than the two lookups themselves
    (bench/access_overhead.py)."""
    keys = list(
        ApiKey.objects.raw("SELECT * FROM accounts_apikey WHERE prefix = %s AND revoked_at IS NULL", [prefix])
    )
    if not keys:
        return None
    key = keys[0]
    users = list(User.objects.raw("SELECT * FROM accounts_user WHERE id = %s", [key.user_id]))
    if not users:
        return None
    key.user = users[0]
    return key


def users_holding(*roles: str, department_id: int | None = None) -> Any:
    """Active users with an assignment of one of `roles` (in this department, if given): whom a message about
    some work is addressed to (notifications.recipients). Whether each may then read or do it is decided by
    core.actors.roles_of, never by this list."""
    qs = User.objects.filter(is_active=True, roles__role__in=roles)
    if department_id is not None:
        qs = qs.filter(roles__department_id=department_id)
    return qs.distinct().order_by("pk")
