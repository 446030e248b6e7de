from __future__ import annotations

from typing import Any

from django.db import models

from kaifang.core.models import AuditEvent


def target_key(target: models.Model | tuple[str, str]) -> tuple[str, str]:
    if isinstance(target, tuple):
        return target
    return target._meta.label_lower, str(getattr(target, "audit_key", target.pk))


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | tuple[str, str],
    reason: str = "",
    before: Any = None,
    after: Any = None,
    changes_catalog: bool = True,
) -> AuditEvent:
    """Record who did what to which object, and why. Call inside the service's transaction. Pass
    `changes_catalog=False` only for changes that no cached public page or answer shows."""
    target_type, target_id = target_key(target)
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason or "",
        before=before,
        after=after,
        changes_catalog=changes_catalog,
    )


def audit_history(target: models.Model) -> models.QuerySet[AuditEvent]:
    target_type, target_id = target_key(target)
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).select_related("actor")
