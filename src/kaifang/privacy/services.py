"""Every state change of the privacy app: one function each, one transaction each, audited."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.privacy import permissions as perm
from kaifang.privacy.masking import PublicationProfile as ProfileRules
from kaifang.privacy.masking import validate_profile
from kaifang.privacy.models import GradeDecision, PublicationProfile


def publication_profile_set(*, actor: Any, dataset: Any, rules: Any, reason: str) -> PublicationProfile:
    """Save a new version of the dataset's publication profile (the old ones stay as history)."""
    if not perm.can_publication_profile_set(actor, dataset):
        raise Forbidden()
    reason = (reason or "").strip()
    errors = validate_profile(rules)
    if not reason:
        errors["reason"] = _("请填写设置或修改脱敏方案的理由。")
    elif len(reason) > 2000:
        errors["reason"] = _("理由不能超过2000个字符。")
    if errors:
        raise ValidationFailed(details=errors)
    clean = ProfileRules.from_json(rules).to_json()
    with transaction.atomic():
        before = (
            PublicationProfile.objects.filter(dataset=dataset)
            .order_by("-id")
            .values_list("rules", flat=True)
            .first()
        )
        profile = PublicationProfile.objects.create(
            dataset=dataset, rules=clean, reason=reason, created_by=actor
        )
        audit_record(
            actor=actor,
            action="privacy.publication_profile_set",
            target=dataset,
            reason=reason,
            before=before,
            after=clean,
        )
    return profile


def grade_decide(
    *, actor: Any, dataset: Any, field_name: str, grade: str, sensitivity: str, reason: str = ""
) -> GradeDecision:
    """Confirm (same as suggested) or override (different, with a reason) the suggested grade of one field,
    or of the dataset when `field_name` is empty. The suggestion is recomputed here from the data, so what
    is recorded next to the decision is what the platform really suggested."""
    from kaifang.catalog.choices import Grade
    from kaifang.privacy import selectors
    from kaifang.privacy.kinds import Sensitivity

    if not perm.can_grade_decide(actor, dataset):
        raise Forbidden()
    field_name = (field_name or "").strip()
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if grade not in Grade.values:
        errors["grade"] = _("级别无效。")
    if sensitivity not in Sensitivity.ORDER:
        errors["sensitivity"] = _("个人信息类别无效。")
    suggestion = selectors.grade_suggestion(dataset)
    if suggestion is None:
        errors["dataset"] = _("该数据资源尚未上传数据，无法给出分级建议。")
    elif field_name and field_name not in suggestion["fields"]:
        errors["field_name"] = _("字段“%(name)s”不在最新数据版本中。") % {"name": field_name}
    if len(reason) > 2000:
        errors["reason"] = _("理由不能超过2000个字符。")
    if errors:
        raise ValidationFailed(details=errors)
    suggested = suggestion["fields"][field_name] if field_name else suggestion["dataset"]
    if (grade, sensitivity) != (suggested["grade"], suggested["sensitivity"]) and not reason:
        raise ValidationFailed(details={"reason": _("与系统建议不同时，必须说明理由。")})
    with transaction.atomic():
        decision = GradeDecision.objects.create(
            dataset=dataset,
            field_name=field_name,
            suggested_grade=suggested["grade"],
            suggested_sensitivity=suggested["sensitivity"],
            suggestion_reasons=suggested["reasons"],
            grade=grade,
            sensitivity=sensitivity,
            reason=reason,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="privacy.grade_override" if decision.is_override else "privacy.grade_confirm",
            target=dataset,
            reason=reason,
            before={
                "field": field_name,
                "grade": suggested["grade"],
                "sensitivity": suggested["sensitivity"],
            },
            after={"field": field_name, "grade": grade, "sensitivity": sensitivity},
        )
    return decision


def retention_set(*, actor: Any, dataset: Any, days: Any, reason: str) -> Any:
    """Set how long the dataset's table versions are kept (days from a version's upload). Past it,
    `kaifang privacy destroy-expired` destroys the version's raw and open files."""
    from kaifang.privacy.models import RetentionPolicy

    if not perm.can_retention_set(actor, dataset):
        raise Forbidden()
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 36500:
        errors["days"] = _("保存期限须为1至36500天之间的整数。")
    if not reason:
        errors["reason"] = _("请填写设置保存期限的理由。")
    elif len(reason) > 2000:
        errors["reason"] = _("理由不能超过2000个字符。")
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        before = RetentionPolicy.objects.filter(dataset=dataset).order_by("-id").first()
        policy = RetentionPolicy.objects.create(dataset=dataset, days=days, reason=reason, created_by=actor)
        audit_record(
            actor=actor,
            action="privacy.retention_set",
            target=dataset,
            reason=reason,
            before={"days": before.days} if before else None,
            after={"days": days},
        )
    return policy


