"""What key authentication, rate limiting and call logging cost the data API (issue 12 item 15).

    .venv/bin/python bench/access_overhead.py [--seconds 10] [--connections 16] [--rounds 3] [--keys 4]

Builds the demo city once in var/bench (skipped when built), and starts two servers side by side on it:
(off) rate limiting and call logging off, requests without a key; (on) everything on, each request with one
of --keys API keys of different developers (limits high enough never to refuse). Requests are drawn from a
list of varied data calls on the largest open tables (pages at many offsets, sorted pages, equality filters
on values read from the tables), shuffled with a fixed seed, the same list in the same order for both
servers. wrk drives the load, alternating between the servers round after round, so a machine whose
background load drifts weighs on both alike:

- cold: the first round on freshly started servers, with no warm-up, over a list longer than a round;
- warm: --rounds more rounds over the same list; the median round of each configuration is reported.

Target: (on) loses at most 10% of (off)'s warm throughput. --record appends the result to
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_load import KAIFANG, ROOT, ensure_wrk, free_port, run_wrk, wait_until_up  # noqa: E402

SCRIPT = """
paths = {%(paths)s}
keys = {%(keys)s}
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  n = 0
end
request = function()
  -- threads walk the same list from evenly spaced starts
  local i = ((id * 7919 + n) %% #paths) + 1
  n = n + 1
  local headers = {}
  if #keys > 0 then headers["Authorization"] = "Bearer " .. keys[(n %% #keys) + 1] end
  return wrk.format("GET", paths[i], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%f %%f %%f %%d %%d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def manage(env: dict[str, str], code: str) -> str:
    out = subprocess.run(
        [str(KAIFANG), "manage", "shell", "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]  # shell may first announce its automatic imports


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median throughput (its latencies come with it, not a mix of rounds)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return {**ordered[len(ordered) // 2], "rounds": len(runs)}


def varied_paths(base: str, slugs: list[str], per_table: int, seed: int = 12) -> list[str]:
    """Data calls on each table: pages at many offsets and sizes, sorted pages both ways, and equality
    filters on values the table holds (read from its first rows)."""
    rng = random.Random(seed)
    paths: list[str] = []
    for slug in slugs:
        root = f"/api/v1/datasets/{slug}/data"
        with urllib.request.urlopen(base + root + "?limit=500", timeout=60) as r:  # noqa: S310 - loopback
            page = json.loads(r.read())
        rows = page.get("rows") or page.get("data") or []
        total = int(page.get("total") or len(rows) or 1)
        columns = [c for c in (rows[0].keys() if rows else []) if c != "_id"]
        mine: list[str] = []
        for _ in range(per_table // 3):
            limit = rng.choice((10, 20, 50, 100))
            mine.append(f"{root}?limit={limit}&offset={rng.randrange(0, max(total - limit, 1))}")
        for _ in range(per_table // 3):
            col = rng.choice(columns)
            sign = rng.choice(("", "-"))
            mine.append(f"{root}?limit=20&sort={urllib.parse.quote(sign + col)}&offset={rng.randrange(0, min(total, 2000))}")
        values = [(c, row[c]) for row in rows for c in columns if row.get(c) not in (None, "")]
        for _ in range(per_table - len(mine)):
            col, value = rng.choice(values)
            mine.append(f"{root}?limit=20&{urllib.parse.quote(col)}__eq={urllib.parse.quote(str(value))}")
        paths += mine
    rng.shuffle(paths)
    return paths


def lua(paths: list[str], keys: list[str]) -> str:
    def quoted(items: list[str]) -> str:
        return ",".join(json.dumps(i) for i in items)

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(SCRIPT % {"paths": quoted(paths), "keys": quoted(keys)})
        return f.name


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=10, help="length of each warm round")
    ap.add_argument("--cold-seconds", type=int, default=5, help="length of the cold round")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--home", default=str(ROOT / "var" / "bench"))
    ap.add_argument("--rounds", type=int, default=3, help="warm rounds per configuration, alternating")
    ap.add_argument("--tables", type=int, default=3, help="the largest open tables to query")
    ap.add_argument("--paths", type=int, default=900, help="distinct data calls per table")
    ap.add_argument("--keys", type=int, default=4, help="API keys (of as many developers) the keyed load uses")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    wrk = ensure_wrk()
    # The servers under test run no background worker: queued work (publication's downloads) would share
    # the cores with the load; the queue is drained before the load instead.
    env = {**os.environ, "KAIFANG_HOME": args.home, "KAIFANG_RUN_WORKER": "0", "KAIFANG_FEED_SIMULATOR": "0"}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(KAIFANG), "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(KAIFANG), "worker", "--batch"], env=env, check=True, stdout=subprocess.DEVNULL)
    slugs = json.loads(
        manage(
            env,
            "import json; from kaifang.tabular.models import TableVersion as T;"
            "from kaifang.catalog.codes import slug_for_code as s;"
            "vs=T.objects.filter(is_current=True, dataset__open_attribute='unconditional', dataset__state='published')"
            f".order_by('-row_count')[:{args.tables}]; print(json.dumps([s(v.dataset.code) for v in vs]))",
        )
    )
    keys = json.loads(
        manage(
            env,
            "import json; from kaifang.accounts.models import User, ApiKey;"
            "from kaifang.accounts.services import api_key_create; out=[]\n"
            f"for i in range({args.keys}):\n"
            "    u,_c=User.objects.get_or_create(username=f'bench-dev-{i}', defaults={'kind': 'enterprise'})\n"
            "    k,sec=api_key_create(actor=u, owner=u, name='bench', scopes=['read'])\n"
            "    ApiKey.objects.filter(pk=k.pk).update(rate_limit_per_minute=10**8, daily_quota=10**9)\n"
            "    out.append(sec)\n"
            "print(json.dumps(out))",
        )
    )
    configs = (
        ("off: no key, no rate limit, no call log", {"KAIFANG_RATELIMIT_ENABLED": "0", "KAIFANG_CALLLOG_ENABLED": "0"}, []),
        ("on: key, rate limit, call log", {}, keys),
    )
    servers = []
    try:
        for name, extra_env, with_keys in configs:
            port = free_port()
            proc = subprocess.Popen(
                [str(KAIFANG), "serve", "--port", str(port), "--workers", str(args.workers)],
                env={**env, **extra_env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append([name, f"http://127.0.0.1:{port}", with_keys, proc])
        for _name, base, _keys, _proc in servers:
            wait_until_up(base + "/api/v1/stats")
        # The list is read from both servers alike, so neither starts the cold round warmer than the other.
        paths = varied_paths(servers[0][1], slugs, args.paths)
        assert varied_paths(servers[1][1], slugs, args.paths) == paths
        for server in servers:
            server[2] = lua(paths, server[2])
        cold: dict[str, dict[str, float]] = {}
        for name, base, script, _proc in servers:
            cold[name] = run_wrk(wrk, base + "/", args.cold_seconds, args.connections, script)
            report("cold", name, cold[name])
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in configs}
        for i in range(args.rounds):
            for name, base, script, _proc in servers[::-1] if i % 2 == 0 else servers:
                r = run_wrk(wrk, base + "/", args.seconds, args.connections, script)
                rounds[name].append(r)
                report(f"round {i + 1}", name, r)
    finally:
        for *_rest, proc in servers:
            proc.terminate()
            proc.wait(timeout=60)
    warm = {name: median_run(runs) for name, runs in rounds.items()}
    for name, r in warm.items():
        report("warm median", name, r)
    off_name, on_name = (name for name, *_ in configs)
    cold_cost = 1 - cold[on_name]["rps"] / cold[off_name]["rps"]
    warm_cost = 1 - warm[on_name]["rps"] / warm[off_name]["rps"]
    prefixes = [k.split("_")[1] for k in keys]
    logged = manage(
        env,
        f"from kaifang.access.models import CallLog; print(CallLog.objects.filter(key_prefix__in={prefixes!r}).count())",
    )
    sent = sum(r["requests"] for r in rounds[on_name]) + cold[on_name]["requests"]
    print(
        f"throughput cost: cold {cold_cost:.1%}, warm {warm_cost:.1%} (goal ≤ 10%); "
        f"keyed requests completed {sent}, call-log rows of this run's keys {logged}"
    )
    if args.record:
        lines = [
            f"\n### Data API with key, rate limit and call log, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
            f"({args.connections} connections, {len(paths)} varied data calls on {len(slugs)} tables, "
            f"{len(keys)} keys, cold round {args.cold_seconds} s, {args.rounds} alternating warm rounds of "
            f"{args.seconds} s (median shown), {args.workers} workers per server, SQLite, 2 shared cores)\n",
            "| configuration | cold req/s | warm req/s | warm p50 ms | warm p95 ms | errors |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name in warm:
            c, w = cold[name], warm[name]
            lines.append(
                f"| {name} | {c['rps']:.1f} | {w['rps']:.1f} | {w['p50_ms']:.1f} | {w['p95_ms']:.1f} | "
                f"{int(c['errors'] + w['errors'])} |"
            )
        lines.append(f"\nThroughput cost: cold **{cold_cost:.1%}**, warm **{warm_cost:.1%}** (goal ≤ 10%).")
        with (ROOT / "docs" / "performance.md").open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


def report(label: str, name: str, r: dict[str, float]) -> None:
    print(
        f"{label:<12} {name:<42} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
        f"p95 {r['p95_ms']:6.1f} ms  errors {r['errors']}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
