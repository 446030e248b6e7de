"""Pages of public interaction: the hub, the request list and pages, the forms on a dataset page, and the
moderation queue. Missing and not-visible answer 404 alike."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kaifang.accounts.security import client_address
from kaifang.catalog.codes import code_from_slug, slug_for_code
from kaifang.catalog.models import Concept
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import DomainError, NotFound
from kaifang.core.fragments import fragment
from kaifang.interaction import permissions as perm
from kaifang.interaction import selectors, services
from kaifang.interaction.models import PublicRequest
from kaifang.portal.views import domain_errors


def _errors(exc: DomainError) -> dict[str, Any]:
    return exc.details if isinstance(exc.details, dict) else {"general": str(exc.message)}


def _dataset_url(ds: Any, anchor: str = "") -> str:
    return f"/datasets/{slug_for_code(ds.code)}/" + (f"#{anchor}" if anchor else "")


@require_GET
def hub(request: HttpRequest) -> HttpResponse:
    ctx = {
        "counts": selectors.request_counts(),
        "recent": selectors.public_requests(selectors.RequestQuery(), limit=10, rows_only=True),
        "kinds": PublicRequest.Kind.choices,
        "mine": list(selectors.requests_of(request.user)[:20]),
        "may_moderate": _moderates_anything(request.user),
        "api_twin": "/api/v1/requests",
    }
    return render(request, "interaction/hub.html", ctx)


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    query = selectors.RequestQuery.parse(request.GET)
    params = query.params()

    def page_url(n: int) -> str:
        return "?" + urlencode({**params, "page": n})

    def count() -> int:
        return selectors.public_requests_count(query)

    def filters() -> str:
        # The filter form with its ~150 options, rendered once per generation; each page marks its choices.
        ctx = {
            "kinds": PublicRequest.Kind.choices,
            "states": _states(),
            "options": selectors.filter_options(),
        }
        return render_to_string("interaction/_request_filters.html", ctx)

    def body() -> str:
        # The same for every reader (no requester is named in the rows): one rendering per filter and page.
        # The count of a filter is the same on each of its pages: counted once per generation.
        total = int(fragment(("request-count", tuple(sorted(params.items()))), lambda: str(count())))
        page = selectors.public_requests_page(query, total=total, rows_only=True)
        form = fragment(("request-filters",), filters)
        for name, value in params.items():
            form = _select(form, name, value)
        ctx = {
            "page": page,
            "filters": mark_safe(form),  # noqa: S308 - our rendering, with an escaped value marked
            "prev_url": page_url(page["page"] - 1) if page["page"] > 1 else "",
            "next_url": page_url(page["page"] + 1) if page["page"] < page["pages"] else "",
        }
        return render_to_string("interaction/_request_list_body.html", ctx)

    ctx = {
        "body": fragment(("requests", tuple(sorted(params.items())), query.page), body),
        "api_twin": "/api/v1/requests" + ("?" + urlencode({**params, "page": query.page}) if params else ""),
    }
    return render(request, "interaction/request_list.html", ctx)


def _select(form: str, name: str, value: Any) -> str:
    """Mark `value` chosen in the form's <select name=...>."""
    start = form.find(f'<select name="{name}">')
    end = form.find("</select>", start)
    if start < 0 or end < 0:
        return form
    option = f'<option value="{escape(str(value))}">'
    chosen = form[start:end].replace(option, option[:-1] + " selected>", 1)
    return form[:start] + chosen + form[end:]


def _states() -> list[tuple[str, str]]:
    from kaifang.operations.models import WorkOrder

    return list(WorkOrder.State.choices)


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    kind = request.POST.get("kind") or request.GET.get("kind") or PublicRequest.Kind.DATA_REQUEST
    if kind not in PublicRequest.Kind.values:
        kind = PublicRequest.Kind.DATA_REQUEST
    options = selectors.filter_options()
    from kaifang.tenancy.models import Department

    ctx: dict[str, Any] = {
        "kind": kind,
        "kinds": PublicRequest.Kind.choices,
        "departments": Department.objects.select_related("region").order_by("region__code", "seq"),
        "domains": options["domains"],
        "data": {},
        "errors": {},
    }
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in ("title", "body", "purpose", "department", "domain")}
        data["show_name"] = request.POST.get("show_name") == "on"
        department = domain = None
        if data["department"]:
            department = Department.objects.filter(
                pk=int(data["department"])
                if data["department"].isdigit() and len(data["department"]) < 12
                else 0
            ).first()
        if data["domain"]:
            domain = Concept.objects.filter(
                scheme=Concept.Scheme.DOMAIN, code=selectors.domain_code(data["domain"])
            ).first()
        try:
            req = services.public_request_submit(
                actor=request.user,
                kind=kind,
                title=data["title"],
                body=data["body"],
                purpose=data["purpose"],
                department=department,
                domain=domain,
                show_name=data["show_name"],
                address=client_address(request),
            )
        except DomainError as exc:
            ctx.update(data=data, errors=_errors(exc))
            return render(request, "interaction/request_new.html", ctx, status=exc.status)
        messages.success(request, _("已提交，将由负责部门在办理期限内答复。"))
        return redirect("interaction:request", pk=req.pk)
    return render(request, "interaction/request_new.html", ctx)


REQUESTER_ACTIONS = ("reopen", "close", "rate", "withdraw")


