"""Reads of the privacy app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kaifang.privacy.masking import PublicationProfile as ProfileRules
from kaifang.privacy.models import GradeDecision, PublicationProfile


def current_profile_record(dataset: Any) -> PublicationProfile | None:
    return PublicationProfile.objects.filter(dataset=dataset).order_by("-id").first()


def current_profile(dataset: Any) -> ProfileRules | None:
    """The rules in force for the dataset's open version, or None if none were ever set."""
    record = current_profile_record(dataset)
    return ProfileRules.from_json(record.rules) if record else None


def profile_history(dataset: Any) -> QuerySet[PublicationProfile]:
    return PublicationProfile.objects.filter(dataset=dataset).select_related("created_by").order_by("-id")


REVIEW_SAMPLE_ROWS = 5000


def grade_decisions(dataset: Any) -> dict[str, GradeDecision]:
    """The decision in force per field name ("" = the dataset)."""
    out: dict[str, GradeDecision] = {}
    for d in GradeDecision.objects.filter(dataset=dataset).select_related("created_by").order_by("-id"):
        out.setdefault(d.field_name, d)
    return out


def _latest_version(dataset: Any) -> Any:
    from kaifang.tabular.models import TableVersion

    return (
        TableVersion.objects.filter(dataset=dataset, destruction__isnull=True)
        .exclude(store_key="")
        .order_by("-is_current", "-number")
        .first()
    )


def scan_version(version: Any) -> Any:
    """The recognizers over a sample (the first REVIEW_SAMPLE_ROWS rows) of a stored version."""
    import pyarrow.parquet as pq

    from kaifang.privacy import grading
    from kaifang.privacy.rawzone import raw_file
    from kaifang.privacy.recognizers import MAX_COLUMNS, scan_table

    with raw_file(version.store_key, version.content_hash) as path:
        pf = pq.ParquetFile(path)
        names = [n for n in pf.schema_arrow.names if n != "_id"]
        if len(names) > MAX_COLUMNS:
            report = scan_table({n: [] for n in names})
            sample: dict[str, list[Any]] = {}
        else:
            batch = next(pf.iter_batches(batch_size=REVIEW_SAMPLE_ROWS, columns=names), None)
            sample = batch.to_pydict() if batch is not None else {n: [] for n in names}
            report = scan_table(sample)
    report.row_count = max(report.row_count, version.row_count)
    grading.grade_table(report, version.dataset)
    return report, sample


def grade_suggestion(dataset: Any) -> dict[str, Any] | None:
    """{"dataset": {grade, sensitivity, reasons}, "fields": {name: {…}}} from the latest version, or None."""
    version = _latest_version(dataset)
    if version is None:
        return None
    report, _sample = scan_version(version)
    return {
        "dataset": {"grade": report.grade, "sensitivity": report.sensitivity, "reasons": report.reasons},
        "fields": {
            c.name: {"grade": c.grade, "sensitivity": c.sensitivity, "reasons": c.reasons}
            for c in report.columns
        },
    }


def privacy_review(actor: Any, dataset: Any, *, run_gate: bool = False) -> dict[str, Any]:
    """Everything the privacy review page shows: per-column detections with masked evidence, the
    suggested grades and rules, the profile in force, what the public would see, and (on request) the
    gate's decision over the whole version. NotFound for whoever may not review the dataset."""
    from kaifang.core.errors import NotFound
    from kaifang.privacy import grading
    from kaifang.privacy.gate import gate_table_version
    from kaifang.privacy.masking import ACTION_LABELS, apply_profile, dataset_key
    from kaifang.privacy.permissions import may_review_privacy

    if not may_review_privacy(actor, dataset):
        raise NotFound()
    record = current_profile_record(dataset)
    profile = current_profile(dataset)
    version = _latest_version(dataset)
    decisions = grade_decisions(dataset)
    out: dict[str, Any] = {
        "dataset": {"code": dataset.code, "title": dataset.title, "grade": dataset.sensitivity_grade},
        "version": None,
        "profile": record.rules if record else None,
        "profile_reason": record.reason if record else "",
        "profile_by": str(record.created_by) if record else "",
        "profile_at": record.created_at.isoformat() if record else "",
        "actions": ACTION_LABELS,
        "decisions": {
            name: {
                "grade": d.grade,
                "sensitivity": d.sensitivity,
                "suggested_grade": d.suggested_grade,
                "suggested_sensitivity": d.suggested_sensitivity,
                "override": d.is_override,
                "reason": d.reason,
                "by": str(d.created_by),
                "at": d.created_at.isoformat(),
            }
            for name, d in decisions.items()
        },
    }
    if version is None:
        return out
    out["version"] = {"number": version.number, "state": version.state, "rows": version.row_count}
    report, sample = scan_version(version)
    out["scan"] = report.as_dict()
    from kaifang.privacy.openversion import may_read_raw

    if not may_read_raw(actor, dataset):
        # A masked example still shows a region code and last digits: only for those who read the raw file.
        for column in out["scan"]["columns"]:
            for kind in column["kinds"]:
                kind["evidence"] = []
    out["suggestion"] = grading.suggestion(report)
    out["suggested_rules"] = grading.suggest_rules(report)
    if profile is not None:
        out["grade_after_profile"] = grading.grade_after_profile(report, profile)
        head = {k: v[:10] for k, v in sample.items()}
        masked = apply_profile(head, profile, key=dataset_key(dataset.pk)) if head else {}
        columns = list(masked)
        n = len(next(iter(masked.values()), []))
        out["public_preview"] = {
            "columns": columns,
            "rows": [[masked[c][i] for c in columns] for i in range(n)],
        }
    out["gate_records"] = gate_records(dataset)
    if run_gate:
        out["gate"] = gate_table_version(version).as_dict()
        if profile is not None:
            out["gate_masked"] = gate_table_version(version, apply_profile=True).as_dict()
    return out


