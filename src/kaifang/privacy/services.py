"""Every state change of the privacy app: one function each, one transaction each, audited."""

from __future__ import annotations

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
