"""Login throttling and lockout, and RFC 6238 one-time passwords. Pure reads and arithmetic."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

from django.utils import timezone

from kaifang.accounts.models import LoginAttempt

WINDOW = datetime.timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
TOTP_PERIOD = 30
TOTP_DIGITS = 6


def lockout_remaining(username: str, ip: str | None) -> int:
    """Seconds until this username (or this address) may try again; 0 when it may now."""
    now = timezone.now()
    since = now - WINDOW
    recent = LoginAttempt.objects.filter(at__gte=since, success=False)
    user_fail = recent.filter(username__iexact=username).order_by("-at").values_list("at", flat=True)
    remaining = 0
    if len(user_fail[:MAX_FAILURES_PER_USER]) >= MAX_FAILURES_PER_USER:
        remaining = int((user_fail[0] + WINDOW - now).total_seconds())
    if ip:
        ip_fail = recent.filter(ip=ip).order_by("-at").values_list("at", flat=True)
        if len(ip_fail[:MAX_FAILURES_PER_IP]) >= MAX_FAILURES_PER_IP:
            remaining = max(remaining, int((ip_fail[0] + WINDOW - now).total_seconds()))
    return max(remaining, 0)


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def totp_code(secret: str, step: int) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()  # RFC 6238 default
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**TOTP_DIGITS).zfill(TOTP_DIGITS)


def current_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // TOTP_PERIOD)


def totp_match(secret: str, code: str, *, last_step: int, at: float | None = None) -> int | None:
    """The time step the code belongs to (±1 step for clock drift), or None; steps ≤ last_step never match."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    now = current_step(at)
    for step in (now - 1, now, now + 1):
        if step > last_step and hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, username: str, issuer: str = "Kaifang") -> str:
    return f"otpauth://totp/{quote(issuer)}:{quote(username)}?secret={secret}&issuer={quote(issuer)}"


SESSION_2FA = "kaifang_2fa_verified"
STAFF_PREFIXES = ("/staff/", "/admin/")


class StaffSecondFactorMiddleware:
    """Staff pages need a session that passed a one-time password (setting KAIFANG_STAFF_2FA_REQUIRED)."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request):  # type: ignore[no-untyped-def]
        from django.conf import settings
        from django.contrib import messages
        from django.shortcuts import redirect
        from django.utils.translation import gettext as _

        from kaifang.core.actors import roles_of

        if (
            getattr(settings, "KAIFANG_STAFF_2FA_REQUIRED", False)
            and request.path.startswith(STAFF_PREFIXES)
            and roles_of(request.user).is_staff_member
            and not request.session.get(SESSION_2FA)
        ):
            messages.warning(request, _("工作人员须使用动态口令登录：请先启用动态口令，然后重新登录。"))
            return redirect("accounts:security")
        return self.get_response(request)
