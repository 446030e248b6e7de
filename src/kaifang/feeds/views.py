"""The live view of a feed on its dataset page (an htmx partial that polls itself)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.selectors import get_dataset_for
from kaifang.feeds import selectors
from kaifang.portal.views import domain_errors


@require_GET
@domain_errors
def live(request: HttpRequest, slug: str) -> HttpResponse:
    ds = get_dataset_for(request.user, code_from_slug(slug))
    ctx = selectors.feed_live(request.user, ds)
    ctx.update(ds=ds, slug=slug, poll=int(getattr(settings, "KAIFANG_FEED_POLL_SECONDS", 3)))
    response = render(request, "feeds/_live.html", ctx)
    response["Cache-Control"] = "no-store"
    return response
