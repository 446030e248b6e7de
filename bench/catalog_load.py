"""Catalog pages and API under a bounded load on loopback (issue: foundation, Performance).

    .venv/bin/python bench/catalog_load.py [--seconds 10] [--connections 16]

Builds the demo city in its own KAIFANG_HOME (once), starts `kaifang serve` on a free loopback port,
drives each target with wrk (16 connections, fixed duration, then it stops), and prints requests/s
with p50/p95. The baseline, measured in the same run against the same server, is a static file
served by the same process: the floor of the stack, so the ratio is what our pages cost above it.
Results are appended to docs/performance.md by --record.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KAIFANG = ROOT / ".venv" / "bin" / "kaifang"
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %d %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""

# A wrk script that asks for a path drawn from a list on every request (seeded per wrk thread, so a run can
# be repeated): a load that repeats one URL measures a cache. The list is a file of paths, one a line.
LIST_LUA = """
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end
init = function(args)
  math.randomseed(SEED + thread_no)
  paths = {}
  for line in io.lines([[PATHS]]) do paths[#paths + 1] = line end
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def url_list_script(paths: list[str], seed: int) -> str:
    """A wrk script (file name) drawing each request's path at random from `paths` (ASCII, percent-encoded)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths) + "\n")
        listing = f.name
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LIST_LUA.replace("SEED", str(int(seed))).replace("PATHS", listing) + LUA)
        return f.name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "wrk"


def wait_until_up(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - loopback only
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server did not come up at {url}")


def run_wrk(
    wrk: str, url: str, seconds: int, connections: int, script: str, timeout: str = "10s"
) -> dict[str, float]:
    out = subprocess.run(
        [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", timeout, "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    rps, p50, p95, n, errors = line.split()[1:]
    return {
        "rps": float(rps),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "requests": int(n),
        "errors": int(errors),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--home", default=str(ROOT / "var" / "bench"))
    ap.add_argument("--record", action="store_true", help="append the results to docs/performance.md")
    args = ap.parse_args()
    wrk = ensure_wrk()
    # The servers under test run no background worker: queued work (publication's downloads) would share
    # the cores with the load; the queue is drained before the load instead.
    env = {**os.environ, "KAIFANG_HOME": args.home, "KAIFANG_RUN_WORKER": "0"}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(KAIFANG), "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(KAIFANG), "worker", "--batch"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(KAIFANG), "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(base + "/api/v1/stats")
        some = json.loads(urllib.request.urlopen(base + "/api/v1/datasets?page_size=1").read())["results"][0]  # noqa: S310
        targets = {
            "baseline: static file": "/static/kaifang/site.css",
            "home page": "/",
            "catalog, two facets": "/datasets/?domain=transport&region=421202",
            "dataset page": some["url"],
            "API datasets?q=": "/api/v1/datasets?q=%E5%85%AC%E4%BA%A4",
        }
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA)
            script = f.name
        results = {}
        for name, path in targets.items():
            for _ in range(40):  # warm every worker's caches, not just the first one to answer
                urllib.request.urlopen(base + path).read()  # noqa: S310 - loopback only
            results[name] = run_wrk(wrk, base + path, args.seconds, args.connections, script)
            r = results[name]
            print(
                f"{name:<24} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  errors {r['errors']}"
            )
        floor = results["baseline: static file"]["p95_ms"]
        if args.record:
            record(results, floor, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


def record(results: dict[str, dict[str, float]], floor: float, args: argparse.Namespace) -> None:
    doc = ROOT / "docs" / "performance.md"
    targets = {"home page": 100, "catalog, two facets": 100, "dataset page": 100, "API datasets?q=": 50}
    lines = [
        f"\n### Catalog load, {time.strftime('%Y-%m-%d %H:%M')} ({args.connections} connections, {args.seconds} s each, "
        f"{args.workers} gunicorn workers x 2 threads, SQLite, demo city, {os.cpu_count()} cores)\n",
        "| target | req/s | p50 ms | p95 ms | p95 / baseline p95 | goal p95 | met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        goal = targets.get(name)
        met = "" if goal is None else ("yes" if r["p95_ms"] <= goal else "**no**")
        lines.append(
            f"| {name} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p95_ms'] / floor:.1f}x | "
            f"{goal or '-'} | {met} |"
        )
    with doc.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
