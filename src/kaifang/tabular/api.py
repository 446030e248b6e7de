"""Tabular API v1: the data API (rows, aggregates), downloads, versions and resumable uploads."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from ninja import Router

from kaifang.catalog.codes import code_from_slug
from kaifang.catalog.selectors import get_dataset_for
from kaifang.core.errors import NotAuthenticated
from kaifang.core.http import DbInt, actor_for
from kaifang.tabular import downloads, exports, profiles, selectors, services
from kaifang.tabular import query as Q
from kaifang.tabular.schemas import ReasonIn, UploadIn, upload_out, version_out

router = Router(tags=["data"])


def _dataset(request: HttpRequest, slug: str) -> Any:
    return get_dataset_for(actor_for(request), code_from_slug(slug))


def _authenticated(request: HttpRequest) -> Any:
    actor = actor_for(request)
    if not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated()
    return actor


@router.get("/datasets/{slug}/data", summary="查询数据（筛选、排序、分页）")
def data(request: HttpRequest, slug: str) -> Any:
    """Rows of the dataset's current published version. Filters `列名__op=值` with op in eq, ne, lt, le,
    gt, ge, in (comma list), like, between (a,b), isnull (true/false); `q` searches text columns; `sort=列`
    or `-列`; `fields=a,b`; `limit` ≤ 10000; `offset` or `cursor` (keyset, from `next_cursor`);
    `total=exact|estimate|none`; `format=json|csv`."""
    ds = _dataset(request, slug)
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Q.bad("format", _("format 只能是 json 或 csv。"))
    result = selectors.table_rows(actor_for(request), ds, request.GET)
    request._kaifang_rows = len(result["rows"])  # for the call log
    if fmt == "csv":
        return _csv_page(result)
    return result


def _csv_page(result: dict[str, Any]) -> HttpResponse:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    names = [c["name"] for c in result["columns"]]
    w.writerow([downloads.neutralise(n) for n in names])  # a column name is a cell too
    for row in result["rows"]:
        w.writerow([downloads.neutralise("" if row.get(n) is None else row.get(n)) for n in names])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["X-Total-Count"] = str(result["total"]) if result["total"] is not None else ""
    response["X-Total-Is-Estimate"] = "true" if result["total_is_estimate"] else "false"
    return response


@router.get("/datasets/{slug}/aggregate", summary="分组聚合")
def aggregate(request: HttpRequest, slug: str) -> Any:
    """`group_by=列1,列2` with `agg=count,sum:列,avg:列,min:列,max:列`; the same filters as /data."""
    ds = _dataset(request, slug)
    return selectors.table_aggregate(actor_for(request), ds, request.GET)


@router.get("/datasets/{slug}/map", summary="地图预览：按网格聚合的点")
def map_clusters(request: HttpRequest, slug: str) -> Any:
    """Points of a table with 经度/纬度 clustered on a grid over `bbox=西,南,东,北` (default: the data's
    extent), `cells` (4–128, default 40) across its larger side; `clusters` are `[经度, 纬度, 点数]`
    (averages of the points in the cell). The same filters as /data."""
    ds = _dataset(request, slug)
    return selectors.table_map(actor_for(request), ds, request.GET)


@router.get("/datasets/{slug}/download", summary="下载数据（整表或筛选结果）")
def download(request: HttpRequest, slug: str) -> Any:
    """`format=csv|csv-bom|csv-gbk|xlsx|json|parquet|geojson` plus any /data filters, `fields` and `sort`
    (`csv-gbk` is GB18030). Rows come in the data API's default order (row number) unless sorted. A whole
    table is a stored file: the same bytes on every request, Range/If-Range, and the SHA-256 of those bytes
    as its ETag and `X-Content-SHA256`. Filtered downloads are generated per request (weak ETag)."""
    ds = _dataset(request, slug)
    fmt = request.GET.get("format", "csv")
    if fmt not in downloads.FORMATS:
        raise Q.bad("format", _("format 只能是 %(list)s。") % {"list": "、".join(downloads.FORMATS)})
    version, spec, _sql, _params = selectors.table_export(actor_for(request), ds, request.GET)
    lonlat = selectors.coordinate_columns([c for c in spec.columns if c["name"] in spec.select])
    if fmt == "geojson" and lonlat is None:
        raise Q.bad("format", _("该数据没有经纬度列，不能导出 GeoJSON。"))
    modified = version.published_at or version.created_at
    source = downloads.Source.of(spec, selectors.version_tables(version))
    wanted = exports.Download(fmt, source, spec.select, modified, lonlat, ds.coordinate_system)
    content_type = downloads.FORMATS[fmt][0]
    whole = exports.is_whole_table(fmt, request.GET)
    if whole and (fmt not in exports.SENT_WHILE_STORED or exports.stored_checksum(wanted)):
        path, digest = exports.stored_file(wanted)
        etag = f'"{digest}"'  # names the stored bytes, as Range and If-Range need
        if request.headers.get("If-None-Match") == etag:
            return HttpResponseNotModified(headers={"ETag": etag})
        response = exports.ranged_response(request, path, content_type, etag, modified)
        response["X-Content-SHA256"] = digest
    else:
        # Generated by this request: the validator names the query, not stored bytes, so it is weak.
        etag = f'W/"{wanted.key()[:40]}"'
        if request.headers.get("If-None-Match") == etag:
            return HttpResponseNotModified(headers={"ETag": etag})
        if whole:
            stream = exports.stream_and_store(wanted)
        else:
            stream = downloads.body(
                fmt, source, spec.select, lonlat=lonlat, stamp=modified, crs=ds.coordinate_system
            )
        response = StreamingHttpResponse(stream, content_type=content_type)
    name = downloads.filename(f"{ds.title}-v{version.number}", fmt)
    response["Content-Disposition"] = (
        f'attachment; filename="{downloads.filename(f"{slug}-v{version.number}", fmt)}"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified.timestamp())
    return response


def _sample_out(sample: Any, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {
        "dataset": sample.dataset.code,
        "version": sample.version.number,
        "row_count": sample.row_count,
        "sha256": sample.content_hash,
        "created_at": sample.created_at.isoformat(),
        "columns": sample.schema,
    }
    if rows is not None:
        out["rows"] = [dict(zip(sample.column_names, r, strict=True)) for r in rows["rows"]]
    return out


@router.get("/datasets/{slug}/sample", summary="样本数据集（有条件开放数据的公开样本）")
def sample(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The fixed public extract of a conditionally open dataset, which passed the privacy gate: open to
    anyone, unlike /data."""
    found = selectors.sample_for(actor_for(request), _dataset(request, slug))
    return _sample_out(found, selectors.sample_rows(found, limit=services.SAMPLE_MAX_ROWS))


