"""The privacy app's hooks in the data pipeline: every ingest seals its raw object, every publish asks the
gate."""

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


def seal_at_rest(version: Any) -> None:
    """Encrypt a freshly ingested version's raw object (and its quarantined rows) into the raw zone and remove
    the plain files: raw data is encrypted at rest from upload on (P8). Reads decrypt a transient copy."""
    from kaifang.privacy.openversion import seal_raw

    seal_raw(version)
