from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kaifang.core.actors import roles_of


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "platform_name": settings.KAIFANG_PLATFORM_NAME,
        "roles": roles_of(getattr(request, "user", None)),
    }
