"""Server-rendered pages. Each view parses, checks, calls one service or selector, renders."""

from __future__ import annotations

import datetime
import functools
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kaifang.catalog import permissions as cperm
from kaifang.catalog import selectors as csel
from kaifang.catalog import services as csvc
from kaifang.catalog.choices import (
    CoordinateSystem,
    FieldType,
    FormatCategory,
    Grade,
    OpenAttribute,
    OpenForm,
    ResourceCategory,
    ShareMode,
    ShareType,
    State,
    UpdateFrequency,
)
from kaifang.catalog.codes import code_from_slug, scheme, slug_for_code
from kaifang.catalog.importing import ImportFailed, parse_upload
from kaifang.catalog.models import Concept, Dataset
from kaifang.catalog.rules import validate_dataset_input
from kaifang.core.actors import roles_of
from kaifang.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from kaifang.core.fragments import fragment
from kaifang.portal import forms
from kaifang.portal import permissions as pperm
from kaifang.portal import selectors as psel
from kaifang.portal import workbench as wb
from kaifang.tenancy import permissions as tperm
from kaifang.tenancy import selectors as tsel
from kaifang.tenancy import services as tsvc

STATS_CACHE_KEY = "portal:stats"
STATS_TTL = 10
BROWSE_PARAMS = ("catalog", "q", *csel.FACETS)


# ---------------------------------------------------------------- helpers


def _stats() -> dict[str, Any]:
    return cache.get_or_set(STATS_CACHE_KEY, csel.stats, STATS_TTL)


def _error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = exc.status if exc.status in (403, 404, 409, 422) else 400
    return render(request, "portal/error.html", {"status": status, "message": exc.message}, status=status)


def domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound -> 404 page, Forbidden -> 403 page; other domain errors are handled by the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, Forbidden) as exc:
            return _error_page(request, exc)

    return wrapper


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; a signed-in non-staff user sees the same 404 as for a missing page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not roles_of(request.user).is_staff_member:
            return _error_page(request, NotFound())
        return view(request, *args, **kwargs)

    return domain_errors(wrapper)


def _api_twin(path: str, params: dict[str, str] | None = None) -> str:
    query = urlencode({k: v for k, v in (params or {}).items() if v})
    return f"/api/v1/{path}" + (f"?{query}" if query else "")


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100000))
    except ValueError:
        return 1


# ---------------------------------------------------------------- public pages


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    domains = functools.cache(psel.domains_with_counts)
    # Everything below the hero is the same for every visitor; the template caches it per catalog
    # generation and language, and these callables run only when that fragment is missing.
    ctx = {
        "generation": csel.catalog_generation(),
        "stats": _stats,
        "target": settings.KAIFANG_OPEN_DATASET_TARGET,
        "key_domains": lambda: [d for d in domains() if d.group == "key"],
        "other_domains": lambda: [d for d in domains() if d.group != "key"],
        "counties": psel.counties,
        "latest": lambda: csel.browse(request.user, csel.BrowseQuery(page_size=6))["results"],
        "api_twin": _api_twin("stats"),
    }
    return render(request, "portal/home.html", ctx)


@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    ctx = {
        "departments": tsel.departments_with_progress(),
        "regions": tsel.regions_with_progress(),
        "api_twin": _api_twin("organizations"),
    }
    return render(request, "portal/progress.html", ctx)


def _toggle_url(params: dict[str, str], key: str, value: str) -> str:
    new = {k: v for k, v in params.items() if v and k != "page"}
    if new.get(key) == value:
        new.pop(key)
    else:
        new[key] = value
    return "?" + urlencode(new) if new else "?"


