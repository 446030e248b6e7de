"""Ingest as a durable task: enqueued in the database, run by the worker, recovered after a worker is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kaifang.tabular.models import TableVersion, Upload

from .conftest import GOOD_CSV
from .test_uploads import put, start

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_tasks(settings, monkeypatch):
    """The database backend inside the test's transaction. The worker's between-task connection check
    would close that connection (it is not in autocommit), and a heartbeat thread would wait on the test's
    row locks; the real worker process below runs with both."""
    from django_tasks_db.management.commands import db_worker

    settings.TASKS = DB_TASKS
    settings.KAIFANG_INGEST_HEARTBEAT = 0
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def test_complete_enqueues_and_the_db_worker_runs_it(db_tasks, table_ds, login, personas):
    from django_tasks_db.models import DBTaskResult

    from kaifang.tabular.tasks import run_worker

    data = GOOD_CSV.encode("gbk")
    c = login(personas["officer"])
    uid = start(c, table_ds).json()["id"]
    put(c, uid, 0, data)
    r = c.post(f"/api/v1/uploads/{uid}/complete")
    assert r.status_code == 202 and r.json()["state"] == "ingesting" and r.json()["phase"] == "queued"
    task = DBTaskResult.objects.get()
    assert task.status == "READY" and task.args_kwargs["args"][0] == uid
    assert Upload.objects.get(pk=uid).task_id == str(task.pk)
    assert not TableVersion.objects.filter(dataset=table_ds).exists()  # nothing until a worker runs it

    run_worker(batch=True)

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.return_value["rows"] == 4
    status = c.get(f"/api/v1/uploads/{uid}").json()
    assert status["state"] == "ingested" and status["percent"] == 100.0
    assert status["version"]["number"] == 1 and status["version"]["source_encoding"] == "gbk"
    assert status["rows_per_s"] > 0
    upload = Upload.objects.get(pk=uid)
    assert upload.attempts == 1 and upload.worker_id
    # A second run of the same task (a duplicate delivery) changes nothing.
    from kaifang.tabular.tasks import ingest_upload

    assert ingest_upload.call(_Ctx(str(task.pk)), uid, personas["officer"].pk)["skipped"] is True
    assert TableVersion.objects.filter(dataset=table_ds).count() == 1


def test_refused_file_is_an_outcome_not_a_task_error(db_tasks, table_ds, login, personas):
    from django_tasks_db.models import DBTaskResult

    from kaifang.tabular.tasks import run_worker

    bad = (GOOD_CSV + "A001,重复,1,2024-01-01,甲,114,29,\n").encode()
    c = login(personas["officer"])
    uid = start(c, table_ds, size=len(bad)).json()["id"]
    put(c, uid, 0, bad)
    assert c.post(f"/api/v1/uploads/{uid}/complete").status_code == 202
    run_worker(batch=True)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    status = c.get(f"/api/v1/uploads/{uid}").json()
    assert status["state"] == "failed" and status["error"]["code"] == "bad_rows"
    assert status["error"]["details"]["bad_rows"][0]["reason"] == "主键重复，与第 1 行相同"


class _Ctx:
    def __init__(self, task_id: str) -> None:
        self.task_result = type("R", (), {"id": task_id, "worker_ids": ["test"]})()


def _dead_worker_upload(settings, table_ds, login, personas, attempts):
    """An upload whose worker died: its lock file exists and nobody holds it."""
    from django_tasks_db.models import DBTaskResult

    c = login(personas["officer"])
    data = GOOD_CSV.encode("gbk")
    uid = start(c, table_ds).json()["id"]
    put(c, uid, 0, data)
    c.post(f"/api/v1/uploads/{uid}/complete")
    task = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=task.pk).update(status="RUNNING", worker_ids=["gone"])
    Upload.objects.filter(pk=uid).update(worker_id="gone", attempts=attempts, phase="write", percent=70)
    locks = Path(settings.KAIFANG_HOME) / "workers"
    locks.mkdir(exist_ok=True)
    (locks / "gone.lock").write_text("12345")
    return uid, task


def test_recovery_retries_the_task_of_a_dead_worker(db_tasks, settings, table_ds, login, personas):
    from django_tasks_db.models import DBTaskResult

    from kaifang.tabular.tasks import recover_ingests, run_worker

    uid, old = _dead_worker_upload(settings, table_ds, login, personas, attempts=1)
    assert recover_ingests() == {"retried": [uid], "failed": [], "sealed": []}
    old.refresh_from_db()
    assert old.status == "FAILED" and old.exception_class_path.endswith("WorkerLost")
    upload = Upload.objects.get(pk=uid)
    assert upload.state == "ingesting" and upload.phase == "queued" and upload.task_id != str(old.pk)
    assert DBTaskResult.objects.get(pk=upload.task_id).status == "READY"
    assert recover_ingests() == {"retried": [], "failed": [], "sealed": []}  # a queued retry is not abandoned
    run_worker(batch=True)
    upload.refresh_from_db()
    assert upload.state == "ingested" and upload.attempts == 2
    assert TableVersion.objects.filter(dataset=table_ds).count() == 1


def test_recovery_fails_the_upload_after_the_last_attempt(db_tasks, settings, table_ds, login, personas):
    from kaifang.core.models import AuditEvent
    from kaifang.tabular.tasks import recover_ingests

    uid, _task = _dead_worker_upload(settings, table_ds, login, personas, attempts=2)
    assert recover_ingests() == {"retried": [], "failed": [uid], "sealed": []}
    status = login(personas["officer"]).get(f"/api/v1/uploads/{uid}").json()
    assert status["state"] == "failed" and status["error"]["code"] == "worker_lost"
    assert "意外终止" in status["error"]["message"] and "当前版本保持不变" in status["error"]["message"]
    assert AuditEvent.objects.filter(action="table.ingest_failed", reason__contains="意外终止").exists()
    assert not TableVersion.objects.filter(dataset=table_ds).exists()


def test_a_live_worker_is_not_recovered(db_tasks, settings, table_ds, login, personas):
    from kaifang.tabular.tasks import hold_worker_lock, recover_ingests

    uid, _task = _dead_worker_upload(settings, table_ds, login, personas, attempts=1)
    (Path(settings.KAIFANG_HOME) / "workers" / "gone.lock").unlink()
    hold_worker_lock("gone")  # this process now plays the live worker
    assert recover_ingests() == {"retried": [], "failed": [], "sealed": []}
    assert Upload.objects.get(pk=uid).state == "ingesting"


def test_recovery_seals_a_raw_object_an_interrupted_ingest_left_plain(settings, table_ds, ingest):
    """Killed after the version committed but before its raw object was sealed: the next recovery seals it."""
    import shutil

    from kaifang.privacy import rawzone
    from kaifang.tabular.store import get_store
    from kaifang.tabular.tasks import recover_ingests

    from .conftest import GOOD_CSV

    version = ingest(table_ds, GOOD_CSV)
    plain = get_store().local_path(version.store_key)
    sealed = rawzone.sealed_path(version.content_hash)
    assert sealed.exists() and not plain.exists()
    with rawzone.raw_file(version.store_key, version.content_hash) as path:
        shutil.copyfile(path, plain)  # as the process left it
    sealed.unlink()
    assert recover_ingests()["sealed"] == [version.content_hash]
    assert sealed.exists() and not plain.exists()
    assert recover_ingests()["sealed"] == []


# --- a real worker process, killed in the middle of an ingest ------------------------------------------------------

SETUP = r"""
import json, sys
from pathlib import Path
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from kaifang.accounts.models import RoleAssignment, User
from kaifang.catalog import services as cs
from kaifang.core.testing import valid_dataset_data
from kaifang.tabular import services as ts
from kaifang.tenancy.models import Department, Region

