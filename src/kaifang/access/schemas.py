from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field as PydField

from kaifang.access.models import AccessApplication, AccessGrant
from kaifang.catalog.codes import slug_for_code


class ApplicationIn(Schema):
    purpose: str = PydField(max_length=20000)
    scenario: str = PydField(max_length=20000)
    requested_fields: list[str] = []
    period_start: str = PydField(max_length=10)
    period_end: str = PydField(max_length=10)
    security_measures: str = PydField(max_length=20000)
    organization_name: str = PydField("", max_length=200)
    accept_agreement: bool = False


class TextIn(Schema):
    text: str = PydField("", max_length=8000)


class ApproveIn(Schema):
    fields: list[str] = []
    row_filter: str = PydField("", max_length=2000)
    valid_until: str | None = PydField(None, max_length=10)
    rate_limit_per_minute: int = PydField(60, ge=1, le=6000)
    reason: str = PydField("", max_length=2000)


class ReportIn(Schema):
    summary: str = PydField(max_length=20000)
    outcomes: str = PydField("", max_length=20000)


def grant_out(g: AccessGrant) -> dict[str, Any]:
    return {
        "id": g.pk,
        "dataset": g.dataset.code,
        "fields": g.fields,
        "row_filter": g.row_filter,
        "valid_from": g.valid_from.isoformat(),
        "valid_until": g.valid_until.isoformat(),
        "rate_limit_per_minute": g.rate_limit_per_minute,
        "status": g.status(),
        "report_due": (g.report_due().isoformat() if g.report_due() else None),
    }


def application_out(a: AccessApplication) -> dict[str, Any]:
    grant = AccessGrant.objects.filter(application=a).first()
    return {
        "id": a.pk,
        "dataset": {"code": a.dataset.code, "title": a.dataset.title, "slug": slug_for_code(a.dataset.code)},
        "applicant": a.applicant.username,
        "organization_name": a.organization_name,
        "purpose": a.purpose,
        "scenario": a.scenario,
        "requested_fields": a.requested_fields,
        "period_start": a.period_start.isoformat(),
        "period_end": a.period_end.isoformat(),
        "security_measures": a.security_measures,
        "agreement_version": a.agreement.version,
        "state": {"code": a.state, "label": str(a.get_state_display())},
        "deadline": a.deadline.isoformat(),
        "overdue": a.is_overdue,
        "decision_reason": a.decision_reason,
        "messages": [
            {"author": m.author.username, "body": m.body, "at": m.created_at.isoformat()}
            for m in a.messages.all()
        ],
        "grant": grant_out(grant) if grant else None,
    }
