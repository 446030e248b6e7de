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
from kaifang.privacy.models import PublicationProfile


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