city = Region.objects.get_or_create(
    code="421200", defaults={"name": "咸宁市", "name_en": "Xianning", "level": "city", "catalog_code": "421200"}
)[0]
dept = Department.objects.create(name="咸宁市交通运输局", short_name="市交通运输局", name_en="Transport",
    uscc="11421200MB0000001X", region=city, seq="001", business_code="015")
officer = User.objects.create_user(username="officer", password="x", kind="staff", display_name="officer")
RoleAssignment.objects.create(user=officer, role="officer", department=dept)
reviewer = User.objects.create_user(username="reviewer", password="x", kind="staff", display_name="reviewer")
RoleAssignment.objects.create(user=reviewer, role="reviewer", region=city)
fields = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "名称", "data_type": "C", "length": 64},
    {"name": "数量", "data_type": "N", "length": 12},
]
ds = cs.dataset_register(actor=officer, department=dept, data=valid_dataset_data(fields=fields, title="单位"))
ds = cs.dataset_publish(actor=reviewer, dataset=cs.dataset_submit(actor=officer, dataset=ds))
small = Path(sys.argv[1])
v1 = ts.table_ingest(actor=officer, dataset=ds, path=small, filename="small.csv")
ts.table_version_publish(actor=reviewer, version=v1)
big = Path(sys.argv[2])
up = ts.upload_start(actor=officer, dataset=ds, filename="big.csv", total_size=big.stat().st_size)
with open(big, "rb") as fh:
    offset = 0
    while chunk := fh.read(8 * 1024 * 1024):
        up = ts.upload_append(actor=officer, upload=up, offset=offset, data=chunk)
        offset += len(chunk)