def version_destroy(*, actor: Any, version: Any, reason: str, trigger: str = "order") -> Any:
    """Destroy a table version's files — the raw object (plain and sealed), its quarantine file and every
    open object written for it — recording their hashes, who and why. The version row, its gate records
    and the catalog history stay; reads of the version answer 410 from then on."""
    from kaifang.privacy.models import VersionDestruction

    if not perm.can_version_destroy(actor, version):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(details={"reason": _("请填写销毁理由（依据的决定或保存期限）。")})
    if trigger not in VersionDestruction.Trigger.values:
        raise ValidationFailed(details={"trigger": _("销毁原因类别无效。")})
    return _destroy(actor, version, reason[:2000], trigger)


def versions_destroy_expired(*, actor: Any, now: Any = None) -> list[Any]:
    """Destroy every table version older than its dataset's retention period (the newest policy)."""
    import datetime as dt

    from django.utils import timezone

    from kaifang.privacy.models import RetentionPolicy
    from kaifang.tabular.models import TableVersion

    if not perm.can_versions_destroy_expired(actor):
        raise Forbidden()
    now = now or timezone.now()
    latest: dict[int, Any] = {}
    for policy in RetentionPolicy.objects.order_by("dataset_id", "-id"):
        latest.setdefault(policy.dataset_id, policy)
    out = []
    for dataset_id, policy in latest.items():
        cutoff = now - dt.timedelta(days=policy.days)
        expired = TableVersion.objects.filter(
            dataset_id=dataset_id, created_at__lt=cutoff, destruction__isnull=True
        ).select_related("dataset")
        for version in expired:
            reason = _("超过保存期限%(days)s天（%(policy)s）") % {
                "days": policy.days,
                "policy": policy.reason,
            }
            out.append(_destroy(actor, version, reason[:2000], "retention"))
    return out


def _destroy(actor: Any, version: Any, reason: str, trigger: str) -> Any:
    from kaifang.privacy import rawzone
    from kaifang.privacy.models import VersionDestruction, VersionGate
    from kaifang.tabular import downloads
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.store import get_store

    store = get_store()
    with transaction.atomic():
        version = TableVersion.objects.select_for_update().select_related("dataset").get(pk=version.pk)
        if VersionDestruction.objects.filter(version=version).exists():
            raise ValidationFailed(_("该数据版本已经销毁。"), code="already_destroyed")
        alive = TableVersion.objects.filter(destruction__isnull=True).exclude(pk=version.pk)
        alive_open = set(
            VersionGate.objects.filter(version__in=alive)
            .exclude(open_key="")
            .values_list("open_key", flat=True)
        )
        alive_raw = set(alive.values_list("store_key", flat=True)) | set(
            alive.values_list("quarantine_key", flat=True)
        )
        alive_hashes = set(alive.values_list("content_hash", flat=True))
        gates = list(VersionGate.objects.filter(version=version).exclude(open_key=""))
        destroyed: list[dict[str, str]] = []
        to_delete: list[Any] = []

        def drop(kind: str, digest: str, path: Any, shared: bool) -> None:
            # An object another live version still uses (content addressing) is kept, and marked so.
            destroyed.append({"kind": kind, "sha256": digest, "kept_for_other_versions": shared})
            if not shared:
                to_delete.append(path)
                if kind in ("raw", "open"):
                    # Every download the tabular app stored from this object, for any reader's scope.
                    to_delete.append(downloads.export_dir(Path(path).stem))

        if version.store_key:
            drop(
                "raw",
                version.content_hash,
                store.local_path(version.store_key),
                version.store_key in alive_raw or version.store_key in alive_open,
            )
            if version.content_hash:
                drop(
                    "raw_sealed",
                    version.content_hash,
                    rawzone.sealed_path(version.content_hash),
                    version.content_hash in alive_hashes,
                )
        if version.quarantine_key:
            qpath = store.local_path(version.quarantine_key)
            drop(
                "quarantine",
                qpath.stem,
                qpath,
                version.quarantine_key in alive_raw or version.quarantine_key in alive_open,
            )
            drop(
                "quarantine_sealed",
                qpath.stem,
                rawzone.sealed_path(qpath.stem),
                version.quarantine_key in alive_raw,
            )
        for key in sorted({g.open_key for g in gates}):
            path = store.local_path(key)
            drop("open", path.stem, path, key in alive_open or key in alive_raw)
        record = VersionDestruction.objects.create(
            version=version,
            trigger=trigger,
            reason=reason,
            destroyed_hashes=destroyed,
            destroyed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="privacy.version_destroy",
            target=version.dataset,
            reason=reason,
            after={"version": version.number, "trigger": trigger, "hashes": destroyed},
        )
        # Files go last, inside the transaction: if removing one fails, the record is rolled back with it.
        from kaifang.privacy.openversion import drop_previews

        if version.content_hash not in alive_hashes:
            drop_previews(version.content_hash)
        for path in to_delete:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    return record
