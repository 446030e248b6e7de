"""Keep the API's error shape for the responses the framework makes before our handlers run."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

MESSAGES = {
    404: ("not_found", lambda: _("未找到该资源，或您无权访问。")),
    405: ("method_not_allowed", lambda: _("该接口不支持此请求方法。")),
}


class ApiErrorShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
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
