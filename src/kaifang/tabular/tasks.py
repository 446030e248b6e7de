"""Durable background work of tables: the ingest of a completed upload, as a `django.tasks` task.

With the database backend (django-tasks-db, the default) the task is a row committed together with the
upload's state, and `kaifang worker` (started alongside gunicorn by `kaifang serve` and `kaifang demo`)
claims and runs it. A worker holds an exclusive `flock` on `KAIFANG_HOME/workers/<id>.lock` for its whole
life and stamps the upload it works on with its id, so the next worker to start can tell a dead worker from
a busy one without guessing from time: the kernel drops the lock when the process dies, however it dies.
Workers on other machines (a shared database, Redis at scale) have no lock file here; for them an upload
whose heartbeat (every few seconds while the task runs) stopped is taken as abandoned.

Crash safety comes from the ingest itself (`services._ingest`): the Parquet object is moved into the store
atomically and the version row, the audit event and the upload's outcome are committed in one transaction.
A worker killed anywhere before that commit leaves the previous version served and no half version; on
start-up recovery the upload's task is retried (the received file is still on disk) up to
`KAIFANG_INGEST_MAX_ATTEMPTS` starts, then the upload is marked failed with a message saying so.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from kaifang.core.audit import audit_record
from kaifang.tabular.models import Upload

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# Without a lock file to ask (a worker on another machine), this long without a heartbeat means dead.
HEARTBEAT_STALE_SECONDS = 60.0
PHASE_SPAN = {
    "transcode": (0.0, 30.0),
    "parse": (30.0, 45.0),
    "validate": (45.0, 60.0),
    "write": (60.0, 85.0),
    "profile": (85.0, 99.0),
}


def max_attempts() -> int:
    return int(getattr(settings, "KAIFANG_INGEST_MAX_ATTEMPTS", 2))


def durable_backend() -> bool:
    """False when tasks run inline in the caller (the immediate backend: tests, scripts)."""
    return not isinstance(task_backends[ingest_upload.backend], ImmediateBackend)


def enqueue_ingest(upload: Upload, actor: Any) -> str:
    result = ingest_upload.enqueue(str(upload.pk), getattr(actor, "pk", None))
    return str(result.id)


def _part_path(upload_id: Any) -> Path:
    from kaifang.tabular.store import uploads_dir

    return uploads_dir() / f"{upload_id}.part"


@task(takes_context=True)
def ingest_upload(context: Any, upload_id: str, actor_id: Any) -> dict[str, Any]:
    """Ingest one completed upload. Returns the outcome; a refusal is an outcome, not a task failure."""
    from kaifang.accounts.models import User
    from kaifang.core.errors import DomainError
    from kaifang.tabular.services import _plain, table_ingest

    result = context.task_result
    worker_id = (result.worker_ids or [""])[-1][:64]
    with transaction.atomic():
        upload = Upload.objects.select_for_update().select_related("dataset").filter(pk=upload_id).first()
        # A duplicate or superseded task (recovery already re-enqueued, or the upload finished) does nothing.
        if upload is None or upload.state != Upload.State.INGESTING:
            return {"state": getattr(upload, "state", "missing"), "skipped": True}
        if upload.task_id and upload.task_id != str(result.id):
            return {"state": upload.state, "skipped": True}
        upload.attempts += 1
        upload.worker_id = worker_id
        upload.save(update_fields=["attempts", "worker_id", "updated_at"])
    actor = User.objects.filter(pk=actor_id).first() or upload.created_by
    path = _part_path(upload.pk)
    last = [0.0]

    def progress(phase: str, fraction: float) -> None:
        lo, hi = PHASE_SPAN.get(phase, (0.0, 100.0))
        now = time.monotonic()
        if now - last[0] >= 0.5 or fraction <= 0 or fraction >= 1:
            last[0] = now
            Upload.objects.filter(pk=upload.pk).update(
                phase=phase, percent=round(lo + (hi - lo) * fraction, 1), updated_at=timezone.now()
            )

    every = float(getattr(settings, "KAIFANG_INGEST_HEARTBEAT", HEARTBEAT_SECONDS))
    beat = _Heartbeat(upload.pk, every) if every > 0 and durable_backend() else None
    try:
        version = table_ingest(
            actor=actor,
            dataset=upload.dataset,
            path=path,
            filename=upload.filename,
            encoding=upload.encoding or None,
            quarantine=upload.quarantine,
            progress=progress,
            upload_id=upload.pk,
        )
    except DomainError as exc:
        # An IngestError was recorded on the upload with the failed version; anything else (the actor lost
        # the right to ingest, say) is recorded here.
        report = {"code": exc.code, "message": str(exc.message), "details": exc.details}
        Upload.objects.filter(pk=upload.pk, state=Upload.State.INGESTING).update(
            state=Upload.State.FAILED, report=_plain(report), updated_at=timezone.now()
        )
        path.unlink(missing_ok=True)
        return {"state": "failed", "code": exc.code}
    except Exception:
        report = {"code": "ingest_crashed", "message": _("导入时发生内部错误，请重新上传。")}
        Upload.objects.filter(pk=upload.pk, state=Upload.State.INGESTING).update(
            state=Upload.State.FAILED, report=report, updated_at=timezone.now()
        )
        path.unlink(missing_ok=True)
        raise
    finally:
        if beat is not None:
            beat.stop()
    path.unlink(missing_ok=True)
    return {"state": "ingested", "version": version.number, "rows": version.row_count}


@task()
def prepare_public_downloads(version_id: int) -> dict[str, Any]:
    """Build the whole-table files the public will download, right after publication, so the first
    visitor gets a stored file at file speed and the dataset page can show each file's SHA-256 (every format
    up to `exports.PREPARE_ALL_ROWS` rows, CSV and Parquet beyond); and the row store of a large table. Caches, not state: if this never runs, the first download
    builds the same file (same key, same bytes) and the data API reads rows through DuckDB."""
    from django.contrib.auth.models import AnonymousUser

    from kaifang.catalog.models import Dataset
    from kaifang.core.errors import DomainError
    from kaifang.tabular import exports, rowstore, selectors
    from kaifang.tabular.models import TableVersion

    version = TableVersion.objects.filter(pk=version_id, is_current=True).first()
    if version is None:
        return {"skipped": "not current"}
    dataset = Dataset.objects.get(pk=version.dataset_id)
    try:
        _v, wanted = exports.for_whole_table(AnonymousUser(), dataset)
    except DomainError:
        wanted = {}  # conditional data: each grantee's scope differs
    out: dict[str, Any] = {"files": {}}
    for fmt, download in wanted.items():
        if version.row_count > exports.PREPARE_ALL_ROWS and fmt not in exports.PREPARED_ALWAYS:
            continue  # stored by its first request instead
        try:
            path, digest = exports.stored_file(download)
        except Exception:  # one format failing must not keep the others from being prepared
            logger.warning("could not prepare the %s download of version %s", fmt, version.pk, exc_info=True)
            continue
        out["files"][fmt] = {"file": path.name, "bytes": path.stat().st_size, "sha256": digest}
    if rowstore.wanted(version.row_count):  # every reader's scope is cut from the same rows
        out["row_store"] = rowstore.build(selectors.served_object(version)).stat().st_size
    out["evicted"] = evict_superseded(version)
    return out


def evict_superseded(version: Any) -> list[str]:
    """Remove the stored downloads and row stores of the dataset's other published versions once a new one
    is served: caches of objects nobody is served by default (a rollback queues them again). An object
    that is some dataset's current open version (content addressing can share one) is kept."""
    import shutil

    from kaifang.privacy.models import VersionGate
    from kaifang.tabular import downloads, selectors

    keep = {selectors.served_object(version).stem}
    gates = VersionGate.objects.filter(allowed=True).exclude(open_sha256="")
    stems = set(gates.filter(version__dataset_id=version.dataset_id).values_list("open_sha256", flat=True))
    stems -= keep | set(gates.filter(version__is_current=True).values_list("open_sha256", flat=True))
    removed = []
    for stem in sorted(stems):
        folder = downloads.export_dir(stem)
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(stem)
    return removed


