"""API input schemas and the one serialisation of versions shared by the API and the pages."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.tabular.models import TableVersion, Upload


class ReasonIn(Schema):
    reason: str = PydField("", max_length=2000)


class UploadIn(Schema):
    filename: str = PydField(..., min_length=1, max_length=255)
    size: int = PydField(..., ge=1)
    encoding: str = PydField("", max_length=16)
    quarantine: bool = False


def version_out(
    v: TableVersion, *, detail: bool = False, gate: dict[str, Any] | None = None, profile: Any = None
) -> dict[str, Any]:
    """A version as the API shows it, with the latest privacy gate decision (`privacy_gate`, null before
    the version was gated). The detail's column statistics are the ones `profiles.profile_for` lets the
    reader see (`profile`, a VisibleProfile), never the version's own: none when not given."""
    out: dict[str, Any] = {
        "number": v.number,
        "state": v.state,
        "state_label": str(v.get_state_display()),
        "is_current": v.is_current,
        "sha256": v.content_hash,
        "byte_size": v.byte_size,
        "row_count": v.row_count,
        "quarantined_count": v.quarantined_count,
        "bad_row_count": v.bad_row_count,
        "source_name": v.source_name,
        "source_format": v.source_format,
        "source_encoding": v.source_encoding,
        "error": v.error,
        "created_at": v.created_at.isoformat() if v.created_at else None,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "columns": [{"name": c["name"], "type": c["type"]} for c in v.schema],
        "privacy_gate": gate,
    }
    if detail:
        out["profile"] = profile.columns if profile is not None else {}
        out["profile_scope"] = profile.scope if profile is not None else "none"
        out["profile_rows"] = profile.rows if profile is not None else 0
        out["bad_rows"] = v.bad_rows
    return out


def upload_out(u: Upload) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(u.pk),
        "filename": u.filename,
        "size": u.total_size,
        "received": u.received,
        "state": u.state,
        "phase": u.phase,
        "percent": u.percent,
        "elapsed_s": None,
        "version": None,
        "error": u.report or None,
    }
    elapsed = None
    if u.ingest_started_at:
        end = u.updated_at if u.state != Upload.State.INGESTING else None
        from django.utils import timezone

        elapsed = ((end or timezone.now()) - u.ingest_started_at).total_seconds()
        out["elapsed_s"] = round(elapsed, 1)
    if u.version_id and u.version:
        out["version"] = version_out(u.version)
        if elapsed is not None:
            # From the unrounded time: a small file ingested in under 50 ms still has a rate.
            out["rows_per_s"] = round(u.version.row_count / max(elapsed, 0.001))
    return out