def gate_records(dataset: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The gate decisions recorded with the dataset's versions, newest first (evidence is masked)."""
    from kaifang.privacy.models import VersionGate

    rows = (
        VersionGate.objects.filter(version__dataset=dataset)
        .select_related("version", "created_by")
        .order_by("-id")[:limit]
    )
    return [
        {
            "version": g.version.number,
            "allowed": g.allowed,
            "reasons": g.reasons,
            "evidence": g.evidence[:20],
            "findings": g.stats.get("findings", 0),
            "rows": g.stats.get("rows", 0),
            "withheld_columns": g.stats.get("withheld_columns", []),
            "k_anonymity": g.stats.get("k_anonymity"),
            "rules": g.rules,
            "profile_id": g.profile_id,
            "raw_sha256": g.raw_sha256,
            "open_sha256": g.open_sha256,
            "by": str(g.created_by) if g.created_by else "",
            "at": g.created_at.isoformat(),
        }
        for g in rows
    ]


def gate_summaries(version_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The latest gate decision of each version, as its version history shows it: passed or refused, when,
    what was scanned, which columns were withheld, and the hash of the open object readers download. The
    reasons (masked evidence) stay on the review page."""
    from kaifang.privacy.models import VersionGate

    out: dict[int, dict[str, Any]] = {}
    for g in VersionGate.objects.filter(version_id__in=version_ids).order_by("version_id", "-id"):
        if g.version_id in out:
            continue
        ka = g.stats.get("k_anonymity") or {}  # as `kanon.KAnonResult.as_dict` wrote it
        out[g.version_id] = {
            "allowed": g.allowed,
            "at": g.created_at.isoformat(),
            "rows_scanned": g.stats.get("rows", 0),
            "columns_scanned": g.stats.get("columns", 0),
            "findings": g.stats.get("findings", 0),
            "withheld_columns": g.stats.get("withheld_columns", []),
            "k": ka.get("k"),
            "open_sha256": g.open_sha256,
        }
    return out


def current_retention(dataset: Any) -> Any:
    from kaifang.privacy.models import RetentionPolicy

    return (
        RetentionPolicy.objects.filter(dataset=dataset).select_related("created_by").order_by("-id").first()
    )


def lifecycle(actor: Any, dataset: Any) -> dict[str, Any]:
    """Retention and destruction of a dataset's versions (officers, reviewers, auditors; else NotFound)."""
    import datetime as dt

    from django.utils import timezone

    from kaifang.core.errors import NotFound
    from kaifang.privacy.models import RetentionPolicy, VersionDestruction
    from kaifang.privacy.permissions import may_see_lifecycle
    from kaifang.tabular.models import TableVersion

    if not may_see_lifecycle(actor, dataset):
        raise NotFound()
    policies = list(
        RetentionPolicy.objects.filter(dataset=dataset).select_related("created_by").order_by("-id")[:20]
    )
    policy = policies[0] if policies else None
    destructions = {
        d.version_id: d
        for d in VersionDestruction.objects.filter(version__dataset=dataset).select_related("destroyed_by")
    }
    now = timezone.now()
    versions = []
    for v in TableVersion.objects.filter(dataset=dataset).order_by("-number")[:200]:
        expires = v.created_at + dt.timedelta(days=policy.days) if policy else None
        d = destructions.get(v.pk)
        versions.append(
            {
                "pk": v.pk,
                "number": v.number,
                "state": v.state,
                "state_label": str(v.get_state_display()),
                "is_current": v.is_current,
                "sha256": v.content_hash,
                "created_at": v.created_at,
                "expires_at": expires,
                "expired": bool(expires and expires < now),
                "destruction": {
                    "trigger": d.trigger,
                    "trigger_label": str(d.get_trigger_display()),
                    "reason": d.reason,
                    "hashes": d.destroyed_hashes,
                    "by": str(d.destroyed_by) if d.destroyed_by else "command-line",
                    "at": d.destroyed_at,
                }
                if d
                else None,
            }
        )
    return {
        "policy": policy,
        "policies": policies,
        "versions": versions,
        "destroyed_count": len(destructions),
    }
