"""The notifications API v1 (one ninja Router): the caller's own inbox and e-mail preferences."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Query, Router

from kaifang.core.errors import NotAuthenticated
from kaifang.core.http import DbInt, actor_for
from kaifang.notifications import selectors, services
from kaifang.notifications.schemas import InboxFilters, PreferencesIn, notification_out

router = Router(tags=["notifications"])


def _user(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


@router.get("/notifications", summary="我的消息（分页，可只看未读）")
def list_notifications(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    actor = _user(request)
    paginator = Paginator(selectors.inbox_for(actor, unread=filters.unread), filters.page_size)
    page = paginator.get_page(filters.page)
    return {
        "count": paginator.count,
        "unread_count": selectors.unread_count(actor),
        "page": page.number,
        "page_size": filters.page_size,
        "num_pages": paginator.num_pages,
        "results": [notification_out(n) for n in page.object_list],
    }


@router.post("/notifications/read-all", summary="全部标为已读")
def read_all(request: HttpRequest) -> dict[str, Any]:
    return {"marked": services.notification_mark_all_read(actor=_user(request))}


@router.post("/notifications/{notification_id}/read", summary="标为已读")
def read_one(request: HttpRequest, notification_id: DbInt) -> dict[str, Any]:
    actor = _user(request)
    note = selectors.get_notification_for(actor, notification_id)
    return notification_out(services.notification_mark_read(actor=actor, notification=note))


def _preferences(actor: Any) -> dict[str, Any]:
    return {"events": selectors.preferences_for(actor), "mail": selectors.mail_counts_for(actor)}


@router.get("/notifications/preferences", summary="邮件提醒设置")
def get_preferences(request: HttpRequest) -> dict[str, Any]:
    return _preferences(_user(request))


@router.put("/notifications/preferences", summary="修改邮件提醒设置")
def put_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    actor = _user(request)
    services.notification_preferences_update(actor=actor, choices=payload.email)
    return _preferences(actor)
