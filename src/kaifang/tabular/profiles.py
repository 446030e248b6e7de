"""Which column statistics of a version an actor may read.

A version's profile (nulls, distinct counts, min/max, top values with counts, histograms) is data: whoever may
not read a column's rows may not read its statistics. `profile_for` is the one place that decides, and every
output that shows a profile (the version detail of the API, the data panel's table and charts, the map's
initial extent) asks it:

- the staff responsible for the dataset: the profile as the version is served to them (`as_served`);
- unconditionally open data: the profile of the open version, for the columns the public may read;
- conditionally open data with a usable grant: the granted columns only, and when the grant limits rows,
  statistics computed on those rows alone (cached by the served object, the row scope and the columns);
- anyone else (the public, officers of other departments, an expired grant): none. What the public may learn
  of conditional data is its public sample, which it reads as rows.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from kaifang.catalog.choices import OpenAttribute
from kaifang.tabular.permissions import columns_visible_to, may_read_unpublished

log = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600
SCOPES = ("full", "open", "grant", "none")


@dataclass
class VisibleProfile:
    """`columns`: the profile entries the actor may read, by column name; `rows`: the number of rows they
    were computed on; `scope`: one of SCOPES."""

    columns: dict[str, Any] = field(default_factory=dict)
    rows: int = 0
    scope: str = "none"


def profile_for(actor: Any, dataset: Any, version: Any) -> VisibleProfile:
    """The statistics of `version` (as served to the actor, see `selectors.as_served`) that the actor may
    read. Reads the grant without charging its rate: the caller's own data call has been charged."""
    profile = version.profile or {}
    rows = version.row_count or 0
    if may_read_unpublished(actor, dataset):
        return VisibleProfile(dict(profile), rows, "full")
    if dataset.open_attribute == OpenAttribute.UNCONDITIONAL:
        names = [c["name"] for c in columns_visible_to(actor, dataset, version)]
        return VisibleProfile(_only(profile, names), rows, "open")
    if dataset.open_attribute != OpenAttribute.CONDITIONAL:
        return VisibleProfile()
    from kaifang.access.selectors import usable_grant

    grant = usable_grant(actor, dataset)
    if grant is None or not profile:
        return VisibleProfile()
    columns = columns_visible_to(actor, dataset, version)
    if not columns:
        return VisibleProfile(scope="grant")
    if not grant.row_filter:
        return VisibleProfile(_only(profile, [c["name"] for c in columns]), rows, "grant")
    found = _scoped(version, columns, grant.row_filter)
    if found is None:
        return VisibleProfile()  # the scope could not be applied: no statistics rather than too many
    return VisibleProfile(found["profile"], found["rows"], "grant")


def _only(profile: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {n: profile[n] for n in names if n in profile}


def _scoped(version: Any, columns: list[dict[str, Any]], row_filter: str) -> dict[str, Any] | None:
    """The profile of the granted columns over the granted rows of the served object, or None."""
    from django.core.cache import cache

    from kaifang.privacy.openversion import served_path

    try:
        path = served_path(version)
    except Exception:  # destroyed or unreadable: nothing to compute
        return None
    if path is None:
        return None
    names = [c["name"] for c in columns]
    digest = hashlib.sha256(repr((str(path), row_filter, names)).encode()).hexdigest()[:40]
    key = f"kf:grant-profile:{digest}"
    found = cache.get(key)
    if found is None:
        found = _compute(version, path, columns, row_filter)
        if found is None:
            return None
        cache.set(key, found, CACHE_SECONDS)
    return found


def _compute(version: Any, path: Any, columns: list[dict[str, Any]], row_filter: str) -> dict[str, Any] | None:
    from django.http import QueryDict

    from kaifang.core.errors import DomainError
    from kaifang.tabular import query as Q
    from kaifang.tabular.engine import TableEngine, _literal_path, quote_ident
    from kaifang.tabular.ingest import profile_table

    scope = Q.Spec(columns=list(version.schema))
    try:
        Q.parse_filters(scope, QueryDict(row_filter))
    except DomainError:
        return None  # the grant names a column this version does not have
    where = " AND ".join(scope.where) or "true"
    select = ", ".join(quote_ident(c["name"]) for c in columns)
    con = TableEngine()._private({"t": path})
    try:
        # Names from the version's schema, quoted; the scope's values are bound.
        con.execute(
            f"CREATE TEMP TABLE t AS SELECT {select} FROM read_parquet({_literal_path(path)}) "  # noqa: S608
            f"WHERE {where}",
            scope.params,
        )
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        return {"profile": profile_table(con, columns, rows), "rows": rows}
    except Exception:
        log.exception("grant profile of version %s failed", version.pk)
        return None
    finally:
        con.close()
