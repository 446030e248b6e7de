"""Who may do what to tables. One `can_<service>` per service in services.py, plus read rules."""

from __future__ import annotations

from typing import Any

from kaifang.catalog.choices import OpenAttribute
from kaifang.catalog.models import Dataset
from kaifang.core.actors import roles_of
from kaifang.tabular.models import TableVersion, Upload


def _officer_of(actor: Any, dataset: Dataset) -> bool:
    return dataset.department_id in roles_of(actor).officer_department_ids


def _reviews(actor: Any, dataset: Dataset) -> bool:
    roles = roles_of(actor)
    return roles.city_reviewer or dataset.region_id in roles.review_region_ids


def _is(actor: Any, user_id: int | None) -> bool:
    return user_id is not None and roles_of(actor).user_id == user_id


def can_table_ingest(actor: Any, dataset: Dataset) -> bool:
    return _officer_of(actor, dataset)


def can_table_version_publish(actor: Any, version: TableVersion) -> bool:
    """A reviewer of the dataset's region, never the person who uploaded the version."""
    return _reviews(actor, version.dataset) and not _is(actor, version.created_by_id)


def can_table_version_rollback(actor: Any, version: TableVersion) -> bool:
    return _reviews(actor, version.dataset)


def can_upload_start(actor: Any, dataset: Dataset) -> bool:
    return _officer_of(actor, dataset)


def can_upload_append(actor: Any, upload: Upload) -> bool:
    return _is(actor, upload.created_by_id) and _officer_of(actor, upload.dataset)


def can_upload_complete(actor: Any, upload: Upload) -> bool:
    return _is(actor, upload.created_by_id) and _officer_of(actor, upload.dataset)


def may_read_unpublished(actor: Any, dataset: Dataset) -> bool:
    """Staff responsible for a dataset see every version and every column (to check an upload)."""
    roles = roles_of(actor)
    return _officer_of(actor, dataset) or _reviews(actor, dataset) or roles.auditor or roles.superuser


def may_read_data(actor: Any, dataset: Dataset) -> bool:
    """Rows of unconditionally open datasets are public; conditional ones need a usable grant (access app)."""
    if may_read_unpublished(actor, dataset):
        return True
    if dataset.open_attribute == OpenAttribute.UNCONDITIONAL:
        return True
    if dataset.open_attribute == OpenAttribute.CONDITIONAL:
        return _grant(actor, dataset) is not None
    return False


def _grant(actor: Any, dataset: Dataset) -> Any:
    """The actor's usable grant, charged against its own per-minute rate (429 when exceeded)."""
    from kaifang.access.selectors import usable_grant
    from kaifang.core.ratelimit import Window, check

    grant = usable_grant(actor, dataset)
    if grant is not None:
        check(f"grant:{grant.pk}", [Window("minute", 60, grant.rate_limit_per_minute)])
        actor._kaifang_grant_id = grant.pk  # for the call log
    return grant


def columns_visible_to(actor: Any, dataset: Dataset, version: TableVersion) -> list[dict[str, Any]]:
    """The version's columns the actor may read: the public never sees a field the catalog marks closed
    (the catalog's current marking wins over the one recorded at ingest)."""
    if may_read_unpublished(actor, dataset):
        return list(version.schema)
    fields = list(dataset.fields.all())
    current = {f.code: f.open_attribute for f in fields}
    names = {f.name: f.open_attribute for f in fields}
    granted: set[str] | None = None
    if dataset.open_attribute == OpenAttribute.CONDITIONAL:
        from kaifang.access.selectors import usable_grant

        grant = usable_grant(actor, dataset)
        granted = set(grant.fields) if grant is not None else set()
    out = []
    for col in version.schema:
        attr = current.get(col.get("field_code", "")) or names.get(col["name"]) or col.get("open_attribute")
        if attr and attr != OpenAttribute.CLOSED and (granted is None or col["name"] in granted):
            out.append(col)
    return out


def can_table_sample_publish(actor: Any, dataset: Dataset) -> bool:
    """The department's officers and the region's reviewers make (and remake) the public sample."""
    return _officer_of(actor, dataset) or _reviews(actor, dataset)


def open_columns_visible_to(dataset: Dataset, version: TableVersion) -> list[dict[str, Any]]:
    """The columns that are open at all: every column whose catalog field is not 不予开放, whatever a grant
    selects (what the open version and a public sample may hold; a grantee then gets the grant's fields)."""
    fields = list(dataset.fields.all())
    current = {f.code: f.open_attribute for f in fields}
    names = {f.name: f.open_attribute for f in fields}
    out = []
    for col in version.schema:
        attr = current.get(col.get("field_code", "")) or names.get(col["name"]) or col.get("open_attribute")
        if attr and attr != OpenAttribute.CLOSED:
            out.append(col)
    return out
