"""Pages of tables: the data panel of a dataset page (htmx), its preview table, version actions, upload page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import DomainError, NotFound
from kaifang.portal.views import domain_errors, staff_required
from kaifang.privacy.permissions import may_review_privacy
from kaifang.tabular import downloads, exports, profiles, selectors, services
from kaifang.tabular import permissions as perm
from kaifang.tabular.downloads import FORMATS

FORMAT_LABELS = {
    "csv": "CSV (UTF-8)",
    "csv-bom": "CSV (Excel, UTF-8 BOM)",
    "csv-gbk": "CSV (GB18030)",
    "xlsx": "XLSX",
    "json": "JSON",
    "parquet": "Parquet",
    "geojson": "GeoJSON",
}


def _dataset(request: HttpRequest, slug: str) -> Any:
    return get_dataset_for(request.user, code_from_slug(slug))


def _preview(request: HttpRequest, ds: Any) -> dict[str, Any]:
    params = request.GET.copy()
    params.setdefault("limit", "20")
    try:
        return {"result": selectors.table_rows(request.user, ds, params), "params": params}
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return {"result": None, "params": params}
        return {"result": None, "error": exc, "params": params}


SAMPLE_LINKS = (
    ("csv", gettext_lazy("下载样本（CSV）")),
    ("csv-bom", gettext_lazy("下载样本（CSV，Excel 用）")),
    ("xlsx", "XLSX"),
)


def _sample_files(sample: Any, slug: str) -> list[dict[str, Any]]:
    """The sample's downloads with the SHA-256 of each file. A sample is at most a thousand rows, so its
    files are built here if missing: the page never shows a download without its checksum."""
    out = []
    for fmt, label in SAMPLE_LINKS:
        _path, digest = exports.stored_file(exports.for_sample(sample, fmt))
        name = downloads.filename(f"{slug}-sample-v{sample.version.number}", fmt)
        out.append({"format": fmt, "label": label, "file": name, "sha256": digest})
    return out


def _sample(request: HttpRequest, ds: Any, slug: str, current: Any) -> dict[str, Any]:
    from kaifang.catalog.choices import OpenAttribute

    if ds.open_attribute != OpenAttribute.CONDITIONAL:
        return {}
    try:
        sample = selectors.sample_for(request.user, ds)
    except NotFound:
        sample = None
    return {
        "conditional": True,
        "sample": sample,
        "sample_rows": selectors.sample_rows(sample) if sample else None,
        "sample_files": _sample_files(sample, slug) if sample else [],
        "can_sample": current is not None and perm.can_table_sample_publish(request.user, ds),
    }


def _downloads(
    request: HttpRequest, ds: Any, slug: str, served: Any, current: Any, lonlat: Any
) -> list[dict[str, Any]]:
    """Each download with its file name and, once the stored file exists, the SHA-256 of its bytes (what
    `X-Content-SHA256` says when it is downloaded). Only whole tables of the current version are stored."""
    stored: dict[str, Any] = {}
    if current is not None:
        try:
            _version, stored = exports.for_whole_table(request.user, ds)
        except DomainError:
            stored = {}
    out = []
    for fmt in FORMATS:
        if fmt == "geojson" and not lonlat:
            continue
        wanted = stored.get(fmt)
        out.append(
            {
                "format": fmt,
                "label": FORMAT_LABELS[fmt],
                "file": downloads.filename(f"{slug}-v{served.number}", fmt),
                "sha256": exports.stored_checksum(wanted) if wanted else None,
            }
        )
    return out


@require_GET
@domain_errors
def data_panel(request: HttpRequest, slug: str) -> HttpResponse:
    """Versions, downloads with checksum, preview table, column profile and map of one dataset."""
    ds = _dataset(request, slug)
    versions = list(selectors.versions_for(request.user, ds)[:50])
    current = next((v for v in versions if v.is_current), None)
    served = current or next((v for v in versions if v.store_key), None)
    gates = selectors.gate_summaries(versions)
    ctx: dict[str, Any] = {
        "ds": ds,
        "slug": slug,
        "versions": [
            {
                "v": v,
                "gate": gates.get(v.pk),
                "can_publish": perm.can_table_version_publish(request.user, v) and v.state == "validated",
                "can_rollback": perm.can_table_version_rollback(request.user, v)
                and v.state == "published"
                and not v.is_current,
            }
            for v in versions
        ],
        "current": current,
        "served": served,
        "can_upload": perm.can_upload_start(request.user, ds),
        "can_review_privacy": may_review_privacy(request.user, ds),
        "may_read": perm.may_read_data(request.user, ds),
    }
    if served is not None and ctx["may_read"]:
        try:
            served = selectors.as_served(served, request.user)  # the open (masked) object's columns
        except DomainError as exc:  # its files were destroyed (410): say so instead of the data
            ctx["served_error"] = exc.message
            served = ctx["served"] = None
    if served is not None and ctx["may_read"]:
        columns = perm.columns_visible_to(request.user, ds, served)
        lonlat = selectors.coordinate_columns(columns)
        ctx["formats"] = _downloads(request, ds, slug, served, current, lonlat)
        ctx["lonlat"] = lonlat
        # Only the statistics the reader may see (a grant's columns and rows; none of others' data).
        stats = profiles.profile_for(request.user, ds, served)
        shown = [c for c in columns if c["name"] in stats.columns]
        ctx["profile"] = [(c["name"], c["type"], stats.columns[c["name"]]) for c in shown]
        ctx["charts"] = selectors.profile_charts(served, shown, stats.columns, stats.rows)
        ctx["profile_scope"] = stats.scope
        ctx.update(_preview(request, ds))
    ctx.update(_sample(request, ds, slug, current))
    return render(request, "tabular/_data_panel.html", ctx)


@require_GET
@domain_errors
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The interactive table alone (htmx swaps it on sort, filter and page)."""
    ds = _dataset(request, slug)
    return render(request, "tabular/_preview.html", {"ds": ds, "slug": slug, **_preview(request, ds)})


@require_POST
@staff_required
def version_action(request: HttpRequest, slug: str, number: int, action: str) -> HttpResponse:
    ds = _dataset(request, slug)
    version = selectors.get_version_by_number(request.user, ds, number)
    reason = request.POST.get("reason", "")
    try:
        if action == "publish":
            services.table_version_publish(actor=request.user, version=version, reason=reason)
        elif action == "rollback":
            services.table_version_rollback(actor=request.user, version=version, reason=reason)
        else:
            raise NotFound()
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        from django.contrib import messages

        messages.error(request, str(exc.message))
    return redirect("portal:dataset", slug=slug)


@require_POST
@staff_required
def sample_publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Generate or regenerate the public sample (样本数据集) of a conditional dataset."""
    from django.contrib import messages

    ds = _dataset(request, slug)
    try:
        services.table_sample_publish(
            actor=request.user, dataset=ds, rows=int(request.POST.get("rows") or services.SAMPLE_ROWS)
        )
        messages.success(request, _("样本数据集已生成。"))
    except ValueError:
        messages.error(
            request, _("样本行数必须在 %(lo)s 到 %(hi)s 之间。") % {"lo": 1, "hi": services.SAMPLE_MAX_ROWS}
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, str(exc.message))
    return redirect("portal:dataset", slug=slug)


@require_GET
@staff_required
def upload_page(request: HttpRequest, slug: str) -> HttpResponse:
    ds = _dataset(request, slug)
    if not perm.can_upload_start(request.user, ds):
        raise NotFound()
    return render(request, "tabular/upload.html", {"ds": ds, "slug": slug})
