"""API shapes of the catalog. `dataset_out` is the one serialisation shared by the API and the pages' JSON twins."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.catalog.choices import (
    CoordinateSystem,
    FieldType,
    FormatCategory,
    Grade,
    OpenAttribute,
    OpenForm,
    ShareMode,
    ShareType,
    State,
    UpdateFrequency,
    label_of,
)
from kaifang.catalog.codes import scheme, slug_for_code
from kaifang.catalog.models import Dataset


class FieldIn(Schema):
    name: str = PydField(max_length=200)
    name_en: str = PydField("", max_length=200)
    data_type: str = PydField(max_length=32)
    length: int | None = None
    is_primary_key: bool = False
    value_range: str = PydField("", max_length=1000)
    share_type: str | None = None
    open_attribute: str | None = None
    sensitivity_grade: str | None = None


class DatasetIn(Schema):
    title: str = PydField(max_length=1000)
    title_en: str = ""
    abstract: str = PydField(max_length=20000)
    department: str | None = PydField(None, description="提供方的统一社会信用代码（注册时必填）")
    resource_category: str = "3"
    domain: str
    theme: str = ""
    genre: str = ""
    service_objects: list[str] = []
    tags: list[str] = []
    format_category: str
    format_type: str
    share_type: str
    share_condition: str = ""
    share_mode: str = "platform_api"
    open_attribute: str | None = None
    open_condition: str = ""
    legal_basis: str = ""
    open_forms: list[str] = []
    update_frequency: str
    related_codes: list[str] = []
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    coordinate_system: str = PydField("", description="经纬度的坐标系：wgs84、gcj02、cgcs2000，空为未说明")
    fields: list[FieldIn] = PydField(max_length=2000)
    lock_version: int | None = PydField(None, description="更新时必填：读取时的版本号")
    reason: str = PydField("", max_length=2000)


class ActionIn(Schema):
    reason: str = PydField("", max_length=2000)
    lock_version: int | None = None


class SettleIn(Schema):
    authoritative: str
    reason: str = PydField(max_length=2000)


def _labelled(choices: Any, value: str) -> dict[str, str]:
    return {"code": value, "label": label_of(choices, value)}


def _concept(c: Any) -> dict[str, str] | None:
    return {"code": c.code, "label": c.label, "label_en": c.label_en} if c is not None else None


SAMPLE_LABEL = "示例数据"


def dataset_summary(ds: Dataset) -> dict[str, Any]:
    return {
        "code": ds.code,
        "code_display": scheme().display(ds.code),
        "slug": slug_for_code(ds.code),
        "title": ds.title,
        "title_en": ds.title_en,
        "abstract": ds.abstract[:300],
        "department": {
            "uscc": ds.department.uscc,
            "name": ds.department.name,
            "short_name": ds.department.short_name,
        },
        "region": {"code": ds.region.code, "name": ds.region.name},
        "domain": _concept(ds.domain),
        "open_attribute": _labelled(OpenAttribute, ds.open_attribute),
        "format_category": _labelled(FormatCategory, ds.format_category),
        "format_type": ds.format_type,
        "update_frequency": _labelled(UpdateFrequency, ds.update_frequency),
        "sensitivity_grade": _labelled(Grade, ds.sensitivity_grade),
        "state": _labelled(State, ds.state),
        "publish_date": ds.publish_date.isoformat() if ds.publish_date else None,
        "updated_at": ds.updated_at.isoformat() if ds.updated_at else None,
        "tags": ds.tags,
        "is_sample": ds.is_sample,
        "sample_label": SAMPLE_LABEL if ds.is_sample else None,
        "url": f"/datasets/{slug_for_code(ds.code)}/",
        "api_url": f"/api/v1/datasets/{slug_for_code(ds.code)}",
    }


def dataset_out(ds: Dataset, *, include_pending: bool = False) -> dict[str, Any]:
    out = dataset_summary(ds)
    out.update(
        {
            "abstract": ds.abstract,
            "resource_category": ds.resource_category,
            "classification_code": ds.classification_code,
            "theme": _concept(ds.theme),
            "genre": _concept(ds.genre),
            "service_objects": [_concept(c) for c in ds.service_objects.all()],
            "share_type": _labelled(ShareType, ds.share_type),
            "share_condition": ds.share_condition,
            "share_mode": _labelled(ShareMode, ds.share_mode),
            "open_condition": ds.open_condition,
            "legal_basis": ds.legal_basis,
            "open_forms": [_labelled(OpenForm, f) for f in ds.open_forms],
            "related_codes": ds.related_codes,
            "contact": {"name": ds.contact_name, "phone": ds.contact_phone, "email": ds.contact_email},
            "coordinate_system": _labelled(CoordinateSystem, ds.coordinate_system)
            if ds.coordinate_system
            else None,
            "lock_version": ds.lock_version,
            "fields": [
                {
                    "seq": f.seq,
                    "code": f.code,
                    "name": f.name,
                    "name_en": f.name_en,
                    "data_type": _labelled(FieldType, f.data_type),
                    "length": f.length,
                    "is_primary_key": f.is_primary_key,
                    "value_range": f.value_range,
                    "share_type": _labelled(ShareType, f.share_type),
                    "open_attribute": _labelled(OpenAttribute, f.open_attribute),
                    "sensitivity_grade": _labelled(Grade, f.sensitivity_grade),
                }
                for f in ds.fields.all()
            ],
            "distributions": [
                {
                    "kind": d.kind,
                    "title": d.title,
                    "media_type": d.media_type,
                    "access_url": d.access_url,
                    "byte_size": d.byte_size,
                    "checksum": d.checksum,
                }
                for d in ds.distributions.all()
            ],
        }
    )
    if include_pending:
        out["pending_changes"] = ds.pending_changes
        out["return_reason"] = ds.return_reason
    return out


def history_out(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as `catalog.selectors.history_for` shaped them for the actor."""
    return [
        {
            "action": e["action"],
            "actor": e["actor"],
            "reason": e["reason"],
            "before": e["before"],
            "after": e["after"],
            "at": e["created_at"].isoformat(),
        }
        for e in events
    ]


def parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
