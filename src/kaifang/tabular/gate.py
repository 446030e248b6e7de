"""The publish gate hook. The privacy issue replaces the body; every publish already calls it."""

from __future__ import annotations

from typing import Any


def privacy_gate(version: Any) -> list[str]:
    """Reasons to refuse publishing `version` (PII found, masking missing, k-anonymity failed). Until the
    privacy module lands this refuses nothing, but it is called on every publish, so it has one place to plug in."""
    return []
