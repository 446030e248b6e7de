"""The interaction block on a dataset page: ratings, comments with replies, follow, error reports. Rendered
outside the page's cached body, since it differs per signed-in reader; anonymous readers share one."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

from kaifang.catalog.codes import slug_for_code
from kaifang.core.fragments import fragment
from kaifang.interaction import permissions as perm
from kaifang.interaction import selectors

register = template.Library()
SHOWN = 50


@register.simple_tag(takes_context=True)
def dataset_interaction(context: Any, ds: Any) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        # What anonymous readers see is the same for all of them (no forms, no own reports): rendered once
        # per audit generation, as the rest of the dataset page is.
        return fragment(
            ("dataset-interaction", ds.pk),
            lambda: render_to_string("interaction/_dataset_block.html", _block(context, ds, user)),
        )
    return render_to_string("interaction/_dataset_block.html", _block(context, ds, user))


def _block(context: Any, ds: Any, user: Any) -> dict[str, Any]:
    request = context.get("request")
    signed_in = bool(getattr(user, "is_authenticated", False))
    slug = slug_for_code(ds.code)
    comments = list(selectors.comments_for(user, ds)[:SHOWN])
    for c in comments:
        c.author_label = selectors.masked_name(c.author)
    return {
        "ds": ds,
        "slug": slug,
        "request": request if signed_in else None,
        "csrf_token": context.get("csrf_token") if signed_in else None,
        "user": user,
        "signed_in": signed_in,
        "cataloged": ds.is_cataloged,
        "summary": selectors.rating_summary(ds),
        "comments": comments,
        "following": selectors.is_following(user, ds),
        "followers": selectors.follower_count(ds),
        "fields": selectors.reportable_fields(ds),
        "my_reports": list(selectors.error_reports_by(user, ds)[:20]),
        "may_reply": signed_in and perm.may_reply(user, ds),
        "may_moderate": signed_in and perm.may_moderate(user, ds),
        "login_url": f"/accounts/login/?next=/datasets/{slug}/%23interaction",
        "data": {},
        "errors": {},
        "stars": [5, 4, 3, 2, 1],
    }


@register.filter
def star_line(value: Any) -> str:
    """★★★☆☆ for 3 (what a screen reader says is given by the surrounding aria-label)."""
    try:
        n = max(0, min(5, round(float(value))))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.filter
def share_class(count: int, total: int) -> str:
    """The width class (w-0 … w-100) of a rating bar."""
    if not total:
        return "w-0"
    return f"w-{round(100 * count / total)}"


@register.filter
def slugify_code(code: str) -> str:
    """A dataset code as its page's URL writes it."""
    return slug_for_code(code)
