"""Login throttling and lockout, and RFC 6238 one-time passwords. Pure reads and arithmetic."""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import ipaddress
import secrets
import struct
import time
from typing import Any
from urllib.parse import quote

from django.utils import timezone

from kaifang.accounts.models import LoginAttempt

WINDOW = datetime.timedelta(minutes=15)
# Failures in WINDOW that stop further tries. Counting by account and by address separately means the many
# users behind one proxy (or one NAT) do not lock each other out, and an attacker's failures on one account
# never refuse another account's correct password.
MAX_FAILURES_PER_PAIR = 5  # one account from one address
MAX_FAILURES_PER_IP = 20  # any accounts from one address
MAX_FAILURES_PER_USER = 50  # one account from many addresses (a distributed guess) ...
KNOWN_ADDRESS_AGE = datetime.timedelta(days=30)  # ... which spares addresses the account logged in from
TOTP_PERIOD = 30
TOTP_DIGITS = 6


def _wait(failures: Any, limit: int, now: datetime.datetime) -> int:
    """Seconds until fewer than `limit` of these failures are recent (the lock runs from the latest one)."""
    times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return 0
    return max(int((times[0] + WINDOW - now).total_seconds()), 0)


def lockout_remaining(username: str, ip: str | None) -> int:
    """Seconds until this address may try this account again; 0 when it may now."""
    now = timezone.now()
    recent = LoginAttempt.objects.filter(at__gte=now - WINDOW, success=False)
    account = recent.filter(username__iexact=username)
    pair = account.filter(ip=ip) if ip else account.filter(ip__isnull=True)
    remaining = _wait(pair, MAX_FAILURES_PER_PAIR, now)
    if ip:
        remaining = max(remaining, _wait(recent.filter(ip=ip), MAX_FAILURES_PER_IP, now))
    if remaining == 0 and not _known_address(username, ip):
        remaining = _wait(account, MAX_FAILURES_PER_USER, now)
    return remaining


def _known_address(username: str, ip: str | None) -> bool:
    if not ip:
        return False
    since = timezone.now() - KNOWN_ADDRESS_AGE
    return LoginAttempt.objects.filter(username__iexact=username, ip=ip, success=True, at__gte=since).exists()


def client_address(request: Any) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is one of KAIFANG_TRUSTED_PROXIES; then the rightmost
    X-Forwarded-For hop that is not a trusted proxy. Hops left of it were written by the client and prove
    nothing, so a client cannot pick the address it is throttled under."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = trusted_proxies()
    if remote is None or not proxies or not _within(_address(remote), proxies):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    address = remote
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            return address  # not written by a proxy we trust: stop at the last hop we can vouch for
        address = str(parsed)
        if not _within(parsed, proxies):
            return address
    return address


def trusted_proxies() -> tuple[Any, ...]:
    from django.conf import settings

    return _networks(tuple(getattr(settings, "KAIFANG_TRUSTED_PROXIES", ()) or ()))


@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _address(value: str) -> Any:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _within(address: Any, networks: tuple[Any, ...]) -> bool:
    return address is not None and any(address in net for net in networks if net.version == address.version)


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


SESSION_2FA = "kaifang_2fa_verified"  # holds the id of the user whose one-time password this session passed
STAFF_PREFIXES = ("/staff/", "/admin/")
ADMIN_LOGIN = "/admin/login/"


class StaffSecondFactorMiddleware:
    """Marks every request's user with whether its session passed the second factor, which is what
    core.actors.roles_of goes by (KAIFANG_STAFF_2FA_REQUIRED): one mechanism for every page, endpoint and
    service. Staff pages also send a staff member without it to enrol, rather than show them a 404."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request):  # type: ignore[no-untyped-def]
        from django.conf import settings
        from django.contrib import messages
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.translation import gettext as _

        from kaifang.core.actors import held_roles_of, mark_second_factor

        if request.path.startswith(ADMIN_LOGIN):
            # Django's own admin login checks a password with no throttling and no second factor.
            return redirect(f"{reverse('accounts:login')}?next=/admin/")
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        passed = request.session.get(SESSION_2FA) == user.pk
        mark_second_factor(user, passed)
        if (
            not passed
            and getattr(settings, "KAIFANG_STAFF_2FA_REQUIRED", False)
            and request.path.startswith(STAFF_PREFIXES)
            and held_roles_of(user).needs_second_factor
        ):
            messages.warning(request, _("工作人员须使用动态口令登录：请先启用动态口令，然后重新登录。"))
            return redirect("accounts:security")
        return self.get_response(request)
