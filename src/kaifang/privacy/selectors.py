"""Reads of the privacy app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kaifang.privacy.masking import PublicationProfile as ProfileRules
from kaifang.privacy.models import PublicationProfile


def current_profile_record(dataset: Any) -> PublicationProfile | None:
    return PublicationProfile.objects.filter(dataset=dataset).order_by("-id").first()


def current_profile(dataset: Any) -> ProfileRules | None:
    """The rules in force for the dataset's open version, or None if none were ever set."""
    record = current_profile_record(dataset)
    return ProfileRules.from_json(record.rules) if record else None


def profile_history(dataset: Any) -> QuerySet[PublicationProfile]:
    return PublicationProfile.objects.filter(dataset=dataset).select_related("created_by").order_by("-id")


REVIEW_SAMPLE_ROWS = 5000


def privacy_review(actor: Any, dataset: Any, *, run_gate: bool = False) -> dict[str, Any]:
    """Everything the privacy review page shows: per-column detections with masked evidence, the
    suggested grades and rules, the profile in force, what the public would see, and (on request) the
    gate's decision over the whole version. NotFound for whoever may not review the dataset."""
    import pyarrow.parquet as pq

    from kaifang.core.errors import NotFound
    from kaifang.privacy import grading
    from kaifang.privacy.gate import gate_table_version
    from kaifang.privacy.masking import ACTION_LABELS, apply_profile, dataset_key
    from kaifang.privacy.permissions import may_review_privacy
    from kaifang.privacy.recognizers import MAX_COLUMNS, scan_table
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.store import get_store

    if not may_review_privacy(actor, dataset):
        raise NotFound()
    record = current_profile_record(dataset)
    profile = current_profile(dataset)
    version = (
        TableVersion.objects.filter(dataset=dataset)
        .exclude(store_key="")
        .order_by("-is_current", "-number")
        .first()
    )
    out: dict[str, Any] = {
        "dataset": {"code": dataset.code, "title": dataset.title, "grade": dataset.sensitivity_grade},
        "version": None,
        "profile": record.rules if record else None,
        "profile_reason": record.reason if record else "",
        "profile_by": str(record.created_by) if record else "",
        "profile_at": record.created_at.isoformat() if record else "",
        "actions": ACTION_LABELS,
    }
    if version is None:
        return out
    out["version"] = {"number": version.number, "state": version.state, "rows": version.row_count}
    path = get_store().local_path(version.store_key)
    pf = pq.ParquetFile(path)
    if len(pf.schema_arrow.names) > MAX_COLUMNS:
        report = scan_table({n: [] for n in pf.schema_arrow.names})
        sample: dict[str, list[Any]] = {}
    else:
        batch = next(pf.iter_batches(batch_size=REVIEW_SAMPLE_ROWS), None)
        sample = batch.to_pydict() if batch is not None else {n: [] for n in pf.schema_arrow.names}
        report = scan_table(sample)
    report.row_count = max(report.row_count, version.row_count)
    grading.grade_table(report)
    out["scan"] = report.as_dict()
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
    if run_gate:
        out["gate"] = gate_table_version(version).as_dict()
    return out
