"""Changes to organisations and responsibility lists, each audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kaifang.catalog.models import Concept
from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.tenancy import permissions as perm
from kaifang.tenancy.models import Department, ResponsibilityItem


@transaction.atomic
def responsibility_item_create(
    *,
    actor: Any,
    department: Department,
    title: str,
    domain_code: str,
    due_date: datetime.date,
    notes: str = "",
) -> ResponsibilityItem:
    if not perm.can_responsibility_item_create(actor, department):
        raise Forbidden()
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("请填写数据资源名称。")
    elif len(title) > 128:
        errors["title"] = _("数据资源名称不能超过128个字符。")
    domain = Concept.objects.filter(scheme=Concept.Scheme.DOMAIN, code=domain_code).first()
    if domain is None:
        errors["domain"] = _("请选择有效的数据领域。")
    if not isinstance(due_date, datetime.date):
        errors["due_date"] = _("请填写有效的完成期限。")
    if errors:
        raise ValidationFailed(details=errors)
    if ResponsibilityItem.objects.filter(department=department, title=title).exists():
        raise ValidationFailed(details={"title": _("该部门的责任清单中已有同名条目。")})
    item = ResponsibilityItem.objects.create(
        department=department,
        title=title,
        domain=domain,
        due_date=due_date,
        notes=notes[:2000],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    from kaifang.catalog.models import Dataset
    from kaifang.catalog.rules import normalize_item_key

    key = normalize_item_key(title)
    for ds in Dataset.objects.filter(department=department, title=title).only("id", "title"):
        if normalize_item_key(ds.title) == key:
            item.dataset = ds
            item.save(update_fields=["dataset"])
            break
    audit_record(
        actor=actor,
        action="responsibility_item_create",
        target=item,
        after={"department": department.uscc, "title": title, "due_date": str(due_date)},
    )
    return item


@transaction.atomic
def responsibility_item_delete(*, actor: Any, item: ResponsibilityItem, reason: str) -> None:
    if not perm.can_responsibility_item_delete(actor, item):
        raise Forbidden()
    if not (reason or "").strip():
        raise ValidationFailed(details={"reason": _("删除责任清单条目时必须说明理由。")})
    audit_record(
        actor=actor,
        action="responsibility_item_delete",
        target=item,
        reason=reason,
        before={"department": item.department.uscc, "title": item.title},
    )
    item.delete()


@transaction.atomic
def department_update_cdo(*, actor: Any, department: Department, cdo_name: str, cdo_notes: str) -> Department:
    """Record a Chief Data Officer pilot's business data, processes and responsibilities (S8)."""
    if not perm.can_department_update_cdo(actor, department):
        raise Forbidden()
    if len(cdo_name or "") > 64 or len(cdo_notes or "") > 8000:
        raise ValidationFailed(_("首席数据官信息过长。"))
    before = {"cdo_name": department.cdo_name, "cdo_notes": department.cdo_notes}
    department.cdo_name = (cdo_name or "").strip()
    department.cdo_notes = (cdo_notes or "").strip()
    department.save(update_fields=["cdo_name", "cdo_notes"])
    audit_record(
        actor=actor,
        action="department_update_cdo",
        target=department,
        before=before,
        after={"cdo_name": department.cdo_name, "cdo_notes": department.cdo_notes},
    )
    return department


@transaction.atomic
def department_designate_cdo_pilot(
    *, actor: Any, department: Department, pilot: bool, reason: str
) -> Department:
    """Name a department a Chief Data Officer pilot, or end its pilot (S8), with the reason on record."""
    if not perm.can_department_designate_cdo_pilot(actor, department):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请说明原因。"), details={"reason": _("请说明原因。")})
    if len(reason) > 500:
        raise ValidationFailed(
            _("原因过长（最多 500 字）。"), details={"reason": _("原因过长（最多 500 字）。")}
        )
    if department.is_cdo_pilot == bool(pilot):
        return department  # asked twice (a double submission): nothing to change, nothing recorded
    before = {"is_cdo_pilot": department.is_cdo_pilot}
    department.is_cdo_pilot = bool(pilot)
    department.save(update_fields=["is_cdo_pilot"])
    audit_record(
        actor=actor,
        action="department_designate_cdo_pilot",
        target=department,
        reason=reason,
        before=before,
        after={"is_cdo_pilot": department.is_cdo_pilot},
    )
    return department