def _decorate_facets(params: dict[str, str], facets: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    titles = {
        "domain": _("数据领域"),
        "region": _("县市区"),
        "department": _("提供部门"),
        "open_attribute": _("开放属性"),
        "format": _("格式"),
        "update_frequency": _("更新周期"),
        "theme": _("主题分类"),
    }
    out = []
    for key in ("domain", "region", "department", "open_attribute", "format", "update_frequency", "theme"):
        items = [
            {
                **item,
                "url": _toggle_url(params, key, str(item["value"])),
                "active": params.get(key) == str(item["value"]),
            }
            for item in facets.get(key, [])
        ]
        if items:
            out.append({"key": key, "title": titles[key], "items": items})
    return out


def _facet_label(facets: dict[str, list[dict[str, Any]]], key: str, value: str) -> str:
    return next((str(i["label"]) for i in facets.get(key, []) if str(i["value"]) == value), value)


@require_GET
def datasets(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "")[:200] for k in BROWSE_PARAMS}
    params["catalog"] = params["catalog"] or "open"
    staff = cperm.may_view_staff_catalogs(request.user)
    if params["catalog"] not in csel.CATALOGS or (params["catalog"] != "open" and not staff):
        return _error_page(request, NotFound())
    page = _page_number(request.GET.get("page"))
    result = csel.browse(request.user, csel.BrowseQuery(**params, page=page))
    base = {k: v for k, v in params.items() if v and not (k == "catalog" and v == "open")}
    ctx = {
        "result": result,
        "params": params,
        "facets": _decorate_facets(base, result["facets"]),
        "active_filters": [
            {
                "key": k,
                "value": _facet_label(result["facets"], k, base[k]),
                "url": _toggle_url(base, k, base[k]),
            }
            for k in csel.FACETS
            if base.get(k)
        ],
        "staff_catalogs": staff,
        "catalog_tabs": [("open", _("开放目录")), ("sharing", _("共享目录")), ("resource", _("资源目录"))],
        "prev_url": "?" + urlencode({**base, "page": result["page"] - 1}) if result["page"] > 1 else "",
        "next_url": "?" + urlencode({**base, "page": result["page"] + 1})
        if result["page"] < result["num_pages"]
        else "",
        "api_twin": _api_twin("datasets", {**base, "page": str(page) if page > 1 else ""}),
    }
    template = "portal/_results.html" if request.htmx else "portal/datasets.html"
    response = render(request, template, ctx)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _dataset_context(request: HttpRequest, ds: Dataset) -> dict[str, Any]:
    actor = request.user
    state = ds.state
    return {
        "ds": ds,
        "code_display": scheme().display(ds.code),
        "slug": slug_for_code(ds.code),
        # Callables: the template evaluates them only when its cached fragment is missing.
        "generation": csel.catalog_generation(),
        "fields": ds.fields.all,
        "distributions": ds.distributions.all,
        "service_objects": ds.service_objects.all,
        "history": lambda: csel.history_for(actor, ds, limit=50),
        # The history fragment's cache key: the staff responsible read more of it than anyone else.
        "history_audience": "staff" if cperm.may_read_full_history(actor, ds) else "public",
        "open_forms": [OpenForm(f).label for f in ds.open_forms if f in OpenForm.values],
        "can": {
            "edit": state in (State.DRAFT, State.RETURNED, State.PUBLISHED)
            and cperm.can_dataset_update(actor, ds),
            "submit": state in (State.DRAFT, State.RETURNED) and cperm.can_dataset_submit(actor, ds),
            "review_start": state == State.SUBMITTED and cperm.can_dataset_review_start(actor, ds),
            "publish": state in (State.SUBMITTED, State.IN_REVIEW, State.REVISION_IN_REVIEW)
            and cperm.can_dataset_publish(actor, ds),
            "return": state in (State.SUBMITTED, State.IN_REVIEW, State.REVISION_IN_REVIEW)
            and cperm.can_dataset_return(actor, ds),
            "withdraw": state in (State.PUBLISHED, State.REVISION_IN_REVIEW)
            and cperm.can_dataset_withdraw(actor, ds),
            "reopen": state == State.WITHDRAWN and cperm.can_dataset_reopen(actor, ds),
        },
        "show_pending": cperm.can_dataset_update(actor, ds) or cperm.can_dataset_publish(actor, ds),
        "api_twin": _api_twin(f"datasets/{slug_for_code(ds.code)}"),
    }


@require_GET
@domain_errors
def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    ds = csel.get_dataset_for(request.user, code_from_slug(slug))
    return render(request, "portal/dataset.html", _dataset_context(request, ds))


@require_GET
@domain_errors
def organization(request: HttpRequest, uscc: str) -> HttpResponse:
    dept = tsel.get_department(uscc[:32])
    page = _page_number(request.GET.get("page"))
    ctx = {
        "dept": dept,
        "progress": tsel.cataloging_rate(department=dept),
        "result": csel.browse(request.user, csel.BrowseQuery(department=dept.uscc, page=page)),
        "api_twin": _api_twin(f"organizations/{dept.uscc}"),
    }
    return render(request, "portal/organization.html", ctx)


