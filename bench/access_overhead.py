"""What key authentication, rate limiting and call logging cost the data API (issue: conditional access).

    .venv/bin/python bench/access_overhead.py [--seconds 10] [--connections 16] [--record]

Builds the demo city (once, in var/bench), picks a published table, makes an API key with limits high
enough never to trigger, and in one run drives the same data query against two servers, side by side, with wrk in alternating
rounds (the median round of each is reported):
(a) everything on, the key in the Authorization header; (b) rate limiting and call logging off, no key.
Target: (a) loses at most 10% of (b)'s throughput. Records the result in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_load import KAIFANG, LUA, ROOT, ensure_wrk, free_port, run_wrk, wait_until_up  # noqa: E402


def manage(env: dict[str, str], code: str) -> str:
    out = subprocess.run(
        [str(KAIFANG), "manage", "shell", "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]  # shell may first announce its automatic imports


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median throughput (its latencies come with it, not a mix of rounds)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return {**ordered[len(ordered) // 2], "rounds": len(runs)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--home", default=str(ROOT / "var" / "bench"))
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per configuration")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    wrk = ensure_wrk()
    # The servers under test run no background worker: queued work (publication's downloads) would share
    # the cores with the load; the queue is drained before the load instead.
    env = {**os.environ, "KAIFANG_HOME": args.home, "KAIFANG_RUN_WORKER": "0"}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(KAIFANG), "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(KAIFANG), "worker", "--batch"], env=env, check=True, stdout=subprocess.DEVNULL)
    slug = manage(
        env,
        (
            "from kaifang.tabular.models import TableVersion as T; from kaifang.catalog.codes import slug_for_code as s;"
            "v=T.objects.filter(is_current=True, dataset__open_attribute='unconditional').order_by('-row_count').first();"
            "print(s(v.dataset.code))"
        ),
    )
    key = manage(
        env,
        (
            "from kaifang.accounts.models import User, ApiKey; from kaifang.accounts.services import api_key_create;"
            "u=User.objects.get(username='citizen'); k,sec=api_key_create(actor=u, owner=u, name='bench');"
            "ApiKey.objects.filter(pk=k.pk).update(rate_limit_per_minute=10**8, daily_quota=10**9); print(sec)"
        ),
    )
    path = f"/api/v1/datasets/{slug}/data?limit=100"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA + f'\nwrk.headers["Authorization"] = "Bearer {key}"\n')
        with_key = f.name
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA)
        without_key = f.name
    configs = (
        (
            "off: no key, no rate limit, no call log",
            {"KAIFANG_RATELIMIT_ENABLED": "0", "KAIFANG_CALLLOG_ENABLED": "0"},
            without_key,
        ),
        ("on: key, rate limit, call log", {}, with_key),
    )
    # Both servers run side by side and the load alternates between them, round after round: a machine
    # whose background load drifts (2 shared cores) then weighs on both configurations alike.
    servers = []
    try:
        for name, extra_env, script in configs:
            port = free_port()
            proc = subprocess.Popen(
                [str(KAIFANG), "serve", "--port", str(port), "--workers", str(args.workers)],
                env={**env, **extra_env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append((name, f"http://127.0.0.1:{port}", script, proc))
        for _name, base, _script, _proc in servers:
            wait_until_up(base + "/api/v1/stats")
            for _ in range(40):
                req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"})
                urllib.request.urlopen(req).read()  # noqa: S310 - loopback only
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in configs}
        for i in range(args.rounds):
            for name, base, script, _proc in servers if i % 2 == 0 else servers[::-1]:
                r = run_wrk(wrk, base + path, args.seconds, args.connections, script)
                rounds[name].append(r)
                print(
                    f"round {i + 1} {name:<42} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                    f"p95 {r['p95_ms']:6.1f} ms  errors {r['errors']}"
                )
    finally:
        for *_rest, proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
    results = {name: median_run(runs) for name, runs in rounds.items()}
    for name, r in results.items():
        print(
            f"median {name:<42} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms"
        )
    off, on = results.values()
    overhead = 1 - on["rps"] / off["rps"]
    logged = manage(
        env,
        "from kaifang.access.models import CallLog; print(CallLog.objects.filter(key_prefix__gt='').count())",
    )
    print(f"throughput cost: {overhead:.1%} (goal ≤ 10%); call-log rows with a key: {logged}")
    if args.record:
        lines = [
            f"\n### Data API with key, rate limit and call log, {time.strftime('%Y-%m-%d %H:%M')} "
            f"({args.connections} connections, {args.seconds} s per round, {args.rounds} alternating rounds, median "
            f"round shown, {args.workers} workers per server, SQLite, `{path}`)\n",
            "| configuration | req/s | p50 ms | p95 ms | errors |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, r in results.items():
            lines.append(
                f"| {name} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['errors']} |"
            )
        lines.append(
            f"\nThroughput cost of the three: **{overhead:.1%}** (goal ≤ 10%). "
            f"Call-log rows written with a key after the run: {logged}."
        )
        with (ROOT / "docs" / "performance.md").open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    json.dumps(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
