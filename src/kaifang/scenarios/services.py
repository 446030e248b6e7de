"""State changes of scenario applications. Each checks its `can_<name>` first and writes an audit event."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.scenarios import permissions as perm
from kaifang.scenarios.models import Scenario, ScenarioApplication

MAX_DATASETS = 50


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _snapshot(app: ScenarioApplication) -> dict[str, Any]:
    return {
        "title": app.title,
        "scenario": app.scenario,
        "status": app.status,
        "url": app.url,
        "datasets": sorted(app.datasets.values_list("code", flat=True)) if app.pk else [],
    }


def _clean(actor: Any, data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Validated fields from `data`; datasets are codes of entries in the open catalog the actor sees."""
    from kaifang.catalog.permissions import catalog_queryset

    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key, label, limit in (("title", _("应用名称"), 128), ("summary", _("应用简介"), 2000)):
        if partial and key not in data:
            continue
        value = str(data.get(key) or "").strip()
        if not value:
            errors[key] = _("请填写%(label)s。") % {"label": label}
        elif len(value) > limit:
            errors[key] = _("%(label)s不能超过 %(n)s 个字符。") % {"label": label, "n": limit}
        out[key] = value
    if not partial or "scenario" in data:
        scenario = str(data.get("scenario") or "")
        if scenario not in Scenario.values:
            errors["scenario"] = _("请选择应用场景（SC1–SC16）。")
        out["scenario"] = scenario
    if not partial or "url" in data:
        url = str(data.get("url") or "").strip()
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                errors["url"] = _("访问地址须为 http 或 https 网址。")
        out["url"] = url[:500]
    if not partial or "datasets" in data:
        codes = [str(c).strip() for c in (data.get("datasets") or []) if str(c).strip()]
        codes = list(dict.fromkeys(codes))
        if len(codes) > MAX_DATASETS:
            errors["datasets"] = _("最多关联 %(n)s 个数据资源。") % {"n": MAX_DATASETS}
        found = list(catalog_queryset(actor, "open").filter(code__in=codes))
        unknown = sorted(set(codes) - {d.code for d in found})
        if unknown and "datasets" not in errors:
            errors["datasets"] = _("以下数据资源不存在或未开放：%(codes)s") % {
                "codes": "、".join(unknown[:10])
            }
        out["datasets"] = found
    if errors:
        raise ValidationFailed(details=errors)
    return out


@transaction.atomic
def scenario_create(
    *, actor: Any, data: dict[str, Any], department: Any = None, is_sample: bool = False
) -> ScenarioApplication:
    """A new application in draft, provided by `department` (officers, operators) or the enterprise itself."""
    _require(perm.can_scenario_create(actor, department))
    clean = _clean(actor, data)
    datasets = clean.pop("datasets")
    app = ScenarioApplication.objects.create(
        **clean,
        provider_department=department,
        provider_user=None if department is not None else actor,
        created_by=actor,
        is_sample=is_sample,
    )
    app.datasets.set(datasets)
    audit_record(actor=actor, action="scenario_create", target=app, after=_snapshot(app))
    return app


@transaction.atomic
def scenario_update(*, actor: Any, app: ScenarioApplication, data: dict[str, Any]) -> ScenarioApplication:
    _require(perm.can_scenario_update(actor, app))
    before = _snapshot(app)
    clean = _clean(actor, data, partial=True)
    datasets = clean.pop("datasets", None)
    for key, value in clean.items():
        setattr(app, key, value)
    app.save()
    if datasets is not None:
        app.datasets.set(datasets)
    audit_record(actor=actor, action="scenario_update", target=app, before=before, after=_snapshot(app))
    return app


@transaction.atomic
def scenario_publish(*, actor: Any, app: ScenarioApplication) -> ScenarioApplication:
    _require(perm.can_scenario_publish(actor, app))
    before = _snapshot(app)
    app.status = ScenarioApplication.Status.PUBLISHED
    app.published_at = timezone.now()
    app.withdraw_reason = ""
    app.save(update_fields=["status", "published_at", "withdraw_reason", "updated_at"])
    audit_record(actor=actor, action="scenario_publish", target=app, before=before, after=_snapshot(app))
    return app


@transaction.atomic
def scenario_withdraw(*, actor: Any, app: ScenarioApplication, reason: str) -> ScenarioApplication:
    _require(perm.can_scenario_withdraw(actor, app))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(details={"reason": _("请说明撤下原因。")})
    before = _snapshot(app)
    app.status = ScenarioApplication.Status.WITHDRAWN
    app.withdraw_reason = reason[:2000]
    app.save(update_fields=["status", "withdraw_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="scenario_withdraw",
        target=app,
        reason=app.withdraw_reason,
        before=before,
        after=_snapshot(app),
    )
    return app