@require_GET
@domain_errors
def region(request: HttpRequest, code: str) -> HttpResponse:
    r = tsel.get_region(code[:12])
    page = _page_number(request.GET.get("page"))
    ctx = {
        "region": r,
        "progress": tsel.cataloging_rate(region=r),
        "departments": tsel.departments_with_progress(r),
        "result": csel.browse(request.user, csel.BrowseQuery(region=r.code, page=page)),
        "api_twin": _api_twin(f"regions/{r.code}"),
    }
    return render(request, "portal/region.html", ctx)


@require_GET
def services_catalog(request: HttpRequest) -> HttpResponse:
    ctx = {
        "section": "services",
        "result": psel.data_services(request.user, _page_number(request.GET.get("page"))),
    }
    return render(request, "portal/section_services.html", ctx)


@require_GET
@domain_errors
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One data service: its endpoints and copyable examples in curl, Python and JavaScript."""
    ds = csel.get_dataset_for(request.user, code_from_slug(slug))
    fields = [f for f in ds.fields.all() if f.open_attribute != OpenAttribute.CLOSED]
    base = request.build_absolute_uri("/").rstrip("/")
    ctx = {
        "ds": ds,
        "slug": slug,
        "fields": fields,
        "base": base,
        "example_field": fields[0].name if fields else "",
        "conditional": ds.open_attribute == OpenAttribute.CONDITIONAL,
        "api_twin": _api_twin(f"datasets/{slug}"),
    }
    return render(request, "portal/service_detail.html", ctx)


@require_GET
def section(request: HttpRequest, name: str) -> HttpResponse:
    ctx: dict[str, Any] = {"section": name}
    if name == "index":
        ctx.update(stats=_stats(), domains=psel.domains_with_counts(), api_twin=_api_twin("stats"))
        ctx["target"] = settings.KAIFANG_OPEN_DATASET_TARGET
    return render(request, f"portal/section_{name}.html", ctx)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from kaifang.core.middleware import InvalidCharacters

    # Only messages written for people are shown; any other bad request gets the generic one.
    message = str(exception) if isinstance(exception, InvalidCharacters) else _("请求有误，请检查后重试。")
    return render(request, "portal/error.html", {"status": 400, "message": message}, status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "portal/error.html", {"status": 404, "message": NotFound().message}, status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "portal/error.html", {"status": 403, "message": Forbidden().message}, status=403)


# ---------------------------------------------------------------- staff pages


def workbench_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; the workbench is for staff and the evaluator, a 404 to everyone else."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not pperm.may_use_workbench(request.user):
            return _error_page(request, NotFound())
        return view(request, *args, **kwargs)

    return domain_errors(wrapper)


@require_GET
def after_login(request: HttpRequest) -> HttpResponse:
    """Where a sign-in lands: staff and the evaluator on their workbench, everyone else on /me/."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return redirect("portal:staff" if pperm.may_use_workbench(request.user) else "portal:me")


@require_GET
@workbench_required
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    """The workbench (工作台): one section per role the user holds, each a set of real queues."""
    actor = request.user
    ctx = {
        "sections": [_section_html(actor, name) for name in pperm.workbench_sections(actor)],
        "my_departments": psel.officer_departments(actor),
        "may_manage": tperm.may_manage_responsibilities(actor),
        "is_staff": roles_of(actor).is_staff_member,
        "api_twin": _api_twin("workbench"),
    }
    return render(request, "portal/workbench/index.html", ctx)


