"""Small filters for the portal templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language, gettext_lazy

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


@register.filter
def loc(obj: Any, attr: str = "label") -> str:
    """The English variant (`<attr>_en`) of a label when the page is in English and one exists."""
    if obj is None:
        return ""
    if get_language() == "en":
        english = getattr(obj, f"{attr}_en", "")
        if english:
            return str(english)
    return str(getattr(obj, attr, ""))


ACTION_LABELS = {
    "dataset_register": gettext_lazy("登记"),
    "dataset_update": gettext_lazy("修改"),
    "dataset_submit": gettext_lazy("提交审核"),
    "dataset_review_start": gettext_lazy("开始审核"),
    "dataset_publish": gettext_lazy("发布"),
    "dataset_return": gettext_lazy("退回"),
    "dataset_withdraw": gettext_lazy("撤回"),
    "dataset_reopen": gettext_lazy("重新打开"),
}


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
