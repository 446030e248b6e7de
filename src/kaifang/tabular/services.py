"""Every state change of tables: ingest a file as a new version, publish it, roll back, resumable uploads.

Each service checks its `can_<name>` first and writes an audit event in the same transaction. The heavy work
of an ingest (transcode, validate, Parquet) runs before the transaction; the Parquet object is moved into the
store atomically, and the version row that makes it visible is committed only after that, so a process
killed at any point leaves the previous version served and no half version.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kaifang.catalog.models import Dataset
from kaifang.core.audit import audit_record
from kaifang.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from kaifang.tabular import gate
from kaifang.tabular import permissions as perm
from kaifang.tabular.ingest import FieldSpec, IngestError, Progress, check_filename, run_ingest
from kaifang.tabular.models import TableVersion, Upload
from kaifang.tabular.store import get_store, uploads_dir


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _next_number(dataset: Dataset) -> int:
    Dataset.objects.select_for_update().filter(pk=dataset.pk).first()  # serialise numbering per dataset
    return (TableVersion.objects.filter(dataset=dataset).aggregate(m=Max("number"))["m"] or 0) + 1


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def table_ingest(
    *,
    actor: Any,
    dataset: Dataset,
    path: Path,
    filename: str,
    encoding: str | None = None,
    quarantine: bool = False,
    progress: Progress | None = None,
    upload_id: Any = None,
) -> TableVersion:
    """Validate and convert a file into a new (unpublished) version. A refused file is recorded as a failed
    version with its report, and IngestError is raised after that record is committed. With `upload_id`,
    the upload's outcome is recorded in the same transaction as the version, so a retried task never makes
    a second version of one upload."""
    _require(perm.can_table_ingest(actor, dataset))
    return _ingest(
        actor=actor,
        dataset=dataset,
        path=path,
        filename=filename,
        encoding=encoding,
        quarantine=quarantine,
        progress=progress,
        upload_id=upload_id,
    )


def _ingest(
    *,
    actor: Any,
    dataset: Dataset,
    path: Path,
    filename: str,
    encoding: str | None,
    quarantine: bool,
    progress: Progress | None,
    upload_id: Any = None,
) -> TableVersion:
    fields = [FieldSpec.from_field(f) for f in dataset.fields.all()]
    store = get_store()
    try:
        result = run_ingest(
            Path(path),
            filename,
            fields,
            encoding=encoding,
            quarantine=quarantine,
            progress=progress,
            store=store,
        )
    except IngestError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        with transaction.atomic():
            failed = TableVersion.objects.create(
                dataset=dataset,
                number=_next_number(dataset),
                state=TableVersion.State.FAILED,
                error=str(exc.message),
                bad_rows=details.get("bad_rows", [])[:1000],
                bad_row_count=details.get("bad_row_count", 0),
                source_name=filename[:255] if len(filename) <= 255 else "",
                quarantine_mode=quarantine,
                created_by=_user(actor),
            )
            audit_record(
                actor=actor,
                action="table.ingest_failed",
                target=dataset,
                reason=str(exc.message)[:500],
                after={"version": failed.number, "code": exc.code},
            )
            exc.details = {**details, "version": failed.number}
            if upload_id is not None:
                report = {"code": exc.code, "message": str(exc.message), "details": exc.details}
                Upload.objects.filter(pk=upload_id).update(
                    state=Upload.State.FAILED, report=_plain(report), updated_at=timezone.now()
                )
        raise
    key, digest, size = store.put(result.parquet)
    qkey = store.put(result.quarantine)[0] if result.quarantine else ""
    with transaction.atomic():
        version = TableVersion.objects.create(
            dataset=dataset,
            number=_next_number(dataset),
            state=TableVersion.State.VALIDATED,
            content_hash=digest,
            store_key=key,
            quarantine_key=qkey,
            byte_size=size,
            row_count=result.row_count,
            quarantined_count=result.quarantined_count,
            schema=result.schema,
            profile=result.profile,
            bad_rows=result.bad_rows,
            bad_row_count=result.bad_row_count,
            source_name=filename,
            source_format=result.source_format,
            source_encoding=result.source_encoding,
            source_hash=result.source_hash,
            quarantine_mode=quarantine,
            created_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="table.ingest",
            target=dataset,
            after={
                "version": version.number,
                "rows": version.row_count,
                "sha256": digest,
                "quarantined": version.quarantined_count,
            },
        )
        _tell_reviewers(actor, version)
        if upload_id is not None:
            Upload.objects.filter(pk=upload_id).update(
                state=Upload.State.INGESTED,
                version=version,
                phase="done",
                percent=100.0,
                updated_at=timezone.now(),
            )
    # Outside the version's transaction: if sealing is interrupted, the worker's recovery seals the object.
    gate.seal_at_rest(version)
    return version


def _tell_reviewers(actor: Any, version: TableVersion) -> None:
    """A validated version waits for a reviewer who may publish it (never its uploader)."""
    from django.urls import reverse

    from kaifang.catalog.codes import slug_for_code
    from kaifang.notifications import events
    from kaifang.notifications.dispatch import notify
    from kaifang.notifications.recipients import reviewers

    dataset = version.dataset
    notify(
        recipients=reviewers(),
        event=events.VERSION_AWAITING_REVIEW,
        subject=_("数据版本待审核发布：%(t)s 第 %(n)s 版") % {"t": dataset.title, "n": version.number},
        body=_("“%(t)s”的第 %(n)s 版数据（%(rows)s 行）已通过校验，等待审核发布。")
        % {"t": dataset.title, "n": version.number, "rows": version.row_count},
        url=reverse("portal:dataset", kwargs={"slug": slug_for_code(dataset.code)}),
        visible=lambda user: perm.can_table_version_publish(user, version),
        exclude=actor,
    )


def _made_current(actor: Any, version: TableVersion, reason: str) -> None:
    from kaifang.catalog.signals import dataset_changed

    dataset_changed.send(
        sender=Dataset, dataset=version.dataset, change="version_published", actor=actor, reason=reason
    )


def _make_current(*, actor: Any, version: TableVersion) -> None:
    TableVersion.objects.filter(dataset_id=version.dataset_id, is_current=True).exclude(pk=version.pk).update(
        is_current=False
    )
    version.is_current = True


def table_version_publish(*, actor: Any, version: TableVersion, reason: str = "") -> TableVersion:
    """Make a validated version the one the public is served, after the privacy gate. The gate writes the
    open (masked) version and records its decision in a transaction of its own, before this one, so a
    refusal stays on record with the version."""
    _require(perm.can_table_version_publish(actor, version))
    version = TableVersion.objects.select_related("dataset").get(pk=version.pk)
    if version.state != TableVersion.State.VALIDATED:
        raise InvalidTransition(_("只有已校验待发布的版本可以发布。"))
    refusals = gate.privacy_gate(version, actor=actor)
    if refusals:
        raise ValidationFailed(_("未通过隐私审查，不能发布。"), code="privacy_gate", details=refusals)
    with transaction.atomic():
        return _publish(actor=actor, version=version, reason=reason)


def _publish(*, actor: Any, version: TableVersion, reason: str) -> TableVersion:
    version = TableVersion.objects.select_for_update().select_related("dataset").get(pk=version.pk)
    if version.state != TableVersion.State.VALIDATED:
        raise InvalidTransition(_("只有已校验待发布的版本可以发布。"))
    previous = TableVersion.objects.filter(dataset_id=version.dataset_id, is_current=True).first()
    _make_current(actor=actor, version=version)
    version.state = TableVersion.State.PUBLISHED
    version.published_by = _user(actor)
    version.published_at = timezone.now()
    version.save(update_fields=["state", "is_current", "published_by", "published_at"])
    audit_record(
        actor=actor,
        action="table.publish",
        target=version.dataset,
        reason=reason,
        before={"current": previous.number if previous else None},
        after={"current": version.number, "sha256": version.content_hash},
    )
    _made_current(actor, version, reason)
    from kaifang.tabular.tasks import after_publication

    after_publication(version)
    return version


@transaction.atomic
def table_version_rollback(*, actor: Any, version: TableVersion, reason: str = "") -> TableVersion:
    """Serve an earlier published version again (a reviewer's decision)."""
    _require(perm.can_table_version_rollback(actor, version))
    version = TableVersion.objects.select_for_update().select_related("dataset").get(pk=version.pk)
    if version.state != TableVersion.State.PUBLISHED or version.is_current:
        raise InvalidTransition(_("只能回退到一个此前已发布、且不是当前版本的版本。"))
    if not reason.strip():
        raise ValidationFailed(_("请填写回退理由。"), details={"reason": _("必填")})
    previous = TableVersion.objects.filter(dataset_id=version.dataset_id, is_current=True).first()
    _make_current(actor=actor, version=version)
    version.save(update_fields=["is_current"])
    audit_record(
        actor=actor,
        action="table.rollback",
        target=version.dataset,
        reason=reason,
        before={"current": previous.number if previous else None},
        after={"current": version.number},
    )
    _made_current(actor, version, reason)
    from kaifang.tabular.tasks import after_publication

    after_publication(version)  # its downloads and row store were evicted when it was superseded
    return version


# --- resumable uploads ------------------------------------------------------------------------------------------


def _part_path(upload: Upload) -> Path:
    return uploads_dir() / f"{upload.pk}.part"


@transaction.atomic
def upload_start(
    *,
    actor: Any,
    dataset: Dataset,
    filename: str,
    total_size: int,
    encoding: str = "",
    quarantine: bool = False,
) -> Upload:
    _require(perm.can_upload_start(actor, dataset))
    check_filename(filename)
    limit = getattr(settings, "KAIFANG_UPLOAD_MAX_BYTES", 20 * 1024**3)
    if total_size <= 0:
        raise IngestError(_("文件为空。"), code="empty_file")
    if total_size > limit:
        raise ValidationFailed(_("文件过大，上限为 %(gb)s GB。") % {"gb": limit // 1024**3})
    upload = Upload.objects.create(
        dataset=dataset,
        filename=filename,
        total_size=total_size,
        encoding=encoding or "",
        quarantine=quarantine,
        created_by=actor,
    )
    _part_path(upload).touch()
    audit_record(
        actor=actor,
        action="table.upload_start",
        target=dataset,
        after={"upload": str(upload.pk), "filename": filename, "size": total_size},
    )
    return upload


def upload_append(*, actor: Any, upload: Upload, offset: int, data: bytes) -> Upload:
    """Append one chunk at `offset`, which must be what the server has (so a retry or resume is exact)."""
    _require(perm.can_upload_append(actor, upload))
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        if upload.state != Upload.State.OPEN:
            raise InvalidTransition(_("该上传已结束。"))
        if offset != upload.received:
            raise Conflict(
                _("分片位置不符：服务器已收到 %(n)s 字节，请从该位置继续上传。") % {"n": upload.received},
                details={"received": upload.received},
            )
        if upload.received + len(data) > upload.total_size:
            raise ValidationFailed(_("上传的数据超过了声明的文件大小。"))
        path = _part_path(upload)
        with open(path, "r+b") as fh:
            fh.seek(offset)
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        upload.received = offset + len(data)
        if upload.received == upload.total_size:
            upload.state = Upload.State.COMPLETE
        upload.save(update_fields=["received", "state", "updated_at"])
    return upload


STALE_AFTER = 600  # seconds without progress or heartbeat: whatever ran the ingest is gone


def upload_complete(*, actor: Any, upload: Upload) -> Upload:
    """Ingest a fully received upload as a new version, as a durable background task (`tasks.ingest_upload`,
    run by `kaifang worker`; the page polls the upload's phase and percent). With the database backend the
    task row is committed together with the upload's state, so neither exists without the other. With the
    immediate backend (tests, scripts) the ingest has finished on return, and a refusal is raised."""
    from kaifang.tabular import tasks

    _require(perm.can_upload_complete(actor, upload))
    durable = tasks.durable_backend()
    with transaction.atomic():
        upload = Upload.objects.select_for_update().select_related("dataset").get(pk=upload.pk)
        stale = (
            upload.state == Upload.State.INGESTING
            and (timezone.now() - upload.updated_at).total_seconds() > STALE_AFTER
        )
        if upload.received != upload.total_size or (upload.state != Upload.State.COMPLETE and not stale):
            raise InvalidTransition(
                _("文件尚未上传完整（已收到 %(n)s / %(total)s 字节）。")
                % {"n": upload.received, "total": upload.total_size}
                if upload.received != upload.total_size
                else _("该上传已在导入或已结束。")
            )
        upload.state = Upload.State.INGESTING
        upload.phase, upload.percent, upload.report = "queued", 0.0, {}
        upload.ingest_started_at = timezone.now()
        upload.attempts, upload.worker_id, upload.task_id = 0, "", ""
        if durable:
            upload.task_id = tasks.enqueue_ingest(upload, actor)
        upload.save(
            update_fields=[
                "state",
                "phase",
                "percent",
                "report",
                "ingest_started_at",
                "attempts",
                "worker_id",
                "task_id",
                "updated_at",
            ]
        )
    if not durable:
        tasks.enqueue_ingest(upload, actor)
    upload = Upload.objects.select_related("version").get(pk=upload.pk)
    if not durable and upload.state == Upload.State.FAILED:
        report = upload.report or {}
        raise IngestError(
            report.get("message") or _("导入失败。"),
            code=report.get("code", "ingest_failed"),
            details=report.get("details") or {},
        )
    return upload


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _system_publish(version: TableVersion, reason: str) -> TableVersion | None:
    """Publish without a reviewer, for data the platform itself builds (the demo city). Not a service: no
    person acts, and nothing outside this app's bootstrap calls it. The privacy gate still decides: a
    refused version stays validated (None is returned)."""
    if gate.privacy_gate(version):
        return None
    with transaction.atomic():
        _make_current(actor=None, version=version)
        version.state = TableVersion.State.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["state", "is_current", "published_at"])
        audit_record(
            actor=None,
            action="table.publish",
            target=version.dataset,
            reason=reason,
            after={"current": version.number, "sha256": version.content_hash},
        )
        _made_current(None, version, reason)
    return version


SAMPLE_ROWS = 100
SAMPLE_MAX_ROWS = 1000


def table_sample_publish(*, actor: Any, dataset: Dataset, rows: int = SAMPLE_ROWS) -> Any:
    """Make (or remake) the public sample of a conditionally open dataset: the first `rows` rows, in source
    order, of its current version, only the columns not marked 不予开放, with the dataset's publication
    profile applied, and only if that exact file passes the privacy gate. A refusal is recorded and raised
    with the gate's reasons; the previous sample, if any, stays."""
    from kaifang.catalog.choices import OpenAttribute
    from kaifang.privacy.gate import prepare_open_version
    from kaifang.privacy.masking import PublicationProfile, dataset_key
    from kaifang.privacy.selectors import current_profile
    from kaifang.tabular.engine import TableEngine, quote_ident
    from kaifang.tabular.models import TableSample

    _require(perm.can_table_sample_publish(actor, dataset))
    if dataset.open_attribute != OpenAttribute.CONDITIONAL:
        raise InvalidTransition(_("只有有条件开放的数据资源需要样本数据集。"))
    if not 1 <= int(rows) <= SAMPLE_MAX_ROWS:
        raise ValidationFailed(
            _("样本行数必须在 %(lo)s 到 %(hi)s 之间。") % {"lo": 1, "hi": SAMPLE_MAX_ROWS}, code="bad_rows"
        )
    version = TableVersion.objects.filter(dataset=dataset, is_current=True).first()
    if version is None or not version.store_key:
        raise InvalidTransition(_("该数据资源尚无已发布的数据版本，不能生成样本。"))
    store = get_store()
    columns = perm.open_columns_visible_to(dataset, version)
    raw, dest = store.new_temp(), store.new_temp()
    try:
        with _raw_object(version) as source:
            # Identifiers are the schema's own names, quoted; `_id` is the source row number, so the
            # extract is the same rows for the same version whenever it is made.
            select = ", ".join(quote_ident(c["name"]) for c in columns) or "NULL AS _empty"
            TableEngine().export_parquet(
                f"SELECT {select} FROM t ORDER BY _id LIMIT ?",  # noqa: S608
                [int(rows)],
                tables={"t": source},
                dest=raw,
            )
        # The same profile the open version is written with, and the gate over exactly the file served.
        profile = current_profile(dataset) or PublicationProfile()
        decision = prepare_open_version(raw, dest, profile, key=dataset_key(dataset.pk))
        if not decision.allowed:
            with transaction.atomic():
                audit_record(
                    actor=actor,
                    action="table.sample_refused",
                    target=dataset,
                    reason="；".join(decision.reasons)[:500],
                    after={"version": version.number, "rows": int(rows)},
                )
            raise ValidationFailed(
                _("样本数据集未通过隐私审查：%(reasons)s") % {"reasons": "；".join(decision.reasons)},
                code="privacy_gate",
                details=decision.reasons,
            )
        import pyarrow.parquet as pq

        written = pq.read_schema(dest)
        by_name = {c["name"]: c for c in columns}
        schema = [
            {
                "name": n,
                "type": by_name.get(n, {}).get("type", "C"),
                "sql_type": by_name.get(n, {}).get("sql_type", "VARCHAR"),
            }
            for n in written.names
        ]
        row_count = pq.ParquetFile(dest).metadata.num_rows
        key, digest, _size = store.put(dest)
    finally:
        raw.unlink(missing_ok=True)
        dest.unlink(missing_ok=True)
    with transaction.atomic():
        before = TableSample.objects.select_for_update().filter(dataset=dataset).first()
        sample, _created = TableSample.objects.update_or_create(
            dataset=dataset,
            defaults={
                "version": version,
                "store_key": key,
                "content_hash": digest,
                "row_count": row_count,
                "schema": schema,
                "gate_stats": {
                    k: v for k, v in decision.stats.items() if k in ("rows", "columns", "findings")
                },
                "created_by": _user(actor),
            },
        )
        audit_record(
            actor=actor,
            action="table.sample_publish",
            target=dataset,
            before={"version": before.version.number, "sha256": before.content_hash} if before else None,
            after={"version": version.number, "rows": row_count, "sha256": digest},
        )
    return sample


def _raw_object(version: TableVersion) -> Any:
    """The version's own Parquet object (a context manager for its path): the store's, or a decrypted copy
    when the privacy app has sealed it in its raw zone after writing the open version."""
    from kaifang.privacy.rawzone import raw_file

    return raw_file(version.store_key, version.content_hash)
