"""Small filters for the portal templates."""

from __future__ import annotations

from typing import Any

from django import template

from kaifang.catalog.codes import scheme, slug_for_code

register = template.Library()


@register.filter
def slugify_code(code: str) -> str:
    return slug_for_code(code)


@register.filter
def code_display(code: str) -> str:
    return scheme().display(code)


@register.filter
def pct(value: Any, total: Any = None) -> str:
    """0.4567 -> '45.7%'; with a total, value/total."""
    try:
        v = float(value) / float(total) if total is not None else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return "0%"
    return f"{v * 100:.1f}%".replace(".0%", "%")


@register.filter
def bar(value: Any, total: Any = None) -> str:
    """A width for a progress bar, capped at 100."""
    try:
        v = float(value) / float(total) if total is not None else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return "0"
    return f"{max(0.0, min(v * 100, 100.0)):.1f}"
