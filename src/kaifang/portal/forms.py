"""Turning the registration form's POST into the dict that catalog.rules validates, and back."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from kaifang.catalog.models import Dataset

TEXT_KEYS = (
    "title",
    "title_en",
    "abstract",
    "resource_category",
    "domain",
    "theme",
    "genre",
    "format_category",
    "format_type",
    "share_type",
    "share_condition",
    "share_mode",
    "open_attribute",
    "open_condition",
    "legal_basis",
    "update_frequency",
    "contact_name",
    "contact_phone",
    "contact_email",
    "coordinate_system",
)
LIST_TEXT_KEYS = ("tags", "related_codes")
FIELD_KEYS = (
    "name",
    "name_en",
    "data_type",
    "length",
    "is_primary_key",
    "value_range",
    "share_type",
    "open_attribute",
    "sensitivity_grade",
)
MAX_FORM_ROWS = 500


def dataset_data_from_post(post: QueryDict) -> dict[str, Any]:
    data: dict[str, Any] = {k: post.get(k, "") for k in TEXT_KEYS}
    for key in LIST_TEXT_KEYS:
        data[key] = post.get(key, "")
    data["service_objects"] = post.getlist("service_objects")
    data["open_forms"] = post.getlist("open_forms")
    columns = {k: post.getlist(f"field_{k}")[:MAX_FORM_ROWS] for k in FIELD_KEYS}
    rows = []
    for i in range(len(columns["name"])):
        row = {k: (columns[k][i] if i < len(columns[k]) else "") for k in FIELD_KEYS}
        if not any(
            str(v).strip() for k, v in row.items() if k in ("name", "name_en", "length", "value_range")
        ):
            continue  # an untouched empty row
        row["is_primary_key"] = row["is_primary_key"] == "1"
        for k in ("share_type", "open_attribute", "sensitivity_grade"):
            if not row[k]:
                row.pop(k)
        rows.append(row)
    data["fields"] = rows
    return data


def dataset_initial(ds: Dataset) -> dict[str, Any]:
    data: dict[str, Any] = {k: getattr(ds, k) for k in TEXT_KEYS if k not in ("domain", "theme", "genre")}
    data["domain"] = ds.domain.code if ds.domain_id else ""
    data["theme"] = ds.theme.code if ds.theme_id else ""
    data["genre"] = ds.genre.code if ds.genre_id else ""
    data["tags"] = "，".join(ds.tags or [])
    data["related_codes"] = "，".join(ds.related_codes or [])
    data["service_objects"] = [c.code for c in ds.service_objects.all()]
    data["open_forms"] = list(ds.open_forms or [])
    data["fields"] = [{k: getattr(f, k) for k in FIELD_KEYS} for f in ds.fields.all()]
    return data


def split_errors(details: Any) -> tuple[dict[str, str], dict[int, list[str]], list[str]]:
    """ValidationFailed.details -> (per scalar key, per field row (1-based), all messages in order)."""
    scalar: dict[str, str] = {}
    rows: dict[int, list[str]] = {}
    everything: list[str] = []
    if isinstance(details, dict):
        for key, msg in details.items():
            msg = str(msg)
            everything.append(msg)
            parts = str(key).split(".")
            if parts[0] == "fields" and len(parts) > 1 and parts[1].isdigit():
                rows.setdefault(int(parts[1]), []).append(msg)
            else:
                scalar[parts[0]] = msg
    elif details:
        everything.append(str(details))
    return scalar, rows, everything
