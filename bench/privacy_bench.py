"""Privacy gate benchmark (issue 4, Performance).

    .venv/bin/python bench/privacy_bench.py [--rows 2000000] [--rounds 2] [--record]

In one run, on the data issue's benchmark file (bench/tabular_bench.py's generator: 12 columns of company
names, legal representatives' names, addresses, dates, amounts, business scopes, coordinates, credit codes
and mobile numbers; 2 M rows ≈ 500 MB of CSV):

1. The CSV is ingested once into the store's Parquet form (`tabular.ingest.run_ingest`: typed, `_id`,
   zstd, 16,384-row groups), the file every measurement reads.
2. Baseline: a plain read + rewrite of that Parquet with no masking — DuckDB `COPY (SELECT * …)` through
   `TableEngine.export_parquet`, the same writer the gate's open version uses.
3. The gate as publication runs it (`privacy.gate.prepare_open_version`): write the open version with a
   publication profile (the representative's name masked to the surname, the mobile masked 3+4, both
   coordinates snapped to a 1 km grid) and scan every row of every column of it. Since issue 12 each
   batch is scanned on its way into the file (nothing is read back).
4. For comparison, the earlier two-pass mechanism: the engine's COPY writes the open version, then the
   gate reads that file back and scans it (`write_open_version` + `check_publishable(…,
   already_applied=True)`), reported with its two parts (write, scan). `--no-two-pass` leaves it out.
5. Sealing the raw object into the encrypted raw zone (AES-256-GCM, `privacy.rawzone`).

Rounds alternate baseline, gate and two-pass so that load from other processes on the (shared) machine
falls on all of them. Throughput is the raw Parquet's size divided by the time; the ratio gate/baseline is
the figure the issue's target (≤ 2×) is about. CPU seconds (this process, every thread) are reported next
to the wall time: on a loaded machine they show what each side costs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.tabular_bench import FIELDS, generate  # noqa: E402

PROFILE = {
    "fields": {
        "法定代表人": {"action": "mask", "kind": "name"},
        "联系电话": {"action": "mask", "kind": "mobile"},
        "经度": {"action": "coordinate_grid", "axis": "lng", "metres": 1000},
        "纬度": {"action": "coordinate_grid", "axis": "lat", "metres": 1000},
    }
}


def setup_django(home: Path) -> None:
    os.environ["KAIFANG_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaifang.config.settings")
    import django

    django.setup()


def ingest(csv: Path) -> tuple[Path, float]:
    from kaifang.tabular.ingest import FieldSpec, run_ingest
    from kaifang.tabular.store import get_store

    t = time.perf_counter()
    result = run_ingest(csv, csv.name, [FieldSpec(**f) for f in FIELDS], store=get_store())
    return result.parquet, time.perf_counter() - t


def plain_rewrite(raw: Path, dest: Path) -> dict[str, float]:
    from kaifang.tabular.engine import TableEngine

    t, c = time.perf_counter(), time.process_time()
    TableEngine(time_limit=3600).export_parquet("SELECT * FROM t", [], tables={"t": raw}, dest=dest)
    return {"total_s": time.perf_counter() - t, "cpu_s": time.process_time() - c}


def _profile() -> tuple[object, bytes]:
    from kaifang.privacy.masking import PublicationProfile, dataset_key, profile_select_sql

    profile = PublicationProfile.from_json(PROFILE)
    key = dataset_key(1)
    profile_select_sql(profile, ["_id", *[f["name"] for f in FIELDS]], key=key)  # every rule has a SQL form
    return profile, key


def gate(raw: Path, dest: Path) -> dict[str, object]:
    from kaifang.privacy.gate import prepare_open_version

    profile, key = _profile()
    t, c = time.perf_counter(), time.process_time()
    decision = prepare_open_version(raw, dest, profile, key=key)  # type: ignore[arg-type]
    return {
        "total_s": time.perf_counter() - t,
        "cpu_s": time.process_time() - c,
        "allowed": decision.allowed,
        "findings": decision.stats.get("findings"),
        "mb": dest.stat().st_size / 1e6,
    }


def two_pass(raw: Path, dest: Path) -> dict[str, object]:
    from kaifang.privacy.gate import check_publishable, write_open_version

    profile, key = _profile()
    t, c = time.perf_counter(), time.process_time()
    write_open_version(raw, dest, profile, key=key)  # type: ignore[arg-type]
    written = time.perf_counter()
    decision = check_publishable(dest, profile, key=key, already_applied=True)  # type: ignore[arg-type]
    done = time.perf_counter()
    return {
        "write_s": written - t,
        "scan_s": done - written,
        "total_s": done - t,
        "cpu_s": time.process_time() - c,
        "allowed": decision.allowed,
        "findings": decision.stats.get("findings"),
        "mb": dest.stat().st_size / 1e6,
    }


def seal(raw: Path, dest: Path) -> float:
    from kaifang.privacy.rawzone import encrypt_file

    t = time.perf_counter()
    encrypt_file(raw, dest)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--record", action="store_true", help="print the Markdown table for docs/performance.md")
    ap.add_argument(
        "--no-two-pass", action="store_true", help="leave out the earlier write-then-scan mechanism"
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kf-privacy-bench-"))
    try:
        setup_django(work / "home")
        csv = work / "企业.csv"
        t = time.perf_counter()
        generate(csv, args.rows)
        print(
            f"generated {args.rows} rows ({csv.stat().st_size / 1e6:.0f} MB CSV) in {time.perf_counter() - t:.1f}s"
        )
        raw, ingest_s = ingest(csv)
        csv.unlink()
        mb = raw.stat().st_size / 1e6
        print(f"ingested once in {ingest_s:.1f}s: {mb:.1f} MB Parquet")
        plain: list[dict[str, float]] = []
        gates: list[dict[str, object]] = []
        twos: list[dict[str, object]] = []
        for r in range(args.rounds):
            out = work / f"plain-{r}.parquet"
            plain.append(plain_rewrite(raw, out))
            plain_mb = out.stat().st_size / 1e6
            out.unlink()
            p = plain[-1]
            print(
                f"round {r + 1}: plain rewrite {p['total_s']:.2f}s (cpu {p['cpu_s']:.2f}s, {plain_mb:.1f} MB)"
            )
            out = work / f"open-{r}.parquet"
            gates.append(gate(raw, out))
            out.unlink()
            g = gates[-1]
            print(
                f"round {r + 1}: gate {g['total_s']:.2f}s (cpu {g['cpu_s']:.2f}s, {g['mb']:.1f} MB), "
                f"allowed={g['allowed']} findings={g['findings']}"
            )
            if not args.no_two_pass:
                out = work / f"two-{r}.parquet"
                twos.append(two_pass(raw, out))
                out.unlink()
                w = twos[-1]
                print(
                    f"round {r + 1}: two-pass {w['total_s']:.2f}s = write {w['write_s']:.2f}s + scan "
                    f"{w['scan_s']:.2f}s (cpu {w['cpu_s']:.2f}s), allowed={w['allowed']}"
                )
        seal_s = seal(raw, work / "raw.kfraw")

        def med(rows: list[dict[str, object]], key: str = "total_s") -> float:
            return statistics.median(float(x[key]) for x in rows)  # type: ignore[arg-type]

        plain_s, gate_s = med(plain), med(gates)
        results = {
            "rows": args.rows,
            "parquet_mb": round(mb, 1),
            "ingest_s": round(ingest_s, 1),
            "plain": plain,
            "gate": gates,
            "two_pass": twos,
            "plain_median_s": round(plain_s, 2),
            "gate_median_s": round(gate_s, 2),
            "ratio": round(gate_s / plain_s, 2),
            "cpu_ratio": round(med(gates, "cpu_s") / med(plain, "cpu_s"), 2),
            "two_pass_median_s": round(med(twos), 2) if twos else None,
            "two_pass_ratio": round(med(twos) / plain_s, 2) if twos else None,
            "seal_s": round(seal_s, 2),
            "seal_mb_s": round(mb / seal_s, 1),
            "cpus": os.cpu_count(),
            "loadavg": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(results, ensure_ascii=False, indent=1, default=lambda v: round(v, 2)))
        if args.record:
            two = f"{results['two_pass_median_s']} s ({results['two_pass_ratio']}×)" if twos else "—"
            print(
                "\n| rows | Parquet MB | plain rewrite | gate (fused) | ratio | CPU ratio | two-pass (before) "
                "| seal |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
                f"| {args.rows:,} | {mb:.0f} | {plain_s:.2f} s | {gate_s:.2f} s | {results['ratio']}× | "
                f"{results['cpu_ratio']}× | {two} | {seal_s:.1f} s |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
