"""Who may push to and read a feed. Reads follow the tabular data API's rules exactly (same helpers)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kaifang.catalog.models import Dataset
from kaifang.core.actors import roles_of


def can_feed_push(actor: Any, dataset: Dataset) -> bool:
    """Officers of the owning department only (an API key acts as its owner, with the write scope)."""
    return dataset.department_id in roles_of(actor).officer_department_ids


def may_read_feed(actor: Any, dataset: Dataset) -> bool:
    """Open feeds: anyone; conditional: holders of a usable grant (charged to its rate); the responsible
    staff always. The same rule as the data API."""
    from kaifang.tabular.permissions import may_read_data

    return may_read_data(actor, dataset)


def feed_columns_visible_to(actor: Any, dataset: Dataset, fields: list[Any]) -> list[str]:
    """The feed's columns the actor may read: closed fields never, a grant's fields only for grantees."""
    from kaifang.tabular.permissions import columns_visible_to

    schema = [{"name": f.name, "field_code": f.code, "open_attribute": f.open_attribute} for f in fields]
    # columns_visible_to reads only `.schema`: the feed's declared fields stand in for a table version's.
    return [c["name"] for c in columns_visible_to(actor, dataset, SimpleNamespace(schema=schema))]