up = ts.upload_complete(actor=officer, upload=up)
print(json.dumps({"upload": str(up.pk), "code": ds.code, "state": up.state}))
"""

CHECK = r"""
import json, sys
import django
django.setup()
from django.test import Client
from django_tasks_db.models import DBTaskResult
from kaifang.catalog.codes import slug_for_code
from kaifang.tabular.models import TableVersion, Upload

up = Upload.objects.get(pk=sys.argv[1])
versions = list(TableVersion.objects.filter(dataset=up.dataset).order_by("number"))
r = Client().get(f"/api/v1/datasets/{slug_for_code(up.dataset.code)}/data?limit=1")
print(json.dumps({
    "state": up.state, "attempts": up.attempts, "phase": up.phase, "report": up.report,
    "versions": [[v.number, v.state, v.is_current, v.row_count] for v in versions],
    "served_total": r.json()["total"],
    "tasks": sorted(
        [t.status, t.exception_class_path.rsplit(".", 1)[-1]]
        for t in DBTaskResult.objects.filter(task_path__endswith=".ingest_upload")  # not publication's downloads
    ),
}))
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAIFANG_TASKS_BACKEND")}
    env.update(KAIFANG_HOME=str(home), DJANGO_SETTINGS_MODULE="kaifang.config.settings")
    return env


