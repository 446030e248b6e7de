"""The `kaifang` command: demo, serve, catalog import, apikey, and Django's own commands."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaifang.config.settings")
    import django

    django.setup()


def _prepare(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=verbosity, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    # Index changes lost to a crash between publication and indexing are repaired at start.
    from kaifang.search.permissions import COMMAND_LINE
    from kaifang.search.services import search_index_repair

    search_index_repair(actor=COMMAND_LINE)
    from kaifang.search.backends import reset_backends
    from kaifang.search.text import warm

    warm()  # workers fork from here with the dictionary loaded
    reset_backends()  # but each opens its own index handle


def cmd_demo(args: argparse.Namespace) -> int:
    # The demo's staff accounts log in with the printed passwords alone.
    os.environ.setdefault("KAIFANG_STAFF_2FA_REQUIRED", "0")
    if not args.no_serve:
        import subprocess

        # The build runs DuckDB, Arrow and the search index, whose threads and buffers must not be inherited
        # by the server's forked workers (they crashed with SIGSEGV on shutdown): build in a child process,
        # then serve from this one, which has touched none of them (as `kaifang serve` does).
        built = subprocess.call([sys.executable, "-m", "kaifang.cli", "demo", "--no-serve"])  # noqa: S603
        if built != 0:
            return built
        _setup()
        _prepare(verbosity=0)
        from kaifang.feeds.cli import start_simulator, stop_simulator

        simulator = start_simulator()  # the demo's feeds keep moving while it is served, and stop with it
        try:
            return _serve(args.host, args.port, args.workers)
        finally:
            stop_simulator(simulator)
    _setup()
    _prepare()
    import time

    from kaifang.demo.builder import build_demo

    started = time.monotonic()
    result = build_demo(stdout=sys.stdout)
    print(
        f"示例城市已就绪 (demo city ready) in {time.monotonic() - started:.1f}s: {result.get('datasets', '?')} datasets"
    )
    print("示例账号 (demo accounts):")
    for username, password, role in result["accounts"]:
        print(f"  {username:<16} {password:<20} {role}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    _prepare()
    return _serve(args.host, args.port, args.workers)


THREADS = 2


def server_settings(host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn's settings for `kaifang serve`."""
    from django.conf import settings

    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS,
        # A worker takes no more connections than it has threads, and closes each after its response
        # (decision 0008): waiting connections stay in the kernel's one queue for whichever worker is free,
        # instead of a keep-alive connection staying with the worker that happened to accept it (seen: 7 of
        # 8 connections on one worker while the other idled).
        "worker_connections": THREADS,
        "keepalive": 0,
        "timeout": 60,
        "accesslog": None,
        # Per-instance control socket: two instances on one machine must never share state.
        "control_socket": str(Path(settings.KAIFANG_HOME) / "gunicorn.ctl"),
    }


