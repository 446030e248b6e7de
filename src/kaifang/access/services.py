"""The conditional-opening workflow (P6 apply and use, X3): every step one audited service.

submitted ⇄ info_requested → approved (a grant) | rejected | withdrawn; a grant can be revoked and is
suspended while a usage report is overdue.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.access import permissions as perm
from kaifang.access.models import (
    AccessApplication,
    AccessGrant,
    AgreementTemplate,
    ApplicationMessage,
    UsageReport,
)
from kaifang.access.selectors import open_fields
from kaifang.catalog.choices import CATALOGED_STATES, OpenAttribute
from kaifang.catalog.models import Dataset
from kaifang.core.audit import audit_record
from kaifang.core.errors import Forbidden, InvalidTransition, ValidationFailed
from kaifang.notifications import events
from kaifang.notifications.dispatch import notify
from kaifang.notifications.recipients import officers_of_department

REVIEW_DAYS = 15
# `列__op=值` joined by `&`, in the data API's own filter syntax (applied by the tabular app).
ROW_FILTER = re.compile(
    r"[^=&\s]+__(eq|ne|lt|le|gt|ge|in|like|between|isnull)=[^&]+(&[^=&\s]+__(eq|ne|lt|le|gt|ge|in|like|between|isnull)=[^&]+)*"
)
MAX_PERIOD_DAYS = 3 * 366
State = AccessApplication.State


def _sees(application: AccessApplication) -> Any:
    """Whether a recipient may read the case a message names (its dataset, applicant and decision)."""
    return lambda user: perm.applications_visible_to(user).filter(pk=application.pk).exists()


def _case_url(application: AccessApplication) -> str:
    return reverse("access:detail", kwargs={"pk": application.pk})


def _tell_applicant(app: AccessApplication, event: str, subject: str, body: str, actor: Any) -> None:
    notify(
        recipients=[app.applicant],
        event=event,
        subject=subject,
        body=body,
        url=_case_url(app),
        visible=_sees(app),
        exclude=actor,
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _text(data: dict[str, Any], key: str, label: str, errors: dict[str, str], limit: int = 2000) -> str:
    value = str(data.get(key) or "").strip()
    if not value:
        errors[key] = _("请填写%(label)s。") % {"label": label}
    elif len(value) > limit:
        errors[key] = _("%(label)s不能超过%(n)s个字符。") % {"label": label, "n": limit}
    return value


def _date(data: dict[str, Any], key: str, errors: dict[str, str]) -> datetime.date | None:
    value = data.get(key)
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        errors[key] = _("请填写 YYYY-MM-DD 格式的日期。")
        return None


def _lock(application: AccessApplication) -> AccessApplication:
    return AccessApplication.objects.select_for_update().select_related("dataset").get(pk=application.pk)


@transaction.atomic
def access_application_submit(*, actor: Any, dataset: Dataset, data: dict[str, Any]) -> AccessApplication:
    _require(perm.can_access_application_submit(actor, dataset))
    if dataset.state not in CATALOGED_STATES or dataset.open_attribute != OpenAttribute.CONDITIONAL:
        raise InvalidTransition(_("只有已发布的有条件开放数据资源可以申请。"))
    errors: dict[str, str] = {}
    purpose = _text(data, "purpose", _("用途"), errors)
    scenario = _text(data, "scenario", _("应用场景"), errors)
    measures = _text(data, "security_measures", _("安全保障措施"), errors)
    start, end = _date(data, "period_start", errors), _date(data, "period_end", errors)
    if start and end and not (start <= end and (end - start).days <= MAX_PERIOD_DAYS):
        errors["period_end"] = _("使用期限须晚于开始日期，且不超过三年。")
    allowed = open_fields(dataset)
    fields = data.get("requested_fields") or allowed
    if not isinstance(fields, list) or not fields or not set(fields) <= set(allowed):
        errors["requested_fields"] = _("申请的信息项须是该数据资源可开放的信息项。")
    if not data.get("accept_agreement"):
        errors["accept_agreement"] = _("须阅读并同意数据开放利用协议。")
    agreement = AgreementTemplate.objects.filter(is_current=True).first()
    if agreement is None:
        errors["accept_agreement"] = _("平台尚未配置数据开放利用协议，请联系运营人员。")
    if errors:
        raise ValidationFailed(details=errors)
    # A double-clicked form or a replayed request must not open a second case.
    if AccessApplication.objects.filter(
        applicant=actor, dataset=dataset, state__in=AccessApplication.OPEN_STATES
    ).exists():
        raise InvalidTransition(_("您已有一份该数据资源的申请正在办理，请勿重复提交。"))
    application = AccessApplication.objects.create(
        dataset=dataset,
        applicant=actor,
        organization_name=str(data.get("organization_name") or "")[:128]
        or getattr(actor, "organization_name", ""),
        purpose=purpose,
        scenario=scenario,
        requested_fields=list(dict.fromkeys(fields)),
        period_start=start,
        period_end=end,
        security_measures=measures,
        agreement=agreement,
        agreement_accepted_at=timezone.now(),
        deadline=timezone.localdate() + datetime.timedelta(days=REVIEW_DAYS),
    )
    notify(
        recipients=officers_of_department(dataset.department_id),
        event=events.ACCESS_APPLICATION_RECEIVED,
        subject=_("新的数据使用申请：%(t)s") % {"t": dataset.title},
        body=_("申请人 %(u)s 申请使用“%(t)s”，办理期限 %(d)s。")
        % {"u": actor, "t": dataset.title, "d": application.deadline},
        url=_case_url(application),
        visible=_sees(application),
        exclude=actor,
    )
    audit_record(
        actor=actor,
        action="access_application_submit",
        target=application,
        after={
            "dataset": dataset.code,
            "fields": application.requested_fields,
            "agreement": agreement.version,
        },
    )
    return application


def _transition(
    actor: Any,
    application: AccessApplication,
    action: str,
    allowed: tuple[str, ...],
    to: str,
    reason: str = "",
) -> AccessApplication:
    app = _lock(application)
    if app.state not in allowed:
        raise InvalidTransition(_("当前状态（%(s)s）下不能执行此操作。") % {"s": State(app.state).label})
    before = app.state
    app.state = to
    if to in (State.APPROVED, State.REJECTED):
        app.decided_by = actor
        app.decision_reason = reason
    app.save()
    audit_record(
        actor=actor, action=action, target=app, reason=reason, before={"state": before}, after={"state": to}
    )
    return app


@transaction.atomic
def access_application_request_info(
    *, actor: Any, application: AccessApplication, question: str
) -> AccessApplication:
    _require(perm.can_access_application_request_info(actor, application))
    if not (question or "").strip():
        raise ValidationFailed(details={"question": _("请写明需要补充的材料。")})
    app = _transition(
        actor,
        application,
        "access_application_request_info",
        (State.SUBMITTED,),
        State.INFO_REQUESTED,
        question.strip(),
    )
    ApplicationMessage.objects.create(application=app, author=actor, body=question.strip()[:4000])
    _tell_applicant(
        app,
        events.ACCESS_INFO_REQUESTED,
        _("您申请使用“%(t)s”需要补充材料") % {"t": app.dataset.title},
        question.strip(),
        actor,
    )
    return app


@transaction.atomic
def access_application_answer(
    *, actor: Any, application: AccessApplication, answer: str
) -> AccessApplication:
    _require(perm.can_access_application_answer(actor, application))
    if not (answer or "").strip():
        raise ValidationFailed(details={"answer": _("请填写补充说明。")})
    app = _transition(
        actor, application, "access_application_answer", (State.INFO_REQUESTED,), State.SUBMITTED
    )
    ApplicationMessage.objects.create(application=app, author=actor, body=answer.strip()[:4000])
    return app


@transaction.atomic
def access_application_approve(
    *,
    actor: Any,
    application: AccessApplication,
    fields: list[str] | None = None,
    row_filter: str = "",
    valid_until: datetime.date | None = None,
    rate_limit_per_minute: int = 60,
    reason: str = "",
) -> AccessGrant:
    """Approve with a scope no wider than what was asked: fields, period, rate."""
    _require(perm.can_access_application_approve(actor, application))
    app = _lock(application)
    fields = fields or app.requested_fields
    errors: dict[str, str] = {}
    if not set(fields) <= set(app.requested_fields):
        errors["fields"] = _("授权的信息项不能超出申请范围。")
    until = valid_until or app.period_end
    if until > app.period_end or until < app.period_start:
        errors["valid_until"] = _("授权期限须在申请的使用期限之内。")
    if not 1 <= int(rate_limit_per_minute) <= 6000:
        errors["rate_limit_per_minute"] = _("每分钟调用上限须在1到6000之间。")
    if len(row_filter or "") > 500:
        errors["row_filter"] = _("行范围说明过长。")
    elif row_filter and not ROW_FILTER.fullmatch(row_filter):
        errors["row_filter"] = _("行范围须写成数据接口的筛选条件，如 区县__eq=咸安区&年份__ge=2023。")
    if errors:
        raise ValidationFailed(details=errors)
    app = _transition(actor, app, "access_application_approve", (State.SUBMITTED,), State.APPROVED, reason)
    grant = AccessGrant.objects.create(
        application=app,
        dataset=app.dataset,
        grantee=app.applicant,
        fields=list(fields),
        row_filter=row_filter,
        valid_from=app.period_start,
        valid_until=until,
        rate_limit_per_minute=int(rate_limit_per_minute),
    )
    _tell_applicant(
        app,
        events.ACCESS_DECIDED,
        _("您的数据使用申请已批准：%(t)s") % {"t": app.dataset.title},
        _("“%(t)s”已授权至 %(d)s。") % {"t": app.dataset.title, "d": until},
        actor,
    )
    audit_record(
        actor=actor,
        action="access_grant_create",
        target=grant,
        after={"fields": grant.fields, "valid_until": str(until), "rate": grant.rate_limit_per_minute},
    )
    return grant


@transaction.atomic
def access_application_reject(
    *, actor: Any, application: AccessApplication, reason: str
) -> AccessApplication:
    _require(perm.can_access_application_reject(actor, application))
    if not (reason or "").strip():
        raise ValidationFailed(details={"reason": _("驳回时必须说明理由。")})
    app = _transition(
        actor,
        application,
        "access_application_reject",
        AccessApplication.OPEN_STATES,
        State.REJECTED,
        reason.strip(),
    )
    _tell_applicant(
        app,
        events.ACCESS_DECIDED,
        _("您的数据使用申请未获批准：%(t)s") % {"t": app.dataset.title},
        reason.strip(),
        actor,
    )
    return app


@transaction.atomic
def access_application_withdraw(*, actor: Any, application: AccessApplication) -> AccessApplication:
    _require(perm.can_access_application_withdraw(actor, application))
    return _transition(
        actor, application, "access_application_withdraw", AccessApplication.OPEN_STATES, State.WITHDRAWN
    )


@transaction.atomic
def access_grant_revoke(*, actor: Any, grant: AccessGrant, reason: str) -> AccessGrant:
    _require(perm.can_access_grant_revoke(actor, grant))
    if not (reason or "").strip():
        raise ValidationFailed(details={"reason": _("吊销授权时必须说明理由。")})
    grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise InvalidTransition(_("该授权已被吊销。"))
    grant.revoked_at = timezone.now()
    grant.revoked_reason = reason.strip()
    grant.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(actor=actor, action="access_grant_revoke", target=grant, reason=reason)
    return grant


@transaction.atomic
def usage_report_submit(*, actor: Any, grant: AccessGrant, summary: str, outcomes: str = "") -> UsageReport:
    """A usage report lifts a suspension for overdue reporting and restarts the reporting period."""
    _require(perm.can_usage_report_submit(actor, grant))
    if grant.revoked_at is not None:
        raise InvalidTransition(_("该授权已被吊销。"))
    errors: dict[str, str] = {}
    summary = _text({"summary": summary}, "summary", _("利用情况"), errors, limit=8000)
    if errors:
        raise ValidationFailed(details=errors)
    report = UsageReport.objects.create(grant=grant, summary=summary, outcomes=(outcomes or "")[:4000])
    audit_record(actor=actor, action="usage_report_submit", target=grant, after={"report": report.pk})
    return report
