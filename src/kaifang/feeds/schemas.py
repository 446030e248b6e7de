"""API input of feeds."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField


class PushIn(Schema):
    mode: str = PydField("upsert", max_length=16)
    rows: list[Any]
    # Also accepted as the `Idempotency-Key` header (which wins).
    idempotency_key: str = PydField("", max_length=100)
