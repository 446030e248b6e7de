"""What the first rendering of each workbench kind costs, in one process and one client: the part of the cold
round of bench/workbench_bench.py that is the platform's own work, without the queueing of 16 clients on two
cores (issue 13, Performance).

    .venv/bin/python bench/workbench_render.py [--requests 200] [--runs 2] [--home var/bench-workbench]

Uses the database bench/workbench_bench.py built (run it first). For each kind of page, the fragment cache is
emptied and the kind's first --requests requests of the same varied lists (users, filters, pages) are made
through Django's test client and its whole middleware stack, as the cold round does; the mean and p50 time
per request are printed, the lowest of --runs runs per kind.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workbench_bench import ROOT, _django, plan  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--per-kind", type=int, default=1500)
    ap.add_argument("--home", default=str(ROOT / "var" / "bench-workbench"))
    args = ap.parse_args()
    os.environ.pop("DATABASE_URL", None)
    _django(args.home)
    from django.test import Client

    from kaifang.core import fragments

    client = Client()
    print("| kind | mean ms | p50 ms |\n|---|---:|---:|")
    for name, rows in plan(args.seed, args.per_kind).items():
        if name == "static file":
            continue
        best: tuple[float, float] | None = None
        for _run in range(args.runs):
            fragments._FRAGMENTS.clear()
            times = []
            for path, cookie in rows[: args.requests]:
                client.cookies.clear()
                if cookie:
                    key, value = cookie.split("=", 1)
                    client.cookies[key] = value
                started = time.perf_counter()
                status = client.get(path).status_code
                times.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise SystemExit(f"{path}: {status}")
            times.sort()
            result = (sum(times) / len(times), times[len(times) // 2])
            best = result if best is None or result[0] < best[0] else best
        assert best is not None
        print(f"| {name} | {best[0]:.1f} | {best[1]:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
