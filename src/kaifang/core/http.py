"""Turning domain errors into HTTP, and finding the acting user of an API call."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from kaifang.core.errors import DomainError, Forbidden, NotAuthenticated

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# Keys and numbers the database stores are signed 64-bit integers on every backend: a larger one names no row
# and would make the driver raise (SQLite: OverflowError) — every integer parameter of the API is this type,
# so such a number is refused as a bad parameter (422) before any query.
DbInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
KEY_PARAMETERS = ("api_key", "apikey", "access_token", "token", "key")


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def actor_for(request: HttpRequest) -> Any:
    """The user behind a request: an API key if one is sent (a bad one is refused), else the session."""
    cached = getattr(request, "_kaifang_actor", None)
    if cached is not None:
        return cached
    for name in KEY_PARAMETERS:
        if name in request.GET:
            # Query strings end up in logs, histories and Referer headers; keys belong in a header.
            raise DomainError(
                _("请不要把 API 密钥放在网址参数中，请使用请求头：Authorization: Bearer <密钥>。"),
                code="key_in_query",
            )
    token = bearer_token(request)
    if token is not None:
        from kaifang.access.identity import key_for

        key = key_for(token)  # cached by access generation: a revocation still counts on the next call
        if key is None:
            raise NotAuthenticated(_("API 密钥无效、已过期或已吊销。"))
        if request.method not in SAFE_METHODS and "write" not in (key.scopes or []):
            raise Forbidden(_("该 API 密钥只有读取权限，不能执行写入操作。"), code="key_scope")
        from django.conf import settings

        from kaifang.core.ratelimit import Window, check

        if getattr(settings, "KAIFANG_RATELIMIT_ENABLED", True):
            request._kaifang_rate = check(
                f"key:{key.prefix}",
                [Window("minute", 60, key.rate_limit_per_minute), Window("day", 86400, key.daily_quota)],
            )
        request._kaifang_key = key
        actor = key.user
    else:
        actor = request.user
        # Cookie sessions are what CSRF attacks ride on; API keys are not sent by browsers on their own.
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and getattr(
            actor, "is_authenticated", False
        ):
            from ninja.utils import check_csrf

            if check_csrf(request) is not None:
                raise Forbidden(_("CSRF 校验失败，请刷新页面后重试。"), code="csrf_failed")
    request._kaifang_actor = actor
    return actor