def _run(script: str, env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("max_attempts", [2, 1])
def test_worker_killed_mid_ingest_resumes_or_fails_at_the_next_start(tmp_path, max_attempts):
    """A real worker process (`kaifang worker`) is SIGKILLed while it writes the new version; the published
    version keeps being served and no half version appears. The next worker retries the task to the end,
    or, when that was the last allowed attempt, fails the upload with a message saying what happened."""
    home = tmp_path / "world"
    home.mkdir()
    env = {**_env(home), "KAIFANG_INGEST_MAX_ATTEMPTS": str(max_attempts)}
    small = tmp_path / "small.csv"
    small.write_text("编号,名称,数量\nK1,一,1\nK2,二,2\nK3,三,3\n", encoding="utf-8")
    big = tmp_path / "big.csv"
    n = 400_000
    with open(big, "w", encoding="gbk") as fh:
        fh.write("编号,名称,数量\n")
        for i in range(n):
            fh.write(f"K{i:07d},咸宁市第{i}号单位名称较长以便写入需要一点时间,{i}.5\n")
    setup = _run(SETUP, env, str(small), str(big))
    assert setup["state"] == "ingesting"  # enqueued; nothing runs it yet
    uid = setup["upload"]

    store_tmp = home / "store" / "tmp"
    worker = subprocess.Popen(
        [sys.executable, "-m", "kaifang.cli", "worker", "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    mid_ingest = False
    while time.monotonic() < deadline and worker.poll() is None:
        # The ingest's own work folder (the GBK file's UTF-8 text): publication's download builds also write
        # temporary files under store/tmp, and the worker may run those first.
        if list(store_tmp.glob("work-*/utf8.txt")):
            mid_ingest = True
            break
        time.sleep(0.005)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert mid_ingest and worker.returncode == -signal.SIGKILL, worker.stderr.read()[-2000:]

    after_kill = _run(CHECK, env, uid)
    assert after_kill["state"] == "ingesting" and after_kill["attempts"] == 1
    assert after_kill["versions"] == [[1, "published", True, 3]]  # no half version
    assert after_kill["served_total"] == 3
    assert after_kill["tasks"] == [["RUNNING", ""]]

    # The next worker finds the dead one's task at start-up, retries it and runs it to the end.
    again = subprocess.run(
        [sys.executable, "-m", "kaifang.cli", "worker", "--no-migrate", "--batch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    done = _run(CHECK, env, uid)
    if max_attempts == 1:
        assert done["state"] == "failed" and done["report"]["code"] == "worker_lost"
        assert "意外终止（已尝试 1 次）" in done["report"]["message"]
        assert done["versions"] == [[1, "published", True, 3]] and done["served_total"] == 3
        assert done["tasks"] == [["FAILED", "WorkerLost"]]
        assert not (home / "uploads" / f"{uid}.part").exists()
        return
    assert done["state"] == "ingested" and done["attempts"] == 2 and done["phase"] == "done"
    assert done["versions"] == [[1, "published", True, 3], [2, "validated", False, n]]
    assert done["served_total"] == 3  # the new version waits for review
    assert done["tasks"] == [["FAILED", "WorkerLost"], ["SUCCESSFUL", ""]]
    assert not (home / "uploads" / f"{uid}.part").exists()


def test_serve_runs_a_worker_beside_gunicorn_and_stops_it(tmp_path):
    import socket

    home = tmp_path / "served"
    home.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**_env(home), "KAIFANG_WORKERS": "1"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "kaifang.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[str] = []
        while time.monotonic() < deadline and not workers:
            workers = (
                [p.name for p in (home / "workers").glob("*.lock")] if (home / "workers").is_dir() else []
            )
            time.sleep(0.2)
        assert workers, "no worker started"
        pid = int((home / "workers" / workers[0]).read_text())
        assert Path(f"/proc/{pid}").exists() and b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        # Each connection serves one request (decision 0008): waiting ones queue for whichever worker is free.
        import http.client

        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/api/v1/stats")
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Connection") == "close"
        conn.close()
        serve.terminate()
        serve.wait(timeout=60)
        for _ in range(100):
            if not _running(pid):
                break
            time.sleep(0.1)
        assert not _running(pid)
        assert not list((home / "workers").glob("*.lock"))  # a clean stop leaves no lock behind
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def _workers_of(parent: int) -> list[int]:
    """Live `kaifang worker` processes whose parent is `parent`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_bytes().rsplit(b") ", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == parent and fields[0] != b"Z" and b"\0worker\0" in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_serve_restarts_a_killed_worker_with_growing_pauses_and_stops_cleanly(tmp_path):
    """A worker killed under serve comes back by itself (issue 12 item 8), each restart logged, the pause
    doubling while it keeps dying; stopping serve stops the worker and the supervision."""
    import socket

    home = tmp_path / "served"
    home.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**_env(home), "KAIFANG_WORKERS": "1", "KAIFANG_WORKER_RESTART_SECONDS": "0.5"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "kaifang.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def next_worker(old: int | None, seconds: float = 120) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [pid for pid in _workers_of(serve.pid) if pid != old]
            if found:
                return found[0]
            assert serve.poll() is None, log.read_text()[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"no worker (re)started: {log.read_text()[-3000:]}")

    try:
        first = next_worker(None)
        os.kill(first, signal.SIGKILL)
        second = next_worker(first, seconds=30)
        os.kill(second, signal.SIGKILL)
        third = next_worker(second, seconds=30)
        for _ in range(50):  # the line is written just after the process starts
            text = log.read_text()
            if text.count("background worker restarted") == 2:
                break
            time.sleep(0.1)
        assert f"pid {first} exited; restart in 0.5 s" in text
        assert f"pid {second} exited; restart in 1.0 s" in text  # it died again at once: a longer pause
        assert text.count("background worker restarted") == 2
        serve.terminate()
        serve.wait(timeout=60)
        for _ in range(100):
            if not _running(third):
                break
            time.sleep(0.1)
        assert not _running(third)
        assert f"background worker pid {third} exited" not in log.read_text()  # a stop is no crash
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    return stat.rsplit(b") ", 1)[1][:1] != b"Z"  # a zombie has exited


def test_the_worker_removes_expired_sessions(db):
    import datetime

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from kaifang.tabular.tasks import clear_expired_sessions

    live = SessionStore()
    live["x"] = 1
    live.create()
    old = SessionStore()
    old["x"] = 2
    old.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    clear_expired_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
