"""The publish gate hook: every publish calls it, and it asks the privacy app's gate."""

from __future__ import annotations

from typing import Any


def privacy_gate(version: Any) -> list[str]:
    """Reasons to refuse publishing `version`: personal identifiers left in any served column (every row is
    scanned), or k-anonymity below the dataset's threshold. Empty when the version may be published."""
    from kaifang.privacy.gate import gate_table_version

    decision = gate_table_version(version)
    return [] if decision.allowed else [str(r) for r in decision.reasons]