def _section_html(actor: Any, name: str) -> str:
    # The operator's health figures (task queue, mail outbox, periodic jobs) change without an audit event:
    # they are kept for a quarter of a minute at most.
    bucket = int(time.time() // 15) if name == "operator" else 0
    return fragment(
        ("workbench", actor.pk, roles_of(actor), name, bucket),
        lambda: render_to_string("portal/workbench/_section.html", {"s": wb.section(actor, name)}),
    )


@require_GET
def workbench_queue(request: HttpRequest, queue: str) -> HttpResponse:
    """A queue in full, a page at a time, in the same order as on the workbench (or on /me/)."""
    spec = wb.QUEUES[queue]
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if spec.section != "me" and spec.section not in pperm.workbench_sections(request.user):
        return _error_page(request, NotFound())
    page = wb.page_number(request.GET.get("page"))
    actor = request.user

    def body() -> str:
        result = spec.function(actor, limit=wb.PAGE, offset=(page - 1) * wb.PAGE)
        ctx = {"spec": spec, "queue": result, "page": page, "num_pages": max(1, -(-result.total // wb.PAGE))}
        return render_to_string("portal/workbench/_queue_page.html", ctx)

    ctx = {
        "spec": spec,
        "body": fragment(("queue", actor.pk, roles_of(actor), queue, page), body),
        "api_twin": _api_twin("workbench/queue", {"name": queue, "page": str(page) if page > 1 else ""}),
    }
    return render(request, "portal/workbench/queue.html", ctx)


def _audit_required(request: HttpRequest) -> None:
    if not pperm.may_audit(request.user):
        raise NotFound()


@require_GET
@workbench_required
def audit(request: HttpRequest) -> HttpResponse:
    """The auditor's search over audit events and data calls (by user, API key, dataset, action, dates)."""
    _audit_required(request)
    from django.core.paginator import Paginator

    params = wb.audit_params(request.GET)
    tab = "calls" if request.GET.get("tab") == "calls" else "events"
    number = wb.page_number(request.GET.get("page"))
    query = {k: params[k] for k in wb.AUDIT_PARAMS if params[k]}
    encoded = urlencode({**query, "tab": tab})
    actor = request.user

    def body() -> str:
        qs = wb.call_log_events(actor, params) if tab == "calls" else wb.audit_events(actor, params)
        page = Paginator(qs, wb.AUDIT_PAGE).get_page(number)
        return render_to_string(
            "portal/workbench/_audit_results.html", {"page": page, "tab": tab, "query": encoded}
        )

    # Data calls are logged without an audit event: the newest call log row keys that tab as well.
    calls = wb.newest_call_log_id() if tab == "calls" else 0
    ctx = {
        "params": params,
        "tab": tab,
        "body": fragment(("audit", actor.pk, roles_of(actor), encoded, number, calls), body),
        "query": encoded,
        "api_twin": _api_twin("workbench/audit", {**query, "tab": tab}),
    }
    return render(request, "portal/workbench/audit.html", ctx)


@require_GET
@workbench_required
def audit_timeline(request: HttpRequest) -> HttpResponse:
    """One user's, API key's or dataset's audit events and data calls, merged and newest first."""
    _audit_required(request)
    kind = next((k for k in wb.TIMELINE_KINDS if request.GET.get(k)), None)
    if kind is None:
        raise NotFound()
    value = request.GET[kind].strip()[:150]
    data = wb.timeline(request.user, kind, value, wb.page_number(request.GET.get("page")))
    ctx = {
        "data": data,
        "query": urlencode({kind: value}),
        "api_twin": _api_twin("workbench/audit/timeline", {kind: value}),
    }
    return render(request, "portal/workbench/timeline.html", ctx)


@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """我的: an applicant's applications, grants, requests and work orders, and followed datasets, in one place."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    actor = request.user

    def body() -> str:
        queues = [(spec, spec.function(actor)) for spec in wb.queues_of("me")]
        return render_to_string("portal/_me_queues.html", {"queues": queues})

    ctx = {
        "queues_html": fragment(("me", actor.pk, roles_of(actor)), body),
        "has_workbench": pperm.may_use_workbench(request.user),
        "api_twin": _api_twin("me/overview"),
    }
    return render(request, "portal/me.html", ctx)


def _form_context(actor: Any, data: dict[str, Any], details: Any = None) -> dict[str, Any]:
    scalar, rows, everything = forms.split_errors(details)
    fields = data.get("fields") or [{}]
    field_rows = [{"data": f, "errors": rows.get(i, [])} for i, f in enumerate(fields, start=1)]
    return {
        "data": data,
        "errors": scalar,
        "all_errors": everything,
        "field_rows": field_rows,
        "departments": psel.officer_departments(actor),
        "choices": {
            "domain": psel.concepts(Concept.Scheme.DOMAIN),
            "theme": psel.concepts(Concept.Scheme.THEME),
            "genre": psel.concepts(Concept.Scheme.GENRE),
            "service_object": psel.concepts(Concept.Scheme.SERVICE_OBJECT),
            "resource_category": ResourceCategory.choices,
            "format_category": FormatCategory.choices,
            "share_type": ShareType.choices,
            "share_mode": ShareMode.choices,
            "open_attribute": OpenAttribute.choices,
            "open_form": OpenForm.choices,
            "update_frequency": UpdateFrequency.choices,
            "field_type": FieldType.choices,
            "grade": Grade.choices,
            "coordinate_system": CoordinateSystem.choices,
        },
    }


@staff_required
def dataset_new(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if request.method == "POST":
        data = forms.dataset_data_from_post(request.POST)
        dept = next(
            (d for d in psel.officer_departments(actor) if d.uscc == request.POST.get("department")), None
        )
        try:
            if dept is None:
                raise ValidationFailed(details={"department": _("请选择信息资源提供方。")})
            ds = csvc.dataset_register(actor=actor, department=dept, data=data)
        except ValidationFailed as exc:
            ctx = _form_context(actor, data, exc.details or {"_": exc.message})
            ctx["department"] = request.POST.get("department", "")
            return render(request, "portal/staff/dataset_form.html", ctx, status=422)
        messages.success(request, _("已登记数据资源，代码 %(code)s。") % {"code": scheme().display(ds.code)})
        return redirect("portal:dataset", slug=slug_for_code(ds.code))
    ctx = _form_context(actor, {"resource_category": "3", "share_mode": "platform_api", "fields": [{}, {}]})
    return render(request, "portal/staff/dataset_form.html", ctx)


@staff_required
@require_POST
def dataset_validate(request: HttpRequest) -> HttpResponse:
    """Inline validation for the registration form (htmx): the errors partial, nothing saved."""
    details = None
    try:
        validate_dataset_input(forms.dataset_data_from_post(request.POST))
    except ValidationFailed as exc:
        details = exc.details or {"_": exc.message}
    _scalar, _rows, everything = forms.split_errors(details)
    return render(request, "portal/staff/_form_errors.html", {"all_errors": everything, "checked": True})


@staff_required
def dataset_edit(request: HttpRequest, slug: str) -> HttpResponse:
    actor = request.user
    ds = csel.get_dataset_for(actor, code_from_slug(slug))
    if not cperm.can_dataset_update(actor, ds):
        raise Forbidden()
    if request.method == "POST":
        data = forms.dataset_data_from_post(request.POST)
        try:
            csvc.dataset_update(
                actor=actor,
                dataset=ds,
                data=data,
                lock_version=_int(request.POST.get("lock_version")),
                reason=request.POST.get("reason", "")[:2000],
            )
        except DomainError as exc:
            if isinstance(exc, NotFound | Forbidden):
                raise
            ctx = _form_context(actor, data, exc.details or {"_": exc.message})
            ctx.update(ds=ds, lock_version=request.POST.get("lock_version", ""), slug=slug)
            return render(request, "portal/staff/dataset_form.html", ctx, status=exc.status)
        messages.success(request, _("已保存修改。"))
        return redirect("portal:dataset", slug=slug)
    ctx = _form_context(actor, forms.dataset_initial(ds))
    ctx.update(ds=ds, lock_version=ds.lock_version, slug=slug)
    return render(request, "portal/staff/dataset_form.html", ctx)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


ACTIONS: dict[str, tuple[Callable[..., Any], bool]] = {
    # name -> (service, takes lock_version)
    "submit": (csvc.dataset_submit, True),
    "review-start": (csvc.dataset_review_start, False),
    "publish": (csvc.dataset_publish, True),
    "return": (csvc.dataset_return, True),
    "withdraw": (csvc.dataset_withdraw, True),
    "reopen": (csvc.dataset_reopen, False),
}
ACTION_DONE = {
    "submit": gettext_lazy("已提交审核。"),
    "review-start": gettext_lazy("已开始审核。"),
    "publish": gettext_lazy("已发布。"),
    "return": gettext_lazy("已退回。"),
    "withdraw": gettext_lazy("已撤回。"),
    "reopen": gettext_lazy("已重新打开为草稿。"),
}


@staff_required
@require_POST
def dataset_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    ds = csel.get_dataset_for(request.user, code_from_slug(slug))
    service, versioned = ACTIONS[action]
    kwargs: dict[str, Any] = {"actor": request.user, "dataset": ds}
    if action != "review-start":
        kwargs["reason"] = request.POST.get("reason", "")[:2000]
    if versioned:
        kwargs["lock_version"] = _int(request.POST.get("lock_version"))
    try:
        service(**kwargs)
    except DomainError as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        ds.refresh_from_db()
        ctx = _dataset_context(request, ds)
        _scalar, _rows, everything = forms.split_errors(exc.details)
        ctx["action_error"] = {"message": exc.message, "details": everything}
        return render(request, "portal/dataset.html", ctx, status=exc.status)
    messages.success(request, ACTION_DONE[action])
    if request.POST.get("next") == "review":
        return redirect("portal:review")
    return redirect("portal:dataset", slug=slug)


@staff_required
def review_queue(request: HttpRequest) -> HttpResponse:
    queue = cperm.review_queue_for(request.user).select_related("department", "region", "domain")
    items = []
    for ds in queue.prefetch_related("fields")[:100]:
        entry: dict[str, Any] = {
            "ds": ds,
            "slug": slug_for_code(ds.code),
            "code_display": scheme().display(ds.code),
        }
        if ds.state == State.REVISION_IN_REVIEW:
            entry["diff"] = psel.pending_diff(ds)
        items.append(entry)
    ctx = {"items": items, "flags": psel.open_duplicate_flags(queue)}
    return render(request, "portal/staff/review.html", ctx)


@staff_required
@require_POST
def duplicate_settle(request: HttpRequest, pk: int) -> HttpResponse:
    flag = psel.duplicate_flag(pk)
    if flag is None or not cperm.can_duplicate_settle(request.user, flag):
        raise NotFound()
    chosen = psel.dataset_by_code(request.POST.get("authoritative", "")[:40])
    try:
        if chosen is None:
            raise ValidationFailed(details={"authoritative": _("请选择权威来源。")})
        csvc.duplicate_settle(
            actor=request.user, flag=flag, authoritative=chosen, reason=request.POST.get("reason", "")[:2000]
        )
    except DomainError as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        _s, _r, everything = forms.split_errors(exc.details)
        messages.error(request, " ".join(everything) or str(exc.message))
        return redirect("portal:review")
    messages.success(request, _("已裁定权威来源。"))
    return redirect("portal:review")


@staff_required
def responsibilities(request: HttpRequest) -> HttpResponse:
    actor = request.user
    qs = tsel.responsibility_items_for(actor)
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        qs = tsel.overdue_items(qs)
    ctx: dict[str, Any] = {"overdue": overdue, "errors": {}, "data": {}, "status": 200}
    if request.method == "POST":
        ctx["data"] = request.POST
        dept = next(
            (d for d in psel.managed_departments(actor) if d.uscc == request.POST.get("department")), None
        )
        try:
            if dept is None:
                raise ValidationFailed(details={"department": _("请选择部门。")})
            try:
                due = datetime.date.fromisoformat(request.POST.get("due_date", ""))
            except ValueError:
                due = None
            tsvc.responsibility_item_create(
                actor=actor,
                department=dept,
                title=request.POST.get("title", ""),
                domain_code=request.POST.get("domain", ""),
                due_date=due,  # type: ignore[arg-type]
                notes=request.POST.get("notes", ""),
            )
        except ValidationFailed as exc:
            ctx["errors"], _rows, ctx["all_errors"] = forms.split_errors(exc.details or {"_": exc.message})
            ctx["status"] = 422
        else:
            messages.success(request, _("已添加责任清单条目。"))
            return redirect("portal:responsibilities")
    ctx.update(
        items=list(qs[:500]),
        today=datetime.date.today(),
        departments=psel.managed_departments(actor),
        domains=psel.concepts(Concept.Scheme.DOMAIN),
        may_manage=tperm.may_manage_responsibilities(actor),
    )
    return render(request, "portal/staff/responsibilities.html", ctx, status=ctx["status"])


@staff_required
@require_POST
def responsibility_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = tsel.responsibility_items_for(request.user).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    try:
        tsvc.responsibility_item_delete(
            actor=request.user, item=item, reason=request.POST.get("reason", "")[:2000]
        )
    except ValidationFailed as exc:
        _s, _r, everything = forms.split_errors(exc.details)
        messages.error(request, " ".join(everything) or str(exc.message))
    else:
        messages.success(request, _("已删除责任清单条目。"))
    return redirect("portal:responsibilities")


@staff_required
def catalog_import(request: HttpRequest) -> HttpResponse:
    ctx: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed(details={"file": _("请选择要导入的文件。")})
            rows = parse_upload(upload.name, upload.read())
            created = csvc.catalog_import(
                actor=request.user, rows=rows, publish=request.POST.get("publish") == "1"
            )
        except ImportFailed as exc:
            ctx.update(message=exc.message, report=exc.details)
            status = 422
        except ValidationFailed as exc:
            _s, _r, everything = forms.split_errors(exc.details)
            ctx.update(message=exc.message, problems=everything)
            status = 422
        else:
            ctx["created"] = [{"ds": d, "slug": slug_for_code(d.code)} for d in created]
    return render(request, "portal/staff/import.html", ctx, status=status)
