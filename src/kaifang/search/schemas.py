"""API shapes of search."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.catalog.schemas import dataset_summary


class SearchFilters(Schema):
    q: str = PydField("", max_length=200)
    catalog: str = PydField("open", pattern="^(open|sharing|resource)$")
    domain: str = PydField("", max_length=32)
    department: str = PydField("", max_length=32)
    region: str = PydField("", max_length=12)
    open_attribute: str = PydField("", max_length=16)
    format: str = PydField("", max_length=16)
    update_frequency: str = PydField("", max_length=16)
    theme: str = PydField("", max_length=16)
    page: int = PydField(1, ge=1, le=100000)
    page_size: int = PydField(20, ge=1, le=100)


class SynonymIn(Schema):
    terms: str = PydField(max_length=500, description="以逗号分隔的同义词，如：医院,医疗机构")


def hit_out(ds: Any, snippet: dict[str, str]) -> dict[str, Any]:
    return dataset_summary(ds) | snippet


def related_out(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in i.items() if k != "dataset"} for i in items]
