"""The inbox pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kaifang.notifications import selectors


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = list(selectors.inbox_for(request.user)[:50])
    return render(request, "notifications/inbox.html", {"items": items})
