"""The inbox pages: the list, opening one message, marking read, and the e-mail preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaifang.core.errors import DomainError, NotFound
from kaifang.notifications import selectors, services
from kaifang.notifications.events import label_of
from kaifang.notifications.models import EmailChoice

PAGE_SIZE = 20


def _own(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.get_notification_for(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    page = Paginator(selectors.inbox_for(request.user, unread=unread), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    for n in items:
        n.event_label = label_of(n.event)
    ctx = {
        "page": page,
        "items": items,
        "unread": unread,
        "unread_total": selectors.unread_count(request.user),
        "api_twin": "/api/v1/notifications" + ("?unread=true" if unread else ""),
    }
    return render(request, "notifications/inbox.html", ctx)


def _local(url: str, request: HttpRequest) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Following a message marks it read and goes where it points (only within this site)."""
    note = services.notification_mark_read(actor=request.user, notification=_own(request, pk))
    return redirect(note.url if _local(note.url, request) else "notifications:inbox")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.notification_mark_read(actor=request.user, notification=_own(request, pk))
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request.user)
    messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    nxt = request.POST.get("next", "")
    return nxt if _local(nxt, request) else "notifications:inbox"


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        choices = {
            key[len("email_") :]: value for key, value in request.POST.items() if key.startswith("email_")
        }
        try:
            services.notification_preferences_update(actor=request.user, choices=choices)
        except DomainError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {"general": str(exc.message)}
            status = exc.status
        else:
            messages.success(request, _("邮件提醒设置已保存。"))
            return redirect("notifications:preferences")
    ctx = {
        "events": selectors.preferences_for(request.user),
        "options": EmailChoice.choices,
        "mail": selectors.mail_counts_for(request.user),
        "undelivered": selectors.undelivered_mail_for(request.user),
        "has_email": bool(request.user.email),
        "errors": errors,
        "api_twin": "/api/v1/notifications/preferences",
    }
    return render(request, "notifications/preferences.html", ctx, status=status)
