"""The controlled vocabularies (domains and the classification systems) kept as data in catalog/data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "vocabularies.json"


def load_vocabularies(concept_model: Any = None) -> int:
    """Create or refresh every concept; idempotent. Takes the historical model inside migrations."""
    if concept_model is None:
        from kaifang.catalog.models import Concept as concept_model
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    n = 0
    for scheme, rows in raw.items():
        for order, row in enumerate(rows):
            concept_model.objects.update_or_create(
                scheme=scheme,
                code=row[0],
                defaults={
                    "label": row[1],
                    "label_en": row[2],
                    "order": order,
                    "group": row[3] if len(row) > 3 else "",
                },
            )
            n += 1
    return n