def after_publication(version: Any) -> None:
    """Queue the public downloads of a version once its publication commits."""

    def enqueue() -> None:
        try:
            prepare_public_downloads.enqueue(version.pk)
        except Exception:  # a cache: the first download builds it instead
            logger.warning("could not queue the public downloads of version %s", version.pk, exc_info=True)

    transaction.on_commit(enqueue)


class _Heartbeat:
    """Stamps the upload every few seconds while a long phase (a DuckDB COPY) reports no progress, so a
    worker on another machine is not mistaken for a dead one."""

    def __init__(self, upload_id: Any, every: float) -> None:
        self.upload_id = upload_id
        self.every = every
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="ingest-heartbeat")
        self.thread.start()

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self.done.wait(self.every):
                try:
                    Upload.objects.filter(pk=self.upload_id, state=Upload.State.INGESTING).update(
                        updated_at=timezone.now()
                    )
                except Exception:  # a locked database is retried at the next beat
                    logger.warning("ingest heartbeat failed", exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=self.every * 2)


# --- workers: liveness and start-up recovery --------------------------------------------------------------------


def _locks_dir() -> Path:
    d = Path(settings.KAIFANG_HOME) / "workers"
    d.mkdir(parents=True, exist_ok=True)
    return d


_held_locks: dict[str, int] = {}


