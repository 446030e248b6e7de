"""The Chief Data Officer pilots (首席数据官试点, S8): the public list, and the page where a pilot department
records its CDO, business data, processes and responsibilities and where the bureau names or ends pilots."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.portal import forms
from kaifang.portal.views import staff_required
from kaifang.tenancy import permissions as tperm
from kaifang.tenancy import selectors as tsel
from kaifang.tenancy import services as tsvc


@require_GET
def cdo_pilots(request: HttpRequest) -> HttpResponse:
    pilots = tsel.cdo_pilots()
    actor = request.user
    maintainer = tperm.may_maintain_cdo_pilots(actor)
    rows = [
        {
            "dept": d,
            "notes": d.cdo_notes.splitlines(),
            "may_maintain": maintainer
            and (
                tperm.can_department_update_cdo(actor, d)
                or tperm.can_department_designate_cdo_pilot(actor, d)
            ),
        }
        for d in pilots
    ]
    ctx = {
        "city": [r for r in rows if r["dept"].region.level == "city"],
        "counties": [r for r in rows if r["dept"].region.level != "city"],
        "total": len(rows),
        "api_twin": "/api/v1/cdo-pilots",
    }
    return render(request, "portal/cdo_pilots.html", ctx)


@staff_required
@require_http_methods(["GET", "POST"])
def cdo_maintain(request: HttpRequest, uscc: str) -> HttpResponse:
    actor = request.user
    dept = tsel.get_department(uscc[:32])
    may_record = tperm.can_department_update_cdo(actor, dept)
    may_designate = tperm.can_department_designate_cdo_pilot(actor, dept)
    if not (may_record or may_designate):
        raise Forbidden()
    ctx: dict[str, Any] = {"dept": dept, "may_record": may_record, "may_designate": may_designate}
    ctx.update(errors={}, all_errors=[], data={}, status=200)
    if request.method == "POST":
        ctx["data"] = request.POST
        action = request.POST.get("action", "")
        try:
            if action == "record":
                tsvc.department_update_cdo(
                    actor=actor,
                    department=dept,
                    cdo_name=request.POST.get("cdo_name", ""),
                    cdo_notes=request.POST.get("cdo_notes", ""),
                )
                messages.success(request, _("已保存首席数据官信息。"))
            elif action == "designate":
                pilot = request.POST.get("pilot") == "1"
                tsvc.department_designate_cdo_pilot(
                    actor=actor, department=dept, pilot=pilot, reason=request.POST.get("reason", "")
                )
                messages.success(
                    request, _("已确定为首席数据官试点。") if pilot else _("已取消首席数据官试点。")
                )
            else:
                raise ValidationFailed(_("未知的操作。"))
        except ValidationFailed as exc:
            ctx["errors"], _rows, ctx["all_errors"] = forms.split_errors(exc.details or {"_": exc.message})
            ctx["status"] = 422
        else:
            return redirect("portal:cdo_maintain", uscc=dept.uscc)
    return render(request, "portal/staff/cdo_maintain.html", ctx, status=ctx["status"])
