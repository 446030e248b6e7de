"""Pages of conditional access: apply, my applications and grants, the officer's queue, one case."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kaifang.access import permissions as perm
from kaifang.access import selectors, services
from kaifang.access.models import AccessGrant, AgreementTemplate
from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import DomainError, NotFound


def _errors(exc: DomainError) -> dict[str, Any]:
    return exc.details if isinstance(exc.details, dict) else {"general": str(exc.message)}


@login_required
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        dataset = get_dataset_for(request.user, code_from_slug(slug))
    except NotFound as exc:
        raise Http404 from exc
    today = datetime.date.today()
    ctx: dict[str, Any] = {
        "ds": dataset,
        "fields": selectors.open_fields(dataset),
        "agreement": AgreementTemplate.objects.filter(is_current=True).first(),
        "data": {
            "period_start": today.isoformat(),
            "period_end": today.replace(year=today.year + 1).isoformat(),
        },
        "errors": {},
    }
    if request.method == "POST":
        data = {
            k: request.POST.get(k, "")
            for k in (
                "purpose",
                "scenario",
                "period_start",
                "period_end",
                "security_measures",
                "organization_name",
            )
        }
        data["requested_fields"] = request.POST.getlist("requested_fields")
        data["accept_agreement"] = request.POST.get("accept_agreement") == "on"
        try:
            app = services.access_application_submit(actor=request.user, dataset=dataset, data=data)
        except DomainError as exc:
            ctx.update(data=data, errors=_errors(exc))
            return render(request, "access/apply.html", ctx, status=exc.status)
        messages.success(request, _("申请已提交，提供部门将在办理期限内答复。"))
        return redirect("access:detail", pk=app.pk)
    return render(request, "access/apply.html", ctx)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    ctx = {
        "api_twin": "/api/v1/applications",
        "applications": selectors.applications_for(request.user).filter(applicant=request.user),
        "grants": AccessGrant.objects.filter(grantee=request.user).select_related("dataset"),
        "queue": selectors.applications_for(request.user, queue=True),
    }
    return render(request, "access/mine.html", ctx)


ACTIONS = {
    "request_info": (services.access_application_request_info, "question"),
    "answer": (services.access_application_answer, "answer"),
    "reject": (services.access_application_reject, "reason"),
    "withdraw": (services.access_application_withdraw, None),
}


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        app = selectors.get_application_for(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    ctx: dict[str, Any] = {"app": app, "errors": {}, "api_twin": f"/api/v1/applications/{app.pk}"}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "approve":
                until = request.POST.get("valid_until") or None
                services.access_application_approve(
                    actor=request.user,
                    application=app,
                    fields=request.POST.getlist("fields"),
                    row_filter=request.POST.get("row_filter", ""),
                    valid_until=datetime.date.fromisoformat(until) if until else None,
                    rate_limit_per_minute=int(request.POST.get("rate_limit_per_minute") or 60),
                    reason=request.POST.get("reason", ""),
                )
            elif action in ACTIONS:
                service, arg = ACTIONS[action]
                kwargs = {arg: request.POST.get("text", "")} if arg else {}
                service(actor=request.user, application=app, **kwargs)
            elif action in ("revoke", "report"):
                grant = AccessGrant.objects.filter(application=app).first()
                if grant is None:
                    raise NotFound()
                if action == "revoke":
                    services.access_grant_revoke(
                        actor=request.user, grant=grant, reason=request.POST.get("text", "")
                    )
                else:
                    services.usage_report_submit(
                        actor=request.user, grant=grant, summary=request.POST.get("text", "")
                    )
            else:
                raise NotFound()
            return redirect("access:detail", pk=app.pk)
        except ValueError:
            ctx["errors"] = {"general": _("日期或数字格式不正确。")}
            status = 422
        except DomainError as exc:
            ctx["errors"] = _errors(exc)
            status = exc.status
        app = selectors.get_application_for(request.user, pk)
    grant = AccessGrant.objects.filter(application=app).first()
    ctx.update(
        app=app,
        grant=grant,
        chain=selectors.application_chain(app),
        can={
            "decide": perm.can_access_application_approve(request.user, app) and app.state == "submitted",
            "reject": perm.can_access_application_reject(request.user, app) and app.state in app.OPEN_STATES,
            "answer": perm.can_access_application_answer(request.user, app) and app.state == "info_requested",
            "withdraw": perm.can_access_application_withdraw(request.user, app)
            and app.state in app.OPEN_STATES,
            "revoke": grant is not None
            and grant.revoked_at is None
            and perm.can_access_grant_revoke(request.user, grant),
            "report": grant is not None
            and grant.revoked_at is None
            and perm.can_usage_report_submit(request.user, grant),
        },
    )
    return render(request, "access/detail.html", ctx, status=status)


@login_required
def call_logs(request: HttpRequest) -> HttpResponse:
    """Call logs for auditors (X2): search, page and export as CSV."""
    if not perm.may_read_call_logs(request.user):
        raise Http404
    qs = selectors.call_logs(request.user, request.GET)
    if request.GET.get("format") == "csv":
        return _call_logs_csv(qs)
    from django.core.paginator import Paginator

    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(request, "access/call_logs.html", {"page": page, "params": request.GET})


CSV_COLUMNS = [
    "at",
    "user",
    "key_prefix",
    "dataset_code",
    "endpoint",
    "method",
    "query",
    "status",
    "bytes",
    "rows",
    "latency_ms",
    "ip",
    "grant_id",
]


def _call_logs_csv(qs: Any) -> HttpResponse:
    import csv

    from django.http import StreamingHttpResponse

    from kaifang.tabular.downloads import neutralise

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows() -> Any:
        yield "\ufeff" + writer.writerow(CSV_COLUMNS)
        for log in qs.iterator(chunk_size=2000):
            values = [
                getattr(log, c) if c != "user" else (log.user.username if log.user else "")
                for c in CSV_COLUMNS
            ]
            # Spreadsheet formula injection: a query string could start with = + - @ (or a tab or CR).
            yield writer.writerow([neutralise(v) for v in values])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="call-logs.csv"'
    return response


@login_required
def usage(request: HttpRequest) -> HttpResponse:
    """The developer's usage dashboard: calls, rows, bytes, errors and latency per key and per dataset."""
    import json

    data = selectors.key_usage(request.user)
    return render(request, "access/usage.html", {"usage": data, "chart_json": json.dumps(data["chart"])})