def hold_worker_lock(worker_id: str) -> None:
    """Hold this worker's lock file until the process ends (the kernel releases it on any death)."""
    fd = os.open(_locks_dir() / f"{worker_id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _held_locks[worker_id] = fd


def release_worker_lock(worker_id: str) -> None:
    fd = _held_locks.pop(worker_id, None)
    if fd is not None:
        (_locks_dir() / f"{worker_id}.lock").unlink(missing_ok=True)
        os.close(fd)


def worker_alive(worker_id: str, last_seen: Any) -> bool:
    path = _locks_dir() / f"{worker_id}.lock"
    if worker_id and path.exists():
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # also releases the lock if we just took it
        path.unlink(missing_ok=True)
        return False
    return (timezone.now() - last_seen).total_seconds() < HEARTBEAT_STALE_SECONDS


def _task_row(task_id: str) -> Any:
    if not task_id:
        return None
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: its own bookkeeping
        return None
    return DBTaskResult.objects.filter(id=task_id).first()


def _abandoned(upload: Upload) -> bool:
    row = _task_row(upload.task_id)
    if not upload.worker_id:
        # Never claimed: fine while its task waits in the queue; abandoned if the task is gone or finished.
        if row is not None:
            return row.status not in ("READY", "RUNNING")
        return (timezone.now() - upload.updated_at).total_seconds() > HEARTBEAT_STALE_SECONDS
    return not worker_alive(upload.worker_id, upload.updated_at)


def recover_ingests() -> dict[str, list[str]]:
    """Find uploads whose worker died mid-ingest; retry each (a new task) or, after the last allowed attempt,
    mark it failed; seal raw objects an interrupted ingest left plain. Safe to run from several workers at
    once (the upload row is locked and re-checked; sealing is idempotent)."""
    out: dict[str, list[str]] = {"retried": [], "failed": []}
    for upload_id in Upload.objects.filter(state=Upload.State.INGESTING).values_list("pk", flat=True):
        with transaction.atomic():
            upload = (
                Upload.objects.select_for_update()
                .select_related("dataset", "created_by")
                .filter(pk=upload_id, state=Upload.State.INGESTING)
                .first()
            )
            if upload is None or not _abandoned(upload):
                continue
            _fail_task_row(upload)
            if upload.attempts < max_attempts() and _part_path(upload.pk).is_file():
                upload.task_id = ""
                upload.worker_id = ""
                upload.phase, upload.percent = "queued", 0.0
                if durable_backend():
                    upload.task_id = enqueue_ingest(upload, upload.created_by)
                upload.save(update_fields=["task_id", "worker_id", "phase", "percent", "updated_at"])
                out["retried"].append(str(upload.pk))
                if not durable_backend():
                    transaction.on_commit(lambda u=upload: enqueue_ingest(u, u.created_by))
                continue
            message = _(
                "导入进程在处理过程中意外终止（已尝试 %(n)s 次），未生成新版本，当前版本保持不变。请重新上传。"
            ) % {"n": upload.attempts}
            upload.state = Upload.State.FAILED
            upload.report = {
                "code": "worker_lost",
                "message": message,
                "details": {"attempts": upload.attempts},
            }
            upload.save(update_fields=["state", "report", "updated_at"])
            audit_record(
                actor=None,
                action="table.ingest_failed",
                target=upload.dataset,
                reason=message[:500],
                after={"upload": str(upload.pk), "code": "worker_lost", "attempts": upload.attempts},
            )
            out["failed"].append(str(upload.pk))
        if upload is not None and upload.state == Upload.State.FAILED:
            _part_path(upload.pk).unlink(missing_ok=True)
    out["sealed"] = seal_left_plain()
    return out


def seal_left_plain() -> list[str]:
    """Seal the raw objects of unpublished versions that are still plain: an ingest killed after its
    version committed but before sealing (`tabular.gate.seal_at_rest`) leaves one."""
    from kaifang.tabular import gate
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.store import get_store

    store = get_store()
    sealed = []
    for version in TableVersion.objects.filter(state=TableVersion.State.VALIDATED).exclude(store_key=""):
        if store.local_path(version.store_key).is_file():
            gate.seal_at_rest(version)
            sealed.append(version.content_hash)
    return sealed


def _fail_task_row(upload: Upload) -> None:
    row = _task_row(upload.task_id)
    if row is not None and row.status in ("READY", "RUNNING"):
        type(row).objects.filter(pk=row.pk).update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path="kaifang.tabular.tasks.WorkerLost",
            traceback=f"worker {upload.worker_id or '-'} died while running this task",
        )