def _serve(host: str, port: int, workers: int) -> int:
    from gunicorn.app.base import BaseApplication

    from kaifang.config.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in server_settings(host, port, workers).items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            return application

    from django.db import connections

    from kaifang.core.warmup import warm_up
    from kaifang.tabular.engine import close_all

    warm_up()
    # Nothing opened while preparing (migrations, the demo build) may be inherited by the forked workers.
    close_all()
    connections.close_all()
    # What is loaded now is shared by the workers and never freed: the collector need not walk it again in
    # each of them (and touching it would copy the shared pages).
    gc.freeze()
    supervisor = WorkerSupervisor(_start_worker())
    print(f"Kaifang serving at http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        Server().run()
    finally:
        supervisor.stop()
    return 0


class WorkerSupervisor:
    """Restarts the background worker whenever it dies while serve runs (uploads would otherwise wait in
    "ingesting" for someone to start one by hand), logged, after a pause that doubles on each crash in a row
    up to RESTART_MOST_SECONDS and starts again from the first pause once a worker has lived STABLE_SECONDS.
    A thread of serve's own process: it lives and dies with the server it serves."""

    STABLE_SECONDS = 60.0
    RESTART_MOST_SECONDS = 60.0
    POLL_SECONDS = 0.5

    def __init__(self, worker: Any) -> None:
        import threading

        self.worker = worker
        self.first = float(os.environ.get("KAIFANG_WORKER_RESTART_SECONDS", "1"))
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        if worker is not None:
            self._thread = threading.Thread(target=self._run, name="kaifang-worker-supervisor", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        import logging
        import time

        log = logging.getLogger("kaifang.serve")
        pause = self.first
        while True:
            started = time.monotonic()
            while self.worker.poll() is None:
                if self._stopping.wait(self.POLL_SECONDS):
                    return
            if time.monotonic() - started >= self.STABLE_SECONDS:
                pause = self.first
            # No exit status: gunicorn's SIGCHLD handler usually reaps the child before poll() can.
            log.error(
                "后台任务进程 %s 已退出，%.1f 秒后重启 (background worker pid %s exited; restart in %.1f s)",
                self.worker.pid, pause, self.worker.pid, pause,
            )
            if self._stopping.wait(pause):
                return
            try:
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self.worker = _start_worker()
            except Exception:  # keep supervising: the next round retries after a longer pause
                log.exception("后台任务进程无法启动 (background worker failed to start)")
                self.worker = _Exited()
            else:
                log.warning("后台任务进程已重启 (background worker restarted, pid %s)", self.worker.pid)
            pause = min(pause * 2, self.RESTART_MOST_SECONDS)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:  # no restart can begin after this
            pass
        if self._thread is not None:
            self._thread.join(timeout=30)
        _stop_worker(self.worker)


class _Exited:
    pid = None

    def poll(self) -> int:
        return 1


def _start_worker() -> Any:
    """The background task worker (ingest) runs beside gunicorn and stops with it. KAIFANG_RUN_WORKER=0
    leaves it to a separately managed `kaifang worker` (several of them, or on other machines)."""
    import subprocess

    from kaifang.tabular.tasks import durable_backend

    if os.environ.get("KAIFANG_RUN_WORKER", "1") != "1" or not durable_backend():
        return None

    def die_with_parent() -> None:
        # If this process is killed outright, the kernel sends the worker SIGTERM instead of orphaning it.
        try:
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass

    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "kaifang.cli", "worker", "--no-migrate"], preexec_fn=die_with_parent
    )


def _stop_worker(worker: Any) -> None:
    import subprocess

    if worker is None or worker.poll() is not None:
        return
    worker.terminate()  # finishes the running task first; a crash is recovered at the next start anyway
    try:
        worker.wait(timeout=float(os.environ.get("KAIFANG_WORKER_STOP_SECONDS", "10")))
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    if not args.no_migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    from kaifang.tabular.tasks import run_worker

    return run_worker(batch=args.batch, interval=args.interval)


def cmd_catalog_import(args: argparse.Namespace) -> int:
    _setup()
    from django.utils import translation

    from kaifang.accounts.models import User
    from kaifang.catalog.importing import parse_upload
    from kaifang.catalog.services import catalog_import
    from kaifang.core.errors import DomainError

    translation.activate(args.language)
    path = Path(args.file)
    if not path.is_file():
        print(f"文件不存在 (file not found): {path}", file=sys.stderr)
        return 2
    user = User.objects.filter(username=args.user).first()
    if user is None:
        print(f"用户不存在 (no such user): {args.user}", file=sys.stderr)
        return 2
    try:
        rows = parse_upload(path.name, path.read_bytes())
        created = catalog_import(actor=user, rows=rows, publish=args.publish)
    except DomainError as exc:
        print(str(exc.message), file=sys.stderr)
        for err in exc.details if isinstance(exc.details, list) else []:
            print(f"  第{err['row']}行 [{err['column']}] {err['message']}", file=sys.stderr)
        if isinstance(exc.details, dict):
            for k, v in exc.details.items():
                print(f"  [{k}] {v}", file=sys.stderr)
        return 1
    state = "已发布 (published)" if args.publish else "草稿 (drafts)"
    print(f"导入 {len(created)} 条，状态：{state}")
    for ds in created:
        print(f"  {ds.code}  {ds.title}")
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    _setup()
    from kaifang.accounts.models import User
    from kaifang.accounts.services import api_key_create

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(f"用户不存在 (no such user): {args.username}", file=sys.stderr)
        return 2
    # The command line is the operator's own channel; the key is issued on the user's behalf.
    _key, secret = api_key_create(actor=user, owner=user, name=args.name)
    print(secret)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    _setup()
    import json

    from kaifang.search.permissions import COMMAND_LINE

    if args.search_command == "evaluate":
        from kaifang.search.evaluation import evaluate, format_report

        report = evaluate(args.backend)
        print(json.dumps(report["summary"], ensure_ascii=False) if args.json else format_report(report))
        return 0
    from kaifang.search import selectors, services

    if args.search_command == "rebuild":
        result = services.search_index_rebuild(actor=COMMAND_LINE)
        print(f"索引已重建 (index rebuilt): {result['indexed']} datasets in {result['seconds']}s")
        return 0
    if args.search_command == "refresh-usage":
        result = services.search_usage_refresh(actor=COMMAND_LINE, full=args.full)
        print(f"使用统计已计入排序 (use and quality refreshed): {result['refreshed']} datasets")
        return 0
    status = selectors.index_status()
    print(
        f"后端 (backend) {status['backend']}: 待处理 pending {status['pending']}, 缺失 missing {status['missing']}, "
        f"过期 stale {status['stale']}, 多余 extra {status['extra']}"
    )
    drift = status["pending"] + status["missing"] + status["stale"] + status["extra"]
    if drift and not args.no_repair:
        result = services.search_index_repair(actor=COMMAND_LINE)
        print(f"已修复 (repaired): {json.dumps(result, ensure_ascii=False)}")
        return 0
    return 1 if drift else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    _setup()
    from kaifang.tabular.cli import run_ingest_command

    return run_ingest_command(args)


