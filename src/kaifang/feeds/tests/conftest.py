from __future__ import annotations

from typing import Any

import pytest

FIELDS = [
    {"name": "停车场编号", "name_en": "park_id", "data_type": "C", "length": 8, "is_primary_key": True},
    {"name": "停车场名称", "name_en": "park_name", "data_type": "C", "length": 20},
    {"name": "空闲泊位数", "name_en": "free", "data_type": "I", "length": 6, "value_range": "0-5000"},
    {"name": "饱和度", "name_en": "ratio", "data_type": "N", "length": 8},
    {"name": "更新时间", "name_en": "updated", "data_type": "T"},
    {"name": "收费标准", "name_en": "fee", "data_type": "C", "length": 8, "value_range": "免费、计时、包月"},
]


def row(pk: str = "P001", free: Any = 10, **extra: Any) -> dict[str, Any]:
    out = {
        "停车场编号": pk,
        "停车场名称": f"停车场{pk}",
        "空闲泊位数": free,
        "饱和度": 0.5,
        "更新时间": "2026-11-27 10:00:00",
        "收费标准": "计时",
    }
    out.update(extra)
    return out


@pytest.fixture
def feed_dataset(make_dataset: Any) -> Any:
    """A published, unconditionally open dataset opened as a feed by the transport bureau (officer)."""

    def make(**data: Any) -> Any:
        data.setdefault("fields", FIELDS)
        data.setdefault("open_forms", ["feed", "api"])
        data.setdefault("update_frequency", "realtime")
        return make_dataset("published", **data)

    return make


@pytest.fixture
def api_key(personas: Any) -> Any:
    from kaifang.accounts.services import api_key_create

    def make(persona: str, scopes: list[str] | None = None) -> str:
        user = personas[persona]
        _key, secret = api_key_create(actor=user, owner=user, name=f"k-{persona}", scopes=scopes)
        return secret

    return make


@pytest.fixture
def push(client: Any, api_key: Any) -> Any:
    """POST a batch as a persona (through an API key with the write scope)."""
    from kaifang.catalog.codes import slug_for_code

    keys: dict[str, str] = {}

    def do(ds: Any, rows: Any, mode: str = "upsert", persona: str = "officer", key: str = "") -> Any:
        headers = {}
        if persona != "anonymous":
            if persona not in keys:  # one key per persona (setdefault would make a new key every call)
                keys[persona] = api_key(persona)
            headers["HTTP_AUTHORIZATION"] = f"Bearer {keys[persona]}"
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return client.post(
            f"/api/v1/datasets/{slug_for_code(ds.code)}/feed",
            {"mode": mode, "rows": rows},
            content_type="application/json",
            **headers,
        )

    return do


def url(ds: Any, what: str) -> str:
    from kaifang.catalog.codes import slug_for_code

    return f"/api/v1/datasets/{slug_for_code(ds.code)}/feed/{what}"