# --- the worker process -------------------------------------------------------------------------------------------


SESSION_SWEEP_SECONDS = 3600.0


def clear_expired_sessions() -> None:
    """Server-side sessions (one row per login) stay in the database after they expire until removed; the
    worker removes them at start and hourly, so nobody has to schedule `clearsessions`."""
    from importlib import import_module

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def run_worker(*, batch: bool = False, interval: float = 0.5, recover_every: float = 30.0) -> int:
    """`kaifang worker`: recover what dead workers left, then run tasks until stopped (SIGTERM/SIGINT finish
    the current task first; a second signal ends it at once). `batch` exits when the queue is empty."""
    from django_tasks_db.management.commands.db_worker import Worker

    from kaifang.core.periodic import run_due
    from kaifang.tabular.store import get_store

    worker_id = f"{os.uname().nodename[:20]}-{os.getpid()}-{get_random_string(12)}"
    hold_worker_lock(worker_id)
    recovered = recover_ingests()
    get_store().sweep_temp()
    clear_expired_sessions()
    if any(recovered.values()):
        logger.warning("recovered ingests: %s", recovered)
    stop = threading.Event()
    if not batch and recover_every:

        def periodic() -> None:
            from django.db import connection

            last_sweep = time.monotonic()
            while not stop.wait(recover_every):
                try:
                    recover_ingests()
                    run_due()
                    if time.monotonic() - last_sweep >= SESSION_SWEEP_SECONDS:
                        last_sweep = time.monotonic()
                        clear_expired_sessions()
                except Exception:
                    logger.warning("ingest recovery failed", exc_info=True)
                finally:
                    connection.close()

        threading.Thread(target=periodic, daemon=True, name="ingest-recovery").start()
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    import signal

    saved = {}
    if threading.current_thread() is threading.main_thread():
        saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        worker.configure_signals()
    try:
        worker.run()
    finally:
        stop.set()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        release_worker_lock(worker_id)
    return 0