def cmd_manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kaifang manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kaifang", description="Kaifang 开放 — public data open platform")
    sub = p.add_subparsers(dest="command", required=True)

    def server_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=8000)
        sp.add_argument("--workers", type=int, default=int(os.environ.get("KAIFANG_WORKERS", "4")))

    demo = sub.add_parser("demo", help="build the demo city, then serve it")
    demo.add_argument("--no-serve", action="store_true", help="build and exit")
    server_args(demo)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the production server (gunicorn)")
    server_args(serve)
    serve.set_defaults(func=cmd_serve)

    catalog = sub.add_parser("catalog", help="catalog tools")
    csub = catalog.add_subparsers(dest="catalog_command", required=True)
    imp = csub.add_parser("import", help="import catalog entries from JSON, CSV or XLSX (all or nothing)")
    imp.add_argument("file")
    imp.add_argument("--user", default="operator", help="the account the import acts as")
    imp.add_argument("--publish", action="store_true", help="publish at once (reviewers only)")
    imp.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
    imp.set_defaults(func=cmd_catalog_import)

    apikey = sub.add_parser("apikey", help="API keys")
    asub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = asub.add_parser("create", help="create an API key for a user and print it once")
    create.add_argument("username")
    create.add_argument("--name", default="cli")
    create.set_defaults(func=cmd_apikey_create)

    search = sub.add_parser("search", help="search index tools")
    ssub = search.add_subparsers(dest="search_command", required=True)
    check = ssub.add_parser("check", help="report drift between the catalog and the index, and repair it")
    check.add_argument("--no-repair", action="store_true", help="only report (exit 1 on drift)")
    check.set_defaults(func=cmd_search)
    rebuild = ssub.add_parser("rebuild", help="rebuild the index beside the live one, then switch")
    rebuild.set_defaults(func=cmd_search)
    usage = ssub.add_parser("refresh-usage", help="fold data calls, downloads and quality into ranking")
    usage.add_argument("--full", action="store_true", help="all datasets, not only those called since")
    usage.set_defaults(func=cmd_search)
    evaluate = ssub.add_parser("evaluate", help="nDCG@10 and recall@10 on the judged query set")
    evaluate.add_argument("--backend", default="embedded", choices=["embedded", "postgres"])
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=cmd_search)

    ingest = sub.add_parser("ingest", help="ingest a data file as a new version of a dataset's table")
    ingest.add_argument("dataset_code", metavar="DATASET_CODE")
    ingest.add_argument("file", metavar="FILE")
    ingest.add_argument("--encoding", help="utf-8, utf-8-sig, gbk or gb18030 (detected if omitted)")
    ingest.add_argument("--quarantine", action="store_true", help="keep good rows and set bad ones aside")
    ingest.add_argument("--user", default="officer", help="the department officer the upload acts as")
    ingest.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
    ingest.set_defaults(func=cmd_ingest)

    worker = sub.add_parser("worker", help="run background tasks (ingest); started by serve and demo too")
    worker.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    worker.add_argument("--interval", type=float, default=0.5, help="seconds between polls of an empty queue")
    worker.add_argument("--no-migrate", action="store_true", help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)

    from kaifang.privacy.cli import add_parser as add_privacy_parser

    add_privacy_parser(sub, _setup)

    from kaifang.feeds.cli import add_parser as add_feeds_parser

    add_feeds_parser(sub, _setup)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
