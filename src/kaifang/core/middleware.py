"""API requests: resolve the caller (keys, CSRF, rate limits) up front, and keep the JSON error shape
for the responses the framework makes before our handlers run."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kaifang.core.errors import DomainError
from kaifang.core.http import actor_for
from kaifang.core.ratelimit import RateLimited

MESSAGES = {
    404: ("not_found", lambda: _("未找到该资源，或您无权访问。")),
    405: ("method_not_allowed", lambda: _("该接口不支持此请求方法。")),
}


def _json_error(status: int, body: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps({"error": body}, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


class ApiErrorShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            # Every API call resolves its caller first: a bad, expired or exhausted key is refused
            # even on endpoints that would answer anonymously.
            try:
                actor_for(request)
            except RateLimited as exc:
                response = _json_error(exc.status, exc.as_dict())
                for name, value in exc.usage.headers().items():
                    response[name] = value
                response["Retry-After"] = str(exc.usage.reset)
                return response
            except DomainError as exc:
                return _json_error(exc.status, exc.as_dict())
        response = self.get_response(request)
        usage = getattr(request, "_kaifang_rate", None)
        if usage is not None:
            for name, value in usage.headers().items():
                response[name] = value
        if (
            request.path.startswith("/api/")
            and response.status_code in MESSAGES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = MESSAGES[response.status_code]
            response.content = json.dumps(
                {"error": {"code": code, "message": str(message())}}, ensure_ascii=False
            )
            response["Content-Type"] = "application/json; charset=utf-8"
        return response


class InvalidCharacters(BadRequest):
    """A request refused for a character no value may hold; its message is written for the person."""


def _has_nul(params: object) -> bool:
    lists = getattr(params, "lists", None)
    if lists is None:
        return False
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in lists())


class RefuseNulMiddleware:
    """A NUL byte in a query parameter or a form field is refused with 400 before any view runs: no
    legitimate value holds one, and PostgreSQL refuses any query that carries it (a server error on pages that
    pass a filter through, where SQLite would quietly match nothing). JSON bodies are the endpoints' business
    (their schemas and services clean text); multipart uploads are not read here, so they stay streamed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        form = request.method == "POST" and request.content_type == "application/x-www-form-urlencoded"
        if _has_nul(request.GET) or (form and _has_nul(request.POST)):
            message = _("请求参数含有无效字符（空字符），请检查后重试。")
            if request.path.startswith("/api/"):
                return _json_error(400, {"code": "invalid_characters", "message": message})
            raise InvalidCharacters(message)
        return self.get_response(request)
