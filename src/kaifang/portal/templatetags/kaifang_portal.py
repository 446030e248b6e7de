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
    "table.upload_start": gettext_lazy("开始上传数据"),
    "table.ingest": gettext_lazy("导入数据版本"),
    "table.ingest_failed": gettext_lazy("数据导入失败"),
    "table.publish": gettext_lazy("发布数据版本"),
    "table.rollback": gettext_lazy("回滚数据版本"),
    "feed.push": gettext_lazy("推送实时数据"),
    "privacy.grade_override": gettext_lazy("确认分级"),
    "privacy.publication_profile_set": gettext_lazy("设置脱敏方案"),
    "duplicate_settle": gettext_lazy("裁定权威来源"),
    "access_application_submit": gettext_lazy("提交申请"),
    "access_application_request_info": gettext_lazy("要求补充材料"),
    "access_application_answer": gettext_lazy("补充材料"),
    "access_application_approve": gettext_lazy("批准"),
    "access_application_reject": gettext_lazy("驳回"),
    "access_application_withdraw": gettext_lazy("撤回申请"),
    "access_grant_create": gettext_lazy("授权"),
    "access_grant_revoke": gettext_lazy("吊销授权"),
    "usage_report_submit": gettext_lazy("提交利用报告"),
}


@register.filter
def action_label(action: str) -> str:
    # The dataset page's history shows every app's actions; an unknown one keeps its name.
    return str(ACTION_LABELS.get(action, action))
