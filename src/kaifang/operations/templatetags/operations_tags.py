"""A work order's deadline as the lists and the detail page show it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def deadline(work_order: Any, status: dict[str, Any]) -> SafeString:
    """The due day, the working days left or overdue, "provisional" where the year's holidays are not yet
    published, and the escalation badge. A tag, not an included template: it is drawn on every row of the
    work-order lists, where an include per row was a third of an uncached page (bench/workbench_bench.py)."""
    parts = [format_html("{}", work_order.deadline.strftime("%Y-%m-%d"))]
    if status["open"]:
        if status["overdue"]:
            text = _("已超期 %(n)s 个工作日") % {"n": status["days_overdue"]}
            parts.append(format_html(' · <strong data-testid="overdue">{}</strong>', text))
        elif status["days_left"] == 0:
            parts.append(format_html(" · <strong>{}</strong>", _("今日到期")))
        else:
            parts.append(format_html(" · {}", _("剩余 %(n)s 个工作日") % {"n": status["days_left"]}))
    if status["provisional"]:
        parts.append(
            format_html(
                ' <abbr title="{}">{}</abbr>', _("该年度放假安排尚未发布，按周一至周五计算"), _("暂定")
            )
        )
    if work_order.escalated_at and status["open"]:
        parts.append(format_html(' <span class="badge warn">{}</span>', _("督办")))
    css = "deadline warn" if status["overdue"] else "deadline"
    return format_html('<span class="{}">{}</span>', css, mark_safe("".join(parts)))  # noqa: S308 - each part escaped above