@require_http_methods(["GET", "POST"])
@domain_errors
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for(request.user, pk)
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            if action == "reopen":
                services.public_request_reopen(
                    actor=request.user, request=req, reason=request.POST.get("reason")
                )
            elif action == "close":
                services.public_request_close(actor=request.user, request=req)
            elif action == "rate":
                services.public_request_rate(
                    actor=request.user,
                    request=req,
                    rating=request.POST.get("rating"),
                    comment=request.POST.get("comment", ""),
                )
            elif action == "withdraw":
                services.public_request_withdraw(
                    actor=request.user, request=req, reason=request.POST.get("reason", "")
                )
            else:
                raise NotFound()
            messages.success(request, _("已办理。"))
            return redirect("interaction:request", pk=req.pk)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            errors, status = _errors(exc), exc.status
        req = selectors.get_request_for(request.user, pk)
    wo = req.work_order
    mine = perm.is_requester(request.user, req)
    ctx = {
        "req": req,
        "wo": wo,
        "requester": selectors.requester_label(req, request.user),
        "answer_dataset": selectors.answer_dataset_for(request.user, req),
        "mine": mine,
        "can": {
            "reopen": mine and (wo.state == "answered" or (wo.state == "closed" and wo.rating is None)),
            "close": mine and wo.state == "answered",
            "rate": mine and wo.state == "closed" and wo.rating is None,
            "withdraw": mine and wo.state == "open",
        },
        "errors": errors,
        "api_twin": f"/api/v1/requests/{req.pk}",
    }
    return render(request, "interaction/request_detail.html", ctx, status=status)


def _login_first(request: HttpRequest, ds_slug: str) -> HttpResponse:
    return redirect_to_login(f"/datasets/{ds_slug}/")


def _form_page(
    request: HttpRequest, ds: Any, which: str, data: dict[str, Any], exc: DomainError
) -> HttpResponse:
    """A refused comment or error report comes back with what was typed and why it was refused."""
    ctx = {
        "ds": ds,
        "slug": slug_for_code(ds.code),
        "which": which,
        "data": data,
        "errors": _errors(exc),
        "fields": selectors.reportable_fields(ds),
        "stars": [5, 4, 3, 2, 1],
    }
    return render(request, "interaction/dataset_form.html", ctx, status=exc.status)


@require_POST
@domain_errors
def comment_submit(request: HttpRequest, slug: str) -> HttpResponse:
    ds = get_dataset_for(request.user, code_from_slug(slug))
    if not request.user.is_authenticated:
        return _login_first(request, slug)
    data = {"text": request.POST.get("text", ""), "rating": request.POST.get("rating", "")}
    try:
        services.comment_submit(
            actor=request.user,
            dataset=ds,
            text=data["text"],
            rating=data["rating"] or None,
            address=client_address(request),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _form_page(request, ds, "comment", data, exc)
    messages.success(request, _("评论已提交，审核通过后公开。"))
    return redirect(_dataset_url(ds, "comments"))


@require_POST
@domain_errors
def error_report_submit(request: HttpRequest, slug: str) -> HttpResponse:
    ds = get_dataset_for(request.user, code_from_slug(slug))
    if not request.user.is_authenticated:
        return _login_first(request, slug)
    data = {k: request.POST.get(k, "") for k in ("field", "row_reference", "description")}
    try:
        report = services.error_report_submit(
            actor=request.user, dataset=ds, address=client_address(request), **data
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _form_page(request, ds, "error_report", data, exc)
    messages.success(
        request,
        _("纠错已提交（工单 %(code)s），提供部门将在办理期限内处理。") % {"code": report.work_order.code},
    )
    return redirect(_dataset_url(ds, "error-report"))


@require_POST
@domain_errors
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    ds = get_dataset_for(request.user, code_from_slug(slug))
    if not request.user.is_authenticated:
        return _login_first(request, slug)
    if request.POST.get("action") == "unfollow":
        services.dataset_unfollow(actor=request.user, dataset=ds)
        messages.success(request, _("已取消关注。"))
    else:
        services.dataset_follow(actor=request.user, dataset=ds)
        messages.success(request, _("已关注，数据资源更新或撤回时将通知您。"))
    return redirect(_dataset_url(ds, "interaction"))


@require_GET
@domain_errors
def moderation(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _moderates_anything(request.user):
        raise NotFound()
    ctx = {
        "queue": list(selectors.moderation_queue(request.user)[:200]),
        "unanswered": list(selectors.unanswered_comments(request.user)[:100]),
        "api_twin": "/api/v1/comments/moderation",
    }
    return render(request, "interaction/moderation.html", ctx)


def _moderates_anything(actor: Any) -> bool:
    from kaifang.core.actors import roles_of

    roles = roles_of(actor)
    return bool(roles.city_reviewer or roles.review_region_ids or roles.officer_department_ids)


@require_POST
@domain_errors
def comment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login("/interaction/moderation/")
    comment = selectors.get_comment_for(request.user, pk)
    try:
        if action in ("publish", "reject"):
            services.comment_moderate(
                actor=request.user, comment=comment, decision=action, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已公开。") if action == "publish" else _("已不予公开。"))
        elif action == "reply":
            services.comment_reply(actor=request.user, comment=comment, text=request.POST.get("text", ""))
            messages.success(request, _("回复已保存。"))
        else:
            raise NotFound()
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, "；".join(str(v) for v in _errors(exc).values()))
    back = request.POST.get("next", "")
    if back in ("moderation", "dataset"):
        return redirect(
            "interaction:moderation" if back == "moderation" else _dataset_url(comment.dataset, "comments")
        )
    return redirect("interaction:moderation")
