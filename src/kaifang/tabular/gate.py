"""The publish gate hook: every publish calls it, and it asks the privacy app's gate."""

from __future__ import annotations

from typing import Any


def privacy_gate(version: Any, *, actor: Any = None) -> list[str]:
    """Reasons to refuse publishing `version`: personal identifiers left in any column of its open version
    (written here with the dataset's publication profile; every row is scanned), or k-anonymity below the
    dataset's threshold. Empty when the version may be published; the open version is then what every
    reader is served. The decision is recorded with the version either way."""
    from kaifang.privacy.openversion import gate_and_write_open

    decision = gate_and_write_open(version, actor=actor)
    return [] if decision.allowed else [str(r) for r in decision.reasons]
