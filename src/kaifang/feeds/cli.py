"""`kaifang feeds simulate`: the demo's feed simulator, and how `kaifang demo` runs it beside the server."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any


def add_parser(sub: Any, setup: Callable[[], None]) -> None:
    feeds = sub.add_parser("feeds", help="real-time feeds")
    fsub = feeds.add_subparsers(dest="feeds_command", required=True)
    sim = fsub.add_parser(
        "simulate", help="keep the demo city's feeds moving (hospital beds, bus arrivals, parking spaces and every other real-time item)"
    )
    sim.add_argument("--interval", type=float, default=3.0, help="seconds between rounds (default 3)")
    sim.add_argument("--ticks", type=int, default=0, help="stop after this many rounds (0: until stopped)")
    sim.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    sim.add_argument("--quiet", action="store_true")

    def run(args: argparse.Namespace) -> int:
        setup()
        return simulate(
            interval=args.interval, ticks=args.ticks, parent_pid=args.parent_pid, quiet=args.quiet
        )

    sim.set_defaults(func=run)


def simulate(
    *,
    interval: float = 3.0,
    ticks: int = 0,
    parent_pid: int = 0,
    quiet: bool = False,
    stop: threading.Event | None = None,
) -> int:
    """Push a round of changes to every demo feed every `interval` seconds until SIGTERM/SIGINT, `ticks`
    rounds, or the parent process (the demo server) is gone."""
    from kaifang.feeds.simulator import Simulator

    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        return _loop(Simulator.for_demo(), stop, interval, ticks, parent_pid, quiet)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _loop(sim: Any, stop: threading.Event, interval: float, ticks: int, parent_pid: int, quiet: bool) -> int:
    from django.db import close_old_connections, connection

    if not sim.feeds:
        print("没有可模拟的实时数据流 (no demo feeds: run `kaifang demo` first)", file=sys.stderr)
        return 1
    if not quiet:
        names = "、".join(s.dataset.title for s in sim.feeds)
        print(f"实时数据模拟器 (feed simulator): {names}; every {interval:g}s", flush=True)
    done = 0
    while not stop.is_set():
        try:
            sim.tick()
        except Exception as exc:  # a busy database must not end the demo's feeds; try again next round
            print(f"feed simulator: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        finally:
            if not connection.in_atomic_block:  # a long-running process drops a broken or aged connection
                close_old_connections()
        done += 1
        if ticks and done >= ticks:
            break
        if parent_pid and os.getppid() != parent_pid:
            break  # the server that started us is gone
        stop.wait(interval)
    return 0


def start_simulator() -> subprocess.Popen[bytes] | None:
    """Run the simulator beside the demo server. KAIFANG_FEED_SIMULATOR=0 leaves it off."""
    if os.environ.get("KAIFANG_FEED_SIMULATOR", "1") != "1":
        return None
    interval = os.environ.get("KAIFANG_FEED_INTERVAL", "3")
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "kaifang.cli",
            "feeds",
            "simulate",
            "--interval",
            interval,
            "--parent-pid",
            str(os.getpid()),
        ]
    )


def stop_simulator(proc: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()  # ends after the round in progress
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