@router.get("/datasets/{slug}/sample/download", summary="下载样本数据集")
def sample_download(request: HttpRequest, slug: str) -> Any:
    """`format=csv|csv-bom|csv-gbk|xlsx|json` (`csv-gbk` is GB18030): a stored file, with the SHA-256 of
    its bytes as ETag and `X-Content-SHA256`, and Range."""
    ds = _dataset(request, slug)
    found = selectors.sample_for(actor_for(request), ds)
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.SAMPLE_FORMATS:
        raise Q.bad("format", _("format 只能是 %(list)s。") % {"list": "、".join(exports.SAMPLE_FORMATS)})
    path, digest = exports.stored_file(exports.for_sample(found, fmt))
    etag = f'"{digest}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = exports.ranged_response(request, path, downloads.FORMATS[fmt][0], etag, found.created_at)
    name = downloads.filename(f"{ds.title}-样本-v{found.version.number}", fmt)
    response["Content-Disposition"] = (
        f'attachment; filename="{downloads.filename(f"{slug}-sample-v{found.version.number}", fmt)}"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(found.created_at.timestamp())
    response["X-Content-SHA256"] = digest
    return response


@router.post("/datasets/{slug}/sample", summary="生成或重新生成样本数据集")
def sample_publish(request: HttpRequest, slug: str, rows: DbInt = services.SAMPLE_ROWS) -> dict[str, Any]:
    """Staff of the dataset: extract the first `rows` rows of the current version, apply the publication
    profile and pass the privacy gate (422 `privacy_gate` with the reasons otherwise)."""
    actor = _authenticated(request)
    found = services.table_sample_publish(actor=actor, dataset=_dataset(request, slug), rows=rows)
    return _sample_out(found)


@router.get("/datasets/{slug}/versions", summary="数据版本列表")
def versions(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    ds = _dataset(request, slug)
    versions = list(selectors.versions_for(actor_for(request), ds)[:200])
    gates = selectors.gate_summaries(versions)
    return [version_out(v, gate=gates.get(v.pk)) for v in versions]


@router.get("/datasets/{slug}/versions/{number}", summary="数据版本详情（结构、概况、问题行报告）")
def version_detail(request: HttpRequest, slug: str, number: DbInt) -> dict[str, Any]:
    """`profile` holds the column statistics the caller may read (`profile_scope`): all of them for the staff
    responsible, the readable columns of open data, the granted columns and rows of a grant (`profile_rows`
    rows), none for anyone else of conditional data."""
    actor = actor_for(request)
    ds = _dataset(request, slug)
    version = selectors.get_version_by_number(actor, ds, number)
    return version_out(
        version,
        detail=True,
        gate=selectors.gate_summaries([version]).get(version.pk),
        profile=profiles.profile_for(actor, ds, version),
    )


@router.get("/datasets/{slug}/versions/{number}/diff", summary="版本差异（按主键比较）")
def version_diff(request: HttpRequest, slug: str, number: DbInt, against: DbInt | None = None) -> dict[str, Any]:
    """Rows added, removed and changed (by primary key) and columns added or removed since `against`
    (default: the previous version with data)."""
    ds = _dataset(request, slug)
    return selectors.version_diff(actor_for(request), ds, number, against)


@router.post("/datasets/{slug}/versions/{number}/publish", summary="审核通过并发布数据版本")
def version_publish(request: HttpRequest, slug: str, number: DbInt, payload: ReasonIn) -> dict[str, Any]:
    actor = _authenticated(request)
    version = selectors.get_version_by_number(actor, _dataset(request, slug), number)
    return version_out(services.table_version_publish(actor=actor, version=version, reason=payload.reason))


@router.post("/datasets/{slug}/versions/{number}/rollback", summary="回退到此前发布的版本")
def version_rollback(request: HttpRequest, slug: str, number: DbInt, payload: ReasonIn) -> dict[str, Any]:
    actor = _authenticated(request)
    version = selectors.get_version_by_number(actor, _dataset(request, slug), number)
    return version_out(services.table_version_rollback(actor=actor, version=version, reason=payload.reason))


@router.post("/datasets/{slug}/uploads", response={201: dict}, summary="开始一次可续传的上传")
def upload_start(request: HttpRequest, slug: str, payload: UploadIn) -> tuple[int, dict[str, Any]]:
    actor = _authenticated(request)
    upload = services.upload_start(
        actor=actor,
        dataset=_dataset(request, slug),
        filename=payload.filename,
        total_size=payload.size,
        encoding=payload.encoding,
        quarantine=payload.quarantine,
    )
    return 201, upload_out(upload)


@router.get("/uploads/{upload_id}", summary="上传进度（续传时从 received 继续）")
def upload_status(request: HttpRequest, upload_id: str) -> dict[str, Any]:
    return upload_out(selectors.get_upload_for(_authenticated(request), upload_id))


@router.put("/uploads/{upload_id}", summary="上传一个分片（请求体为原始字节，offset 为起始位置）")
def upload_chunk(request: HttpRequest, upload_id: str, offset: DbInt) -> dict[str, Any]:
    actor = _authenticated(request)
    upload = selectors.get_upload_for(actor, upload_id)
    return upload_out(services.upload_append(actor=actor, upload=upload, offset=offset, data=request.body))


@router.post("/uploads/{upload_id}/complete", response={200: dict, 202: dict}, summary="上传完成，开始导入")
def upload_complete(request: HttpRequest, upload_id: str) -> tuple[int, dict[str, Any]]:
    """Starts the ingest. 202 while it runs in the background (poll `GET /uploads/{id}` for `phase`,
    `percent`, then `version` or `error`); 200 when it has already finished."""
    actor = _authenticated(request)
    upload = services.upload_complete(actor=actor, upload=selectors.get_upload_for(actor, upload_id))
    return (202 if upload.state == "ingesting" else 200), upload_out(upload)
