from typing import Any

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the header, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}

    def unread() -> int:
        from kaifang.notifications.selectors import unread_count

        known = getattr(request, "unread_notifications", None)  # the inbox page has counted them already
        return known if isinstance(known, int) else unread_count(user)

    return {"unread_notifications": unread}
