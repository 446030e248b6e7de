"""Domain errors. Services raise these; the API and views turn them into HTTP responses.

Messages are lazily translated Chinese strings, so the caller's language decides what a person reads.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: Any = None, *, code: str | None = None, details: Any = None):
        self.message = message if message is not None else self.default_message()
        if code:
            self.code = code
        self.details = details
        super().__init__(str(self.message))

    def default_message(self) -> Any:
        return _("请求无效。")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.details is not None:
            body["details"] = _stringify(self.details)
        return body


def _stringify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stringify(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class NotFound(DomainError):
    """Missing and forbidden look the same, so a name alone reveals nothing."""

    status = 404
    code = "not_found"

    def default_message(self) -> Any:
        return _("未找到该资源，或您无权访问。")


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"

    def default_message(self) -> Any:
        return _("请先登录。")


class Forbidden(DomainError):
    """For objects the actor can see but may not act on (the object's existence is no secret to them)."""

    status = 403
    code = "forbidden"

    def default_message(self) -> Any:
        return _("您无权执行此操作。")


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    def default_message(self) -> Any:
        return _("提交的内容未通过校验。")


class Conflict(DomainError):
    status = 409
    code = "conflict"

    def default_message(self) -> Any:
        return _("该记录已被他人修改，请刷新后重试。")


class InvalidTransition(DomainError):
    status = 409
    code = "invalid_transition"

    def default_message(self) -> Any:
        return _("当前状态下不能执行此操作。")
