from __future__ import annotations

import hmac

from django.utils import timezone

from kaifang.accounts.models import ApiKey, User


def user_for_api_key(raw: str) -> User | None:
    key = api_key_for(raw)
    return key.user if key is not None else None


def api_keys_of(user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user).order_by("-created_at"))


def api_key_for(raw: str) -> ApiKey | None:
    """Resolve `kf_<prefix>_<secret>`; unknown, malformed, expired and revoked keys all give None."""
    if not raw or not raw.startswith("kf_") or len(raw) > 200:
        return None
    _kf, prefix, secret = (raw.split("_", 2) + ["", ""])[:3]
    if not prefix or not secret:
        return None
    key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.digest, ApiKey.hash_secret(secret)):
        return None
    if not key.user.is_active or not key.is_active:
        return None
    # Touch at most once a minute so reads do not turn into writes on every call.
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
