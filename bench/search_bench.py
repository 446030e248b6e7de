"""Search benchmark: 100,000 generated catalog entries, the embedded (tantivy) backend against a plain
SQL LIKE scan over the same rows (SQLite, in memory), measured in the same run.

    .venv/bin/python bench/search_bench.py [--n 100000] [--postgres] [--record]

Reports index build time (segmentation + pinyin + indexing), then p50/p95 per query over a mixed query
set (short, long, place names, synonyms, pinyin, typos) for: the index asked for its top 1000 (what the
catalog browse uses), the index asked for the top 10, and the LIKE scan. --postgres adds the PostgreSQL
backend (needs DATABASE_URL, writes into that database's search table inside a rolled-back transaction).
--record appends the table to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaifang.config.settings")
os.environ.setdefault("KAIFANG_HOME", tempfile.mkdtemp(prefix="kf-search-bench-"))

import django  # noqa: E402

django.setup()

from kaifang.search import text as T  # noqa: E402
from kaifang.search.backends.embedded import EmbeddedBackend  # noqa: E402
from kaifang.search.documents import SearchDoc  # noqa: E402
from kaifang.search.evaluation import _CORPUS, QUERIES, D  # noqa: E402

PLACES = ["咸宁市", "咸安区", "嘉鱼县", "通城县", "崇阳县", "通山县", "赤壁市", "咸宁高新区"]
TOWNS = [
    "温泉街道",
    "浮山街道",
    "官埠桥镇",
    "汀泗桥镇",
    "横沟桥镇",
    "贺胜桥镇",
    "桂花镇",
    "马桥镇",
    "向阳湖镇",
    "鱼岳镇",
    "隽水镇",
    "天城镇",
]
YEARS = [str(y) + "年" for y in range(2015, 2027)]
SUFFIX = ["信息", "名录", "统计", "目录", "清单", "公示", "台账", "年报", "月报", "数据"]
EXTRA = [
    "道路桥梁养护记录",
    "河道巡查记录",
    "农机购置补贴",
    "高标准农田建设",
    "学生资助发放",
    "特困人员供养",
    "残疾人两项补贴",
    "退役军人优抚",
    "文物保护单位",
    "非物质文化遗产",
    "体育场馆开放",
    "全民健身设施",
    "企业用电量",
    "工业用水量",
    "政府采购公告",
    "招标投标结果",
    "专利授权",
    "高新技术企业认定",
    "森林防火责任区",
    "林长制责任",
    "地质灾害隐患点",
    "防汛物资储备",
    "供水水质公示",
    "燃气经营许可",
]


def generate(n: int, seed: int = 2026) -> list[SearchDoc]:
    rng = random.Random(seed)
    subjects = [(t, a, tags, fields, dept, dom) for _k, t, a, tags, fields, dept, _r, dom in _CORPUS]
    depts = list(D.values())
    docs = []
    base = datetime.date(2026, 11, 1)
    for i in range(n):
        if rng.random() < 0.7:
            title, abstract, tags, fields, dept, domain = rng.choice(subjects)
            dept = D[dept]
        else:
            title = rng.choice(EXTRA) + rng.choice(SUFFIX)
            abstract = f"{title}，按{rng.choice(['月', '季度', '年'])}更新，含名称、地址、负责单位。"
            tags, fields, dept, domain = [title[:2]], ["名称", "地址", "负责单位"], rng.choice(depts), "其他"
        place = rng.choice(PLACES)
        if rng.random() < 0.4:
            place_title = place + rng.choice(TOWNS)
        else:
            place_title = place
        title = f"{place_title}{rng.choice(YEARS)}{title}"
        docs.append(
            SearchDoc(
                id=i + 1,
                version=1,
                code=f"421200-BENCH-{i + 1:06d}",
                title=title,
                abstract=f"{place}{abstract}本数据由{dept.split()[0]}提供，共{rng.randint(10, 99999)}条记录。",
                tags=list(tags),
                fields=list(fields),
                department=dept,
                region=place,
                domain=domain,
                publish_date=base - datetime.timedelta(days=rng.randint(0, 3000)),
            )
        )
    return docs


def query_mix() -> list[str]:
    return [q for q, _j in QUERIES]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, queries: list[str], repeat: int = 3) -> list[float]:
    out = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t) * 1000)
    return out


def like_baseline(docs: list[SearchDoc]):
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE d (id INTEGER PRIMARY KEY, title TEXT, abstract TEXT, tags TEXT)")
    con.executemany(
        "INSERT INTO d VALUES (?, ?, ?, ?)", [(d.id, d.title, d.abstract, " ".join(d.tags)) for d in docs]
    )
    con.commit()

    def search(q: str) -> list[int]:
        # What the catalog did before: every space-separated word somewhere in title, abstract or tags.
        words = q.split()[:8] or [q]
        where = " AND ".join("(title LIKE ? OR abstract LIKE ? OR tags LIKE ?)" for _w in words)
        params = [p for w in words for p in (f"%{w}%",) * 3]
        return [r[0] for r in con.execute(f"SELECT id FROM d WHERE {where} LIMIT 1000", params)]  # noqa: S608

    return search


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    docs = generate(args.n)
    gen_s = time.perf_counter() - t
    syn = T.synonym_map(T.file_synonyms())
    queries = query_mix()

    root = Path(os.environ["KAIFANG_HOME"]) / "search"
    backend = EmbeddedBackend(root)
    t = time.perf_counter()
    backend.rebuild(docs)
    build_s = time.perf_counter() - t
    size_mb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6

    results: list[tuple[str, list[float], int]] = []
    parsed = {q: T.parse_query(q, syn) for q in queries}
    backend.search(parsed[queries[0]], 10)  # warm
    zero_index = sum(1 for q in queries if not backend.search(parsed[q], 10).hits)
    for label, limit in (("embedded, top 1000 (browse)", 1000), ("embedded, top 10", 10)):
        counts = [len(backend.search(parsed[q], limit).hits) for q in queries]
        results.append(
            (label, timed(lambda q, lim=limit: backend.search(parsed[q], lim), queries), sum(counts))
        )
    # Including query parsing (segmentation, synonyms, pinyin) — the whole per-request search cost.
    results.append(
        (
            "embedded, parse + top 1000",
            timed(lambda q: backend.search(T.parse_query(q, syn), 1000), queries),
            0,
        )
    )
    like = like_baseline(docs)
    like_counts = [len(like(q)) for q in queries]
    results.append(("baseline: SQL LIKE scan (SQLite)", timed(like, queries, repeat=1), sum(like_counts)))
    zero_like = sum(1 for c in like_counts if c == 0)

    if args.postgres:
        from django.db import connection, transaction

        from kaifang.search.backends.postgres import PostgresBackend

        assert connection.vendor == "postgresql", "--postgres needs DATABASE_URL"
        pg = PostgresBackend()
        try:
            with transaction.atomic():
                t = time.perf_counter()
                pg.rebuild(docs)
                pg_build = time.perf_counter() - t
                with connection.cursor() as cur:
                    cur.execute("ANALYZE search_searchentry")
                results.append(
                    ("postgres, top 1000", timed(lambda q: pg.search(parsed[q], 1000), queries), 0)
                )
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
        print(f"postgres build: {pg_build:.1f}s")

    base_p95 = pct(results[-1 if not args.postgres else -2][1], 95)
    lines = [
        f"### Search, {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M')} UTC ({args.n:,} generated datasets, "
        f"{len(queries)} queries x 3, 2 shared cores)",
        "",
        f"Index build (segmentation, pinyin, tantivy, one writer thread): **{build_s:.1f} s** "
        f"(goal ≤ 120 s), {size_mb:.0f} MB on disk; generating the corpus took {gen_s:.1f} s.",
        "",
        "| path | p50 ms | p95 ms | max ms | p95 / LIKE p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, ms, _n in results:
        lines.append(
            f"| {label} | {statistics.median(ms):.2f} | {pct(ms, 95):.2f} | {max(ms):.2f} | "
            f"{pct(ms, 95) / base_p95:.3f}x |"
        )
    lines.append("")
    lines.append(
        f"The LIKE scan found nothing for {zero_like} of {len(queries)} queries (no segmentation, synonyms "
        f"or pinyin); the index found nothing for {zero_index}."
    )
    report = "\n".join(lines)
    print(report)
    if args.record:
        perf = ROOT / "docs" / "performance.md"
        perf.write_text(perf.read_text().rstrip() + "\n\n" + report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
