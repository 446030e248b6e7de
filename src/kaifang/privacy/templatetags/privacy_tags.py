from typing import Any

from django import template

register = template.Library()


@register.filter
def get_decision(decisions: dict[str, Any], name: str) -> Any:
    return (decisions or {}).get(name)
