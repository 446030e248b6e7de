"""The privacy review page of a dataset (officers of its department, reviewers of its region)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kaifang.catalog.choices import Grade
from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import ValidationFailed
from kaifang.portal.views import staff_required
from kaifang.privacy import permissions as perm
from kaifang.privacy import selectors, services
from kaifang.privacy.kinds import Sensitivity


@require_http_methods(["GET", "POST"])
@staff_required
def review(request: HttpRequest, slug: str) -> HttpResponse:
    ds = get_dataset_for(request.user, code_from_slug(slug))
    errors: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("form") == "grade":
        try:
            services.grade_decide(
                actor=request.user,
                dataset=ds,
                field_name=request.POST.get("field_name", ""),
                grade=request.POST.get("grade", ""),
                sensitivity=request.POST.get("sensitivity", ""),
                reason=request.POST.get("reason", ""),
            )
        except ValidationFailed as exc:
            errors = {k: str(v) for k, v in (exc.details or {}).items()}
        else:
            messages.success(request, _("分级已确认。"))
            return redirect("privacy:review", slug=slug)
    elif request.method == "POST":
        try:
            rules = json.loads(request.POST.get("rules") or "{}")
        except ValueError:
            errors = {"rules": _("脱敏规则不是有效的JSON。")}
        else:
            try:
                services.publication_profile_set(
                    actor=request.user, dataset=ds, rules=rules, reason=request.POST.get("reason", "")
                )
            except ValidationFailed as exc:
                errors = {k: str(v) for k, v in (exc.details or {}).items()}
            else:
                messages.success(request, _("脱敏方案已保存。"))
                return redirect("privacy:review", slug=slug)
    data = selectors.privacy_review(request.user, ds, run_gate=request.GET.get("gate") == "1")
    if request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    ctx = {
        "ds": ds,
        "slug": slug,
        "data": data,
        "errors": errors,
        "can_set": perm.can_publication_profile_set(request.user, ds),
        "can_decide": perm.can_grade_decide(request.user, ds),
        "grades": Grade.choices,
        "sensitivities": list(Sensitivity.LABELS.items()),
        "rules_json": request.POST.get("rules")
        or json.dumps(
            data.get("profile") or {"fields": data.get("suggested_rules", {})}, ensure_ascii=False, indent=2
        ),
    }
    return render(request, "privacy/review.html", ctx, status=422 if errors else 200)


@require_http_methods(["GET"])
@staff_required
def raw_download(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The raw (un-masked) Parquet of one version: the officers of the data's own department only."""
    from urllib.parse import quote

    from django.http import StreamingHttpResponse

    from kaifang.privacy.openversion import raw_chunks
    from kaifang.tabular.selectors import get_version_by_number

    ds = get_dataset_for(request.user, code_from_slug(slug))
    version = get_version_by_number(request.user, ds, number)
    digest, chunks = raw_chunks(request.user, version)
    response = StreamingHttpResponse(chunks, content_type="application/vnd.apache.parquet")
    response["X-Content-SHA256"] = digest
    name = f"{ds.title}-v{version.number}-raw.parquet"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{slug}-v{version.number}-raw.parquet\"; filename*=UTF-8''{quote(name)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@staff_required
def lifecycle(request: HttpRequest, slug: str) -> HttpResponse:
    """Retention period and destruction records of a dataset's versions; officers set and destroy."""
    from kaifang.tabular.selectors import get_version_by_number

    ds = get_dataset_for(request.user, code_from_slug(slug))
    data = selectors.lifecycle(request.user, ds)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.POST.get("form") == "destroy":
                try:
                    number = int(request.POST.get("number", ""))
                except ValueError:
                    raise ValidationFailed(details={"number": _("版本号无效。")}) from None
                version = get_version_by_number(request.user, ds, number)
                services.version_destroy(
                    actor=request.user,
                    version=version,
                    reason=request.POST.get("reason", ""),
                    trigger="order",
                )
                messages.success(request, _("该版本的数据文件已销毁，销毁记录已保存。"))
            else:
                services.retention_set(
                    actor=request.user,
                    dataset=ds,
                    days=request.POST.get("days"),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("保存期限已设置。"))
        except ValidationFailed as exc:
            errors = {k: str(v) for k, v in (exc.details or {}).items()} or {"form": str(exc.message)}
        else:
            return redirect("privacy:lifecycle", slug=slug)
    ctx = {
        "ds": ds,
        "slug": slug,
        "data": data,
        "errors": errors,
        "can_set": perm.can_retention_set(request.user, ds),
        "can_destroy": perm.may_destroy_versions_of(request.user, ds),
    }
    return render(request, "privacy/lifecycle.html", ctx, status=422 if errors else 200)
