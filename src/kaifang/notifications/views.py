"""The inbox pages: the list, opening one message, marking read, and the e-mail preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaifang.core.errors import DomainError, NotFound
from kaifang.core.fragments import fragment
from kaifang.notifications import selectors, services
from kaifang.notifications.events import label_of
from kaifang.notifications.models import EmailChoice

PAGE_SIZE = 20


def _own(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.get_notification_for(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


# Where each message's form puts its CSRF field: the list is kept rendered per user and inbox state, the
# field (masked afresh on every response) is put in afterwards.
CSRF_MARK = "<!--kaifang:csrf-->"


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    user = request.user
    unread_total = selectors.unread_count(user)
    request.unread_notifications = unread_total  # the header's badge: counted once
    paginator = Paginator(selectors.inbox_for(user, unread=unread), PAGE_SIZE)
    number = request.GET.get("page", "")
    full_path = request.get_full_path()

    def listing() -> str:
        page = paginator.get_page(number)
        items = list(page.object_list)
        # Links and times worked out here rather than by a tag per message: an uncached inbox page of twenty
        # was mostly {% url %} and date filters (bench/workbench_bench.py).
        open_url, read_url = _url_of_each("notifications:open"), _url_of_each("notifications:read")
        for n in items:
            n.event_label = label_of(n.event)
            n.open_url, n.read_url = open_url(n.pk), read_url(n.pk)
            when = localtime(n.created_at)
            n.when, n.when_iso = when.strftime("%Y-%m-%d %H:%M"), when.isoformat()
            n.mark_label = _("将“%(subject)s”标为已读") % {"subject": n.subject}
        mark = mark_safe(CSRF_MARK)  # noqa: S308 - a constant comment
        ctx = {"page": page, "items": items, "unread": unread, "next": full_path, "csrf_field": mark}
        return render_to_string("notifications/_inbox_list.html", ctx)

    # The user's inbox changes only by a new message (its newest id), a message read (the unread count) or
    # one removed (the count): the list is kept until one of them moves.
    state = (selectors.newest_notification_id(user), paginator.count, unread_total)
    html = fragment(("inbox", user.pk, state, unread, number[:12], full_path[:300]), listing)
    ctx = {
        "listing": mark_safe(html.replace(CSRF_MARK, _csrf_field(request))),  # noqa: S308 - our rendering
        "unread": unread,
        "unread_total": unread_total,
        "next": full_path,
        "api_twin": "/api/v1/notifications" + ("?unread=true" if unread else ""),
    }
    return render(request, "notifications/inbox.html", ctx)


def _csrf_field(request: HttpRequest) -> str:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


def _url_of_each(name: str) -> Any:
    """The URL of `name` for any message, from one reverse: `/inbox/0/read/` → pk ↦ `/inbox/<pk>/read/`."""
    head, tail = reverse(name, kwargs={"pk": 0}).rsplit("/0/", 1)
    return lambda pk: f"{head}/{int(pk)}/{tail}"


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
