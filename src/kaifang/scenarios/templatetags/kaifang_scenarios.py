"""The "applications using this data" block on a dataset page."""

from __future__ import annotations

from typing import Any

from django import template

from kaifang.scenarios import selectors

register = template.Library()


@register.inclusion_tag("scenarios/_used_by.html")
def used_by_block(ds: Any) -> dict[str, Any]:
    return {"ds": ds, "apps": selectors.published_for_dataset(ds)}
