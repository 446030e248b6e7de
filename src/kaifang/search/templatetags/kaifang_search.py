"""Template tags the portal uses to show search parts: related datasets, did-you-mean, snippets."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from kaifang.search import selectors
from kaifang.search import text as T

register = template.Library()


@register.inclusion_tag("search/_related.html", takes_context=True)
def related_block(context: dict[str, Any], ds: Any) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "user", None)
    return {"ds": ds, "related": selectors.related_datasets(actor, ds)}


@register.inclusion_tag("search/_did_you_mean.html", takes_context=True)
def did_you_mean(context: dict[str, Any], q: str) -> dict[str, Any]:
    request = context.get("request")
    return {"did_you_mean": selectors.did_you_mean(getattr(request, "user", None), q or "")}


@register.simple_tag
def snippet(text: str, q: str, width: int = 140) -> str:
    """Text around the first match of q with every match marked (escaped HTML)."""
    if not q:
        return mark_safe(T.highlight(text, [], width))  # noqa: S308 - highlight escapes its input
    return mark_safe(T.highlight(text, selectors.parse(q).terms, width))  # noqa: S308
