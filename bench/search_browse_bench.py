"""End-to-end catalog search at scale: `GET /api/v1/datasets?q=` (index + visibility filter + facet counts)
over N catalog rows in a fresh SQLite instance, against the same request without `q` and the old
substring `_search` (LIKE) measured in the same run.

    .venv/bin/python bench/search_browse_bench.py [--n 100000]

The browse cache is cleared before every request, so each one pays its full cost.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
# --reuse HOME measures an instance populated by an earlier run (populating 100k rows takes minutes).
_reuse = sys.argv[sys.argv.index("--reuse") + 1] if "--reuse" in sys.argv else ""
os.environ["KAIFANG_HOME"] = _reuse or tempfile.mkdtemp(prefix="kf-search-browse-")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaifang.config.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import IntegerField, Q, Value  # noqa: E402
from django.test import Client  # noqa: E402

from bench.search_bench import generate, pct, query_mix  # noqa: E402


def populate(n: int) -> None:
    from kaifang.catalog.models import Concept, Dataset
    from kaifang.catalog.vocabularies import load_vocabularies
    from kaifang.tenancy.models import Department, Region

    load_vocabularies()
    city = Region.objects.create(code="421200", name="咸宁市", level="city", catalog_code="421200")
    regions = [city] + [
        Region.objects.create(code=c, name=name, level="county", parent=city, catalog_code=c, order=i)
        for i, (c, name) in enumerate(
            [("421202", "咸安区"), ("421221", "嘉鱼县"), ("421222", "通城县"), ("421223", "崇阳县")], start=1
        )
    ]
    depts = [
        Department.objects.create(
            name=f"咸宁市第{i}局",
            short_name=f"第{i}局",
            uscc=f"11421200MB{i:07d}X",
            region=regions[i % 5],
            seq=f"{i:03d}",
        )
        for i in range(1, 31)
    ]
    domains = list(Concept.objects.filter(scheme="domain"))
    rows = []
    for i, doc in enumerate(generate(n)):
        rows.append(
            Dataset(
                code=f"BENCH{i + 1:08d}",
                title=doc.title[:128],
                abstract=doc.abstract,
                department=depts[i % len(depts)],
                region=depts[i % len(depts)].region,
                classification_code="X",
                domain=domains[i % len(domains)],
                tags=doc.tags,
                format_category="spreadsheet",
                format_type="xlsx",
                share_type="unconditional",
                share_mode="platform_api",
                open_attribute="unconditional",
                update_frequency="monthly",
                state="published",
                publish_date=doc.publish_date or datetime.date(2026, 1, 1),
            )
        )
    Dataset.objects.bulk_create(rows, batch_size=5000)


def old_like_search(qs, q):
    for term in q.split()[:8]:
        qs = qs.filter(
            Q(title__icontains=term) | Q(abstract__icontains=term) | Q(tags__icontains=term) | Q(code=term)
        )
    return qs.annotate(search_rank=Value(0, output_field=IntegerField()))


def timed(client: Client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        cache.clear()
        t = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--reuse", default="", help="KAIFANG_HOME of an earlier run")
    args = ap.parse_args()
    if not args.reuse:
        call_command("migrate", verbosity=0, interactive=False)
        t = time.perf_counter()
        populate(args.n)
        print(f"{args.n:,} catalog rows in {time.perf_counter() - t:.1f}s")

        from kaifang.search.permissions import COMMAND_LINE
        from kaifang.search.services import search_index_rebuild

        print("index rebuild:", search_index_rebuild(actor=COMMAND_LINE))
    from kaifang.catalog.models import Dataset

    args.n = Dataset.objects.count()
    client = Client()
    queries = query_mix()
    from urllib.parse import quote

    urls = [f"/api/v1/datasets?q={quote(q)}" for q in queries]
    timed(client, urls[:3])  # warm
    results = [("API datasets?q= (index)", timed(client, urls))]
    results.append(("API datasets (no q)", timed(client, ["/api/v1/datasets"] * 20)))
    from kaifang.catalog import selectors as csel

    csel._search = old_like_search  # the foundation's substring search, same request path
    results.append(("baseline: API datasets?q= (old LIKE)", timed(client, urls)))
    base = pct(results[-1][1], 95)
    print(
        f"\n| path ({args.n:,} datasets, SQLite, cache cleared per request) | p50 ms | p95 ms | p95 / LIKE |"
    )
    print("|---|---:|---:|---:|")
    for label, ms in results:
        print(f"| {label} | {statistics.median(ms):.1f} | {pct(ms, 95):.1f} | {pct(ms, 95) / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
