"""Tabular ingest, data API and download benchmark (issue 3, Performance).

    .venv/bin/python bench/tabular_bench.py [--rows 2000000] [--seconds 10] [--connections 8] [--record]

In one run, on one generated CSV with Chinese company names, names, addresses, business scopes, dates,
numbers and coordinates (2 M rows ≈ 500 MB), plus its GBK copy:

1. Ingest end to end (`kaifang ingest`: detect/transcode, validate against 12 declared fields including
   primary-key uniqueness, profile, Parquet, store) for both encodings, in a subprocess whose peak RSS is
   read back; against PostgreSQL `COPY` of the same file into an all-text table (what ckanext-xloader
   does), `ENCODING 'GBK'` for the GBK copy. Needs a local PostgreSQL (unix socket, user postgres); a
   scratch database is created and dropped.
2. The data API on loopback (`kaifang serve`): a 100-row page, an equality filter on an unindexed column,
   a sort on a numeric column, a text search, a group-by count. A load that repeats one URL measures a
   cache, so each shape is a list of `--urls` different requests drawn (seeded) from the generated data:
   pages by number, any offset and by cursor; company names, addresses, dates, amounts, identifiers and
   counties; four sort columns both ways at many depths; one to three words of the data's vocabulary and
   words it lacks; five group-by columns, pairs of them and filtered groupings, with top-N sorts. Each
   shape gets a freshly started server: a cold pass asks every URL once (Python clients, `--connections`
   at a time; percentiles over the list), then wrk draws URLs from the list at random for `--seconds`
   (the warm load). The baseline in the same run is a static file from the same server (the floor of the
   stack). The peers run in the same run too (bench/peers.py, their own virtual environment):
   `sqlite-utils insert --csv` (types detected) loads both files (Datasette's usual path; the ≥ 20x goal),
   a trigram FTS index is added for `_search`, and Datasette serves the file with the five shapes (one URL
   each) under the same load. `--no-peers` skips them (they take about 15 minutes for 2 M rows).
3. A whole-table CSV download: MB/s, and the serving worker's peak RSS before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import peers  # noqa: E402
from bench.catalog_load import LUA, ensure_wrk, free_port, run_wrk, url_list_script, wait_until_up  # noqa: E402

KAIFANG = ROOT / ".venv" / "bin" / "kaifang"
PY = ROOT / ".venv" / "bin" / "python"
FIELDS = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "企业名称", "data_type": "C", "length": 128},
    {"name": "法定代表人", "data_type": "C", "length": 32},
    {"name": "所属区县", "data_type": "C", "length": 16},
    {"name": "地址", "data_type": "C", "length": 128},
    {"name": "成立日期", "data_type": "D"},
    {"name": "注册资本", "data_type": "N", "length": 16},
    {"name": "经营范围", "data_type": "C", "length": 1000},
    {"name": "经度", "data_type": "N", "length": 12},
    {"name": "纬度", "data_type": "N", "length": 12},
    {"name": "统一社会信用代码", "data_type": "C", "length": 18},
    {"name": "联系电话", "data_type": "C", "length": 11},
]
CITIES = ["咸宁", "武汉", "黄石", "鄂州", "孝感", "荆州", "黄冈", "随州", "十堰", "宜昌", "襄阳", "恩施"]
WORDS = [
    "香城",
    "温泉",
    "桂花",
    "楠竹",
    "青砖",
    "九宫",
    "隐水",
    "赤壁",
    "金桂",
    "长江",
    "鄂南",
    "陆水",
    "淦河",
    "星火",
]
TRADES = ["科技", "建设", "贸易", "物流", "食品", "医药", "电子", "农业", "文化", "旅游", "能源", "材料"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建华"]
COUNTIES = ["咸安区", "嘉鱼县", "通城县", "崇阳县", "通山县", "赤壁市", "咸宁高新区"]
ROADS = ["温泉路", "金桂路", "银泉大道", "咸宁大道", "长江大道", "淦河大道", "旗鼓大道", "桂乡大道"]
SCOPES = [
    "软件开发",
    "人工智能应用软件开发",
    "信息系统集成服务",
    "技术服务、技术开发、技术咨询",
    "货物进出口",
    "道路货物运输",
    "食品销售",
    "建筑工程施工",
    "医疗器械销售",
    "农产品初加工",
    "旅游业务",
    "电力设施安装",
    "新材料技术研发",
    "物业管理",
    "广告设计、代理",
    "互联网信息服务",
    "数据处理和存储支持服务",
    "餐饮服务",
]


def sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i + "'" for i in items) + "]"


def pick(items: list[str], seed: str) -> str:
    return f"{sql_list(items)}[1 + (hash({seed}) % {len(items)})::INT]"


def generate(path: Path, rows: int) -> None:
    from kaifang.tabular.engine import TableEngine

    scope = " || '；' || ".join(pick(SCOPES, f"i * {k}") for k in (3, 5, 7, 11, 13))
    sql = f"""
    COPY (SELECT
      printf('R%08d', i) AS 编号,
      {pick(CITIES, "i")} || {pick(WORDS, "i * 17")} || {pick(TRADES, "i * 19")} || '有限公司' AS 企业名称,
      {pick(SURNAMES, "i * 23")} || {pick(GIVEN, "i * 29")} AS 法定代表人,
      {pick(COUNTIES, "i * 31")} AS 所属区县,
      '湖北省咸宁市' || {pick(COUNTIES, "i * 31")} || {pick(ROADS, "i * 37")} || (i % 300 + 1)::VARCHAR || '号'
        AS 地址,
      DATE '1990-01-01' + (hash(i * 41) % 12000)::INT AS 成立日期,
      round((hash(i * 43) % 100000000) / 100.0, 2) AS 注册资本,
      {scope} AS 经营范围,
      round(113.7 + (hash(i * 47) % 100000) / 100000.0, 6) AS 经度,
      round(29.0 + (hash(i * 53) % 100000) / 100000.0, 6) AS 纬度,
      '91421200' || printf('%010d', i) AS 统一社会信用代码,
      '13' || printf('%09d', hash(i * 59) % 1000000000) AS 联系电话
    FROM range({int(rows)}) t(i)) TO '{path}' (HEADER, DELIMITER ',')
    """
    TableEngine().write(lambda con: con.execute(sql))


def to_gbk(src: Path, dest: Path) -> None:
    with open(src, encoding="utf-8") as fin, open(dest, "w", encoding="gbk") as fout:
        while chunk := fin.read(16 * 1024 * 1024):
            fout.write(chunk)


def first_company(path: Path) -> str:
    """A company name that occurs in the data (the equality filter's value; names of people are masked)."""
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return next(reader)[header.index("企业名称")]


def setup_django(home: Path) -> None:
    os.environ["KAIFANG_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaifang.config.settings")
    import django

    django.setup()


def make_dataset() -> str:
    from kaifang.accounts.models import User
    from kaifang.catalog import services
    from kaifang.catalog.models import Dataset
    from kaifang.core.testing import valid_dataset_data

    existing = Dataset.objects.filter(title="企业登记信息（性能测试）").first()
    if existing:
        return existing.code
    officer = User.objects.get(username="officer")
    reviewer = User.objects.get(username="reviewer")
    from kaifang.core.actors import roles_of

    dept_id = next(iter(roles_of(officer).officer_department_ids))
    from kaifang.tenancy.models import Department

    data = valid_dataset_data(
        title="企业登记信息（性能测试）", fields=FIELDS, abstract="性能测试用的合成企业登记数据。"
    )
    ds = services.dataset_register(actor=officer, department=Department.objects.get(pk=dept_id), data=data)
    ds = services.dataset_submit(actor=officer, dataset=ds)
    services.dataset_publish(actor=reviewer, dataset=ds)
    return ds.code


def timed_child(
    cmd: list[str], env: dict[str, str] | None = None, stdin: Path | None = None
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin:
        subprocess.run(cmd, env=env, check=True, stdin=fin, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def pg_copy(path: Path, encoding: str) -> float:
    db = "kf_tabular_bench"
    psql = ["psql", "-h", "/var/run/postgresql", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {db}"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*psql, "-c", f"CREATE DATABASE {db}"], check=True, stdout=subprocess.DEVNULL)
    cols = ", ".join(f'"{f["name"]}" text' for f in FIELDS)
    subprocess.run([*psql, "-d", db, "-c", f"CREATE TABLE t (_id serial, {cols})"], check=True)
    names = ", ".join(f'"{f["name"]}"' for f in FIELDS)
    started = time.perf_counter()
    subprocess.run(
        [
            *psql,
            "-d",
            db,
            "-c",
            f"COPY t ({names}) FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING '{encoding}')",
        ],
        check=True,
        stdin=open(path, "rb"),  # noqa: SIM115 - closed with the process
    )
    elapsed = time.perf_counter() - started
    subprocess.run([*psql, "-c", f"DROP DATABASE {db}"], check=True, stdout=subprocess.DEVNULL)
    return elapsed


def worker_hwm_mb(server_pid: int) -> float:
    """The largest peak RSS (VmHWM) among the server's worker processes."""
    out = 0.0
    for child in Path("/proc").iterdir():
        if not child.name.isdigit():
            continue
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        if f"PPid:\t{server_pid}\n" not in status:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                out = max(out, int(line.split()[1]) / 1024)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--home", default=str(ROOT / "var" / "bench-tabular"))
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--no-peers", dest="peers", action="store_false", help="skip sqlite-utils and Datasette")
    ap.add_argument("--urls", type=int, default=240, help="different requests per data-API shape")
    ap.add_argument("--seed", type=int, default=12, help="seeds the URL lists and wrk's draws")
    args = ap.parse_args()
    home = Path(args.home)
    home.mkdir(parents=True, exist_ok=True)
    # The servers under test run no background worker: queued work (publication's downloads) would share
    # the cores with the load; the queue is drained before the load instead.
    env = {**os.environ, "KAIFANG_HOME": str(home), "KAIFANG_RUN_WORKER": "0"}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(KAIFANG), "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    setup_django(home)
    code = make_dataset()
    from kaifang.catalog.codes import slug_for_code

    slug = slug_for_code(code)
    work = Path(tempfile.mkdtemp(prefix="kf-tabular-bench-"))
    results: dict[str, object] = {"rows": args.rows}
    try:
        utf8, gbk = work / "企业.csv", work / "企业-gbk.csv"
        t = time.perf_counter()
        generate(utf8, args.rows)
        to_gbk(utf8, gbk)
        results["sizes_mb"] = {"utf-8": utf8.stat().st_size / 1e6, "gbk": gbk.stat().st_size / 1e6}
        print(f"generated {args.rows} rows in {time.perf_counter() - t:.1f}s: {results['sizes_mb']}")
        ingest = {}
        for label, path, pg_enc in (("UTF-8", utf8, "UTF8"), ("GBK", gbk, "GBK")):
            secs, rss = timed_child([str(KAIFANG), "ingest", code, str(path), "--user", "officer"], env=env)
            copy = pg_copy(path, pg_enc)
            ingest[label] = {"kaifang_s": secs, "peak_rss_mb": rss, "pg_copy_s": copy}
            print(
                f"ingest {label}: kaifang {secs:.1f}s (peak {rss:.0f} MB)  PostgreSQL COPY {copy:.1f}s  "
                f"ratio {copy / secs:.2f}x"
            )
            if args.peers:
                db = work / f"peers-{label.lower().replace('-', '')}.db"
                ingest[label]["sqlite_utils_s"] = peers.sqlite_utils_insert(path, db, label.lower())
                print(f"ingest {label}: sqlite-utils {ingest[label]['sqlite_utils_s']:.1f}s")
        results["ingest"] = ingest
        if args.peers:
            results["fts_s"] = peers.enable_fts(work / "peers-utf8.db")
            print(f"sqlite-utils enable-fts (trigram): {results['fts_s']:.1f}s")
        # Publish the last version so the server serves it.
        from kaifang.accounts.models import User
        from kaifang.catalog.models import Dataset
        from kaifang.tabular.models import TableVersion
        from kaifang.tabular.services import table_version_publish

        version = (
            TableVersion.objects.filter(dataset__code=code, state="validated").order_by("-number").first()
        )
        from bench.privacy_bench import PROFILE
        from kaifang.privacy.services import publication_profile_set

        # Names and mobiles are personal data: the gate refuses them unmasked (X5), as it should.
        publication_profile_set(
            actor=User.objects.get(username="officer"),
            dataset=Dataset.objects.get(code=code),
            rules=PROFILE,
            reason="性能测试：法定代表人保留姓氏，手机号 3+4 掩码，坐标 1 km 网格",
        )
        t = time.perf_counter()
        table_version_publish(actor=User.objects.get(username="reviewer"), version=version)
        results["publish_s"] = time.perf_counter() - t
        # Publication queues the public CSV download; run the queue now so it does not share the cores
        # with the load test below.
        t = time.perf_counter()
        subprocess.run([str(KAIFANG), "worker", "--batch"], env=env, check=True, stdout=subprocess.DEVNULL)
        results["prepare_downloads_s"] = time.perf_counter() - t
        print(
            f"publish (privacy gate, open version) {results['publish_s']:.1f}s; "
            f"public downloads and row store prepared in {results['prepare_downloads_s']:.1f}s"
        )
        company = first_company(utf8)
        DATASETTE_SHAPES["equality filter (unindexed)"] = {"企业名称": company, "_size": 100}
        ONE_URL["equality filter (unindexed)"] = [("企业名称", company), ("limit", 100)]
        lists = url_lists(slug, sample_rows(utf8, args.rows), args.rows, args.urls, args.seed)
        add_cursors(lists, args.urls, args.seed)
        (home / "tabular-bench-urls.json").write_text(json.dumps(lists, ensure_ascii=False, indent=0))
        print("URLs per shape: " + ", ".join(f"{k} {len(v)}" for k, v in lists.items()))
        results["api"] = api_load(args, env, slug, lists)
        if args.peers:
            results["datasette"] = datasette_load(args, work / "peers-utf8.db")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, ensure_ascii=False, indent=1))
    if args.record:
        record(results, args)
    return 0


BASELINE = "/static/kaifang/site.css"
API = "/api/v1/datasets/{slug}/"
DATASETTE_SHAPES = {  # the same five questions in Datasette's table URL language (one URL each)
    "page of 100 rows": {"_size": 100},
    "equality filter (unindexed)": {"企业名称": "咸宁香城科技有限公司", "_size": 100},  # set from the data
    "sort on a number": {"_sort_desc": "注册资本", "_size": 100},
    "text search": {"_search": "人工智能", "_size": 100},
    "group-by count": {"_facet": "所属区县", "_size": 0},
}
SHAPES = list(DATASETTE_SHAPES)
ONE_URL = {  # what each shape repeated before the lists (runs up to 2026-11-28), measured again for comparison
    "page of 100 rows": [("limit", 100)],
    "equality filter (unindexed)": [
        ("企业名称", "咸宁香城科技有限公司"),
        ("limit", 100),
    ],  # set from the data
    "sort on a number": [("sort", "-注册资本"), ("limit", 100)],
    "text search": [("q", "人工智能"), ("limit", 100)],
    "group-by count": [("group_by", "所属区县"), ("agg", "count")],
}
DATASETTE = {  # peers-bench.md, 2 M rows, 4 connections, same machine kind (not this run), one URL per shape
    "page of 100 rows": "79 req/s, p95 74 ms",
    "equality filter (unindexed)": "2.2 req/s",
    "sort on a number": "2.9 req/s",
    "text search": "6.8 req/s (trigram FTS)",
    "group-by count": "0.5 req/s, p50 6.1 s (facet)",
}
SORTABLE = ["注册资本", "成立日期", "经度", "纬度"]  # the generated number and date columns
GROUPABLE = ["所属区县", "法定代表人", "企业名称", "地址", "成立日期"]  # not the ~unique number column
MISSES = ["火锅", "钢铁", "造船", "煤矿", "航空", "证券"]  # words a user may try that the data does not hold


def sample_rows(path: Path, rows: int) -> list[dict[str, str]]:
    """About 5,000 rows of the generated CSV, the same ones every run (the values the URL lists ask for),
    as written (text), so numbers and dates go into URLs the way a client copies them."""
    import duckdb

    every = max(1, rows // 5000)
    # duckdb's default database: the bench reads its own generated CSV here, not a store object (those go
    # through the platform's engine).
    cur = duckdb.execute(
        f"SELECT * FROM read_csv('{path}', header = true, all_varchar = true) "
        f"WHERE hash(编号) % {every} = 0 ORDER BY 编号"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _q(slug: str, endpoint: str, params: list[tuple[str, object]]) -> str:
    return API.format(slug=slug) + endpoint + "?" + urllib.parse.urlencode(params)


def url_lists(
    slug: str, sample: list[dict[str, str]], rows: int, per_shape: int, seed: int
) -> dict[str, list]:
    """For each shape, `per_shape` different requests (kind, path) a population of users could send:
    different pages, values, columns, directions and words, drawn from the generated data with a seeded
    generator. Cursor pages are added by `add_cursors` (a cursor is only known from the page before)."""
    rng = random.Random(seed)
    pages = max(1, (rows - 1) // 100)
    vocab = {c: sorted({r[c] for r in sample if r[c]}) for c in sample[0]}
    words = sorted(
        set(WORDS + TRADES + CITIES + COUNTIES + ROADS)
        | {s for s in SCOPES if "、" not in s}
        | {"人工智能", "软件", "技术咨询", "进出口", "运输", "销售", "施工", "研发", "有限公司"}
    )

    def shallow() -> int:  # most readers stay near the front; some jump anywhere
        return rng.randrange(0, min(pages, 50)) if rng.random() < 0.6 else rng.randrange(0, pages)

    def fill(make: object, share: int) -> list[tuple[str, str]]:
        out: dict[str, str] = {}
        for _ in range(share * 50):
            if len(out) >= share:
                break
            kind, path = make()  # type: ignore[operator]
            out.setdefault(path, kind)
        return [(k, p) for p, k in out.items()]

    def page() -> tuple[str, str]:
        if rng.random() < 0.2:
            return "page, any offset", _q(slug, "data", [("limit", 100), ("offset", rng.randrange(0, rows))])
        return "page, by page number", _q(slug, "data", [("limit", 100), ("offset", 100 * shallow())])

    def equality() -> tuple[str, str]:
        x = rng.random()
        col, kind, extra = "企业名称", "company name", []
        if x < 0.15:
            col, kind = "地址", "address"
        elif x < 0.25:
            col, kind = "成立日期", "date"
        elif x < 0.32:
            col, kind = "注册资本", "number"
        elif x < 0.39:
            col, kind = rng.choice(["编号", "统一社会信用代码"]), "identifier (one row)"
        elif x < 0.46:
            col, kind, extra = "所属区县", "county (1/7 of rows), deep page", [("offset", 100 * shallow())]
        if x > 0.95:
            value = rng.choice(CITIES) + rng.choice(MISSES) + "有限公司"
            return "company name, no match", _q(slug, "data", [("企业名称", value), ("limit", 100)])
        value = rng.choice(vocab[col])
        if kind == "company name" and rng.random() < 0.25:
            extra = [("offset", 100 * rng.randrange(1, 5))]
            kind = "company name, next pages"
        return kind, _q(slug, "data", [(col, value), ("limit", 100), *extra])

    def sort() -> tuple[str, str]:
        col = rng.choice(SORTABLE)
        key = ("-" if rng.random() < 0.5 else "") + col
        if rng.random() < 0.3:
            return "first page", _q(slug, "data", [("sort", key), ("limit", 100)])
        return "by page number", _q(
            slug, "data", [("sort", key), ("limit", 100), ("offset", 100 * shallow())]
        )

    def search() -> tuple[str, str]:
        x = rng.random()
        if x < 0.45:
            kind, q = "one word", rng.choice(words)
        elif x < 0.85:
            kind, q = "two words", " ".join(rng.sample(words, 2))
        elif x < 0.93:
            kind, q = "three words", " ".join(rng.sample(words, 3))
        else:
            kind, q = "no match", rng.choice(MISSES)
        params: list[tuple[str, object]] = [("q", q), ("limit", 100)]
        if kind != "no match" and rng.random() < 0.25:
            params.append(("offset", 100 * rng.randrange(1, 10)))
            kind += ", next pages"
        return kind, _q(slug, "data", params)

    def group() -> tuple[str, str]:
        x = rng.random()
        if x < 0.45:
            kind, cols = "one column", [rng.choice(GROUPABLE)]
        elif x < 0.7:
            kind, cols = "two columns", rng.sample(GROUPABLE, 2)
        else:
            kind, cols = "one column, filtered", [rng.choice(GROUPABLE)]
        params: list[tuple[str, object]] = [("group_by", ",".join(cols)), ("agg", "count")]
        if kind.endswith("filtered"):
            f = rng.random()
            if f < 0.4:
                params.append(("所属区县", rng.choice(COUNTIES)))
            elif f < 0.7:
                params.append(("成立日期__ge", f"{rng.randrange(1990, 2022)}-01-01"))
            else:
                params.append(("企业名称__like", rng.choice(WORDS + TRADES)))
        # Top-N, bottom-N or by the group's value, and the page size a chart or table asks for.
        order = rng.choice(["", "", "-count", "count", cols[0], "-" + cols[0]])
        params += [("sort", order)] if order else []
        size = rng.choice([0, 0, 10, 20, 50, 100, 1000])
        params += [("limit", size)] if size else []
        return kind, _q(slug, "aggregate", params)

    cursor_share = per_shape // 4
    return {
        "page of 100 rows": fill(page, per_shape - cursor_share),
        "equality filter (unindexed)": fill(equality, per_shape),
        "sort on a number": fill(sort, per_shape - cursor_share),
        "text search": fill(search, per_shape),
        "group-by count": fill(group, per_shape),
    }


def add_cursors(lists: dict[str, list], per_shape: int, seed: int) -> None:
    """Cursor pages: the `next_cursor` of pages from the lists, asked in this process (Django's test client;
    the server under test does not see these requests, so its caches stay cold)."""
    from django.test import Client

    rng = random.Random(seed + 1)
    client = Client()
    for name in ("page of 100 rows", "sort on a number"):
        found: list[tuple[str, str]] = []
        for _kind, path in rng.sample(lists[name], min(len(lists[name]), per_shape // 4)):
            body = client.get(path).json()
            cursor = body.get("next_cursor")
            if cursor:
                parts = urllib.parse.urlsplit(path)
                params = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "offset"]
                found.append(
                    (
                        "cursor (next page)",
                        parts.path + "?" + urllib.parse.urlencode([*params, ("cursor", cursor)]),
                    )
                )
        lists[name] += found


@contextlib.contextmanager
def serving(args: argparse.Namespace, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """A freshly started `kaifang serve` (base URL, pid), stopped afterwards."""
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
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def timed_requests(
    base: str, paths: list[str], connections: int
) -> tuple[list[tuple[float, str, int]], float]:
    """Ask each path once, `connections` keep-alive clients at a time; (ms, path, status) each, wall s."""
    import http.client

    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    todo = list(reversed(paths))
    lock = threading.Lock()
    done: list[tuple[float, str, int]] = []

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        while True:
            with lock:
                if not todo:
                    break
                path = todo.pop()
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=120)
                status = 0
            ms = (time.perf_counter() - started) * 1000
            with lock:
                done.append((ms, path, status))
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(min(connections, len(paths)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def cold_pass(base: str, listed: list[tuple[str, str]], connections: int) -> dict[str, object]:
    """Every path of the list once, in the list's (random) order, on a server that has not seen them."""
    kinds = {path: kind for kind, path in listed}
    done, wall = timed_requests(base, [p for _k, p in listed], connections)
    ms = [d[0] for d in done]
    errors = [(status, path) for _ms, path, status in done if status != 200]
    by_kind: dict[str, list[float]] = {}
    for t, path, _status in done:
        by_kind.setdefault(kinds[path], []).append(t)
    return {
        "requests": len(done),
        "rps": len(done) / wall,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "by_kind": {
            k: {"n": len(v), "p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95), "max_ms": max(v)}
            for k, v in sorted(by_kind.items())
        },
        "slowest": [(round(t, 1), urllib.parse.unquote(p)) for t, p, _s in sorted(done, reverse=True)[:5]],
    }


def api_load(
    args: argparse.Namespace, env: dict[str, str], slug: str, lists: dict[str, list]
) -> dict[str, object]:
    """The baseline, then each shape on a server of its own, started for it: a cold pass (every URL of the
    shape's list once, the first time that server sees it), then the warm load (wrk drawing URLs from the
    same list at random for the fixed duration)."""
    wrk = ensure_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA)
        fixed = f.name
    out: dict[str, object] = {}
    with serving(args, env) as (base, _pid):
        for _ in range(40):
            urllib.request.urlopen(base + BASELINE).read()  # noqa: S310 - loopback only
        r = run_wrk(wrk, base + BASELINE, args.seconds, args.connections, fixed)
        out["baseline: static file"] = {"warm": r}
        print(
            f"{'baseline: static file':<30} warm {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f}  p95 {r['p95_ms']:6.1f} ms"
        )
    for i, name in enumerate(SHAPES):
        listed = lists[name]
        with serving(args, env) as (base, pid):
            # The server's own start (imports, opening the object, first DuckDB cursors) on a request that is
            # in no list, so the cold pass measures queries the server has not seen, not its start-up.
            start, _wall = timed_requests(
                base, [API.format(slug=slug) + "data?limit=1"] * args.connections, args.connections
            )
            cold = cold_pass(base, listed, args.connections)
            script = url_list_script([p for _k, p in listed], args.seed + i)
            # A long timeout: a slow answer is a latency to report, not an error to leave out of it.
            warm = run_wrk(wrk, base + "/", args.seconds, args.connections, script, timeout="60s")
            # The earlier method on the same server: one URL, warmed, repeated (a cache's speed).
            one = base + _q(slug, "aggregate" if name == "group-by count" else "data", ONE_URL[name])
            for _ in range(10):
                urllib.request.urlopen(one).read()  # noqa: S310 - loopback only
            repeated = run_wrk(wrk, one, args.seconds, args.connections, fixed)
            out[name] = {
                "urls": len(listed),
                "start_ms": max(s[0] for s in start),
                "cold": cold,
                "warm": warm,
                "one_url": repeated,
            }
            print(
                f"{name:<30} cold {cold['requests']:4d} URLs  p50 {cold['p50_ms']:6.1f}  p95 {cold['p95_ms']:6.1f}  "
                f"max {cold['max_ms']:7.1f} ms  errors {cold['errors']} | warm {warm['rps']:7.1f} req/s  "
                f"p50 {warm['p50_ms']:6.1f}  p95 {warm['p95_ms']:6.1f} ms  errors {warm['errors']} | one URL "
                f"{repeated['rps']:7.1f} req/s  p95 {repeated['p95_ms']:6.1f} ms"
            )
            for kind, k in cold["by_kind"].items():
                print(
                    f"    cold {kind:<40} n {k['n']:4d}  p50 {k['p50_ms']:6.1f}  p95 {k['p95_ms']:6.1f}  max {k['max_ms']:7.1f}"
                )
            if cold["first_error"]:
                print(f"    first error: {cold['first_error']}")
            if i == len(SHAPES) - 1:
                out["download"] = download(base, slug, pid)
    return out


def datasette_load(args: argparse.Namespace, db: Path) -> dict[str, object]:
    """Datasette over the sqlite-utils file, the same shapes, connections and duration as our server."""
    wrk = ensure_wrk()
    out: dict[str, object] = {}
    with peers.datasette(db, free_port()) as table_url:
        wait_until_up(table_url + "?_size=1", timeout=300)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA)
            script = f.name
        for name, query in DATASETTE_SHAPES.items():
            url = table_url + "?" + urllib.parse.urlencode(query)
            with urllib.request.urlopen(url, timeout=120) as r:  # noqa: S310 - loopback only
                body = json.loads(r.read())
            if name == "group-by count" and not body.get("facet_results"):
                raise RuntimeError("Datasette dropped the facet: raise facet_time_limit_ms")
            r = run_wrk(wrk, url, args.seconds, args.connections, script)
            out[name] = r
            print(
                f"datasette {name:<30} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms"
            )
    return out


def download(base: str, slug: str, server_pid: int) -> dict[str, float]:
    """The whole table as CSV, read to the end; the serving workers' peak RSS before and after."""
    hwm_before = worker_hwm_mb(server_pid)
    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(f"{base}/api/v1/datasets/{slug}/download?format=csv") as r:  # noqa: S310
        while chunk := r.read(1024 * 1024):
            size += len(chunk)
    secs = time.perf_counter() - started
    hwm_after = worker_hwm_mb(server_pid)
    result = {
        "mb": size / 1e6,
        "seconds": secs,
        "mb_per_s": size / 1e6 / secs,
        "worker_peak_rss_before_mb": hwm_before,
        "worker_peak_rss_after_mb": hwm_after,
    }
    print(
        f"download CSV: {size / 1e6:.0f} MB in {secs:.1f}s = {size / 1e6 / secs:.1f} MB/s; "
        f"worker peak RSS {hwm_before:.0f} -> {hwm_after:.0f} MB"
    )
    return result


def record(results: dict[str, object], args: argparse.Namespace) -> None:
    from kaifang.tabular.exports import PREPARE_ALL_ROWS, PREPARED_ALWAYS

    doc = ROOT / "docs" / "performance.md"
    sizes = results["sizes_mb"]
    ingest = results["ingest"]
    api = results["api"]
    lines = [
        f"\n### Tabular ingest, data API (varied URLs, cold and warm) and download, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"({results['rows']:,} rows; UTF-8 {sizes['utf-8']:.0f} MB, GBK {sizes['gbk']:.0f} MB; 2 cores, shared)\n",
        f"`.venv/bin/python bench/tabular_bench.py {' '.join(sys.argv[1:])}`. Ingest is `kaifang ingest` end to "
        "end (detect and "
        "transcode, validate 12 declared fields including primary-key uniqueness, profile, Parquet, store) in "
        "its own process; PostgreSQL `COPY` loads the same file into an all-text table (ckanext-xloader's "
        "path) in the same run.\n",
        "| ingest | kaifang s | rows/s | peak RSS MB | PostgreSQL COPY s | COPY / kaifang | goal ≥ 3x "
        "| sqlite-utils s | sqlite-utils / kaifang | goal ≥ 20x |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for label, r in ingest.items():
        ratio = r["pg_copy_s"] / r["kaifang_s"]
        peer = r.get("sqlite_utils_s")
        peer_cells = (
            f"{peer:.1f} | {peer / r['kaifang_s']:.1f}x | {'yes' if peer / r['kaifang_s'] >= 20 else '**no**'}"
            if peer
            else "not run | | "
        )
        lines.append(
            f"| {label} | {r['kaifang_s']:.1f} | {results['rows'] / r['kaifang_s']:,.0f} | {r['peak_rss_mb']:.0f} | "
            f"{r['pg_copy_s']:.1f} | {ratio:.2f}x | {'yes' if ratio >= 3 else '**no**'} | {peer_cells} |"
        )
    ds = results.get("datasette")
    if "fts_s" in results:
        lines.append(
            f"\nsqlite-utils `enable-fts --tokenize trigram` on the UTF-8 file took {results['fts_s']:.1f} s more."
        )
    lines += [
        "",
        f"Data API: `kaifang serve` ({args.workers} workers) on loopback, {args.connections} connections. Each "
        f"shape asks a list of {args.urls}+ different URLs (pages and cursors, values and columns, sort columns and "
        "directions, words, group-by columns and filters, drawn from the generated data with a fixed seed; the "
        "lists are written to `tabular-bench-urls.json` in the bench's home). Each shape gets a freshly started "
        "server: after 8 requests of a URL in no list (the server's own start-up), the **cold** pass asks every "
        f"URL of the list once ({args.connections} keep-alive Python clients; the files are in the page cache, "
        "the server's per-process caches are empty), then the **warm** load is wrk drawing URLs from the same "
        f"list at random for {args.seconds} s. Baseline: a static file from the same kind of server, wrk. "
        + (
            "Datasette 0.65.5 serves the sqlite-utils file (immutable, trigram FTS, time limits raised so the "
            "facet is answered) with one URL per shape, same connections and duration, in the same run.\n"
            if ds
            else "Datasette was not run (`--no-peers`); its figures (one URL per shape) are from "
            "../shared/reference/peers-bench.md.\n"
        ),
        "| shape | URLs | cold p50 ms | cold p95 ms | cold max ms | warm req/s | warm p50 ms | warm p95 ms "
        "| warm p95 / baseline | warm draws per URL | errors cold + warm | goal p95 ≤ 50 ms cold / warm "
        "| one URL repeated (earlier method): req/s, p95 ms | Datasette |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    floor = api["baseline: static file"]["warm"]
    lines.append(
        f"| baseline: static file | 1 | | | | {floor['rps']:.1f} | {floor['p50_ms']:.1f} | {floor['p95_ms']:.1f} "
        f"| 1.0x | | {floor['errors']} | | | |"
    )
    for name in SHAPES:
        c, w, o = api[name]["cold"], api[name]["warm"], api[name]["one_url"]
        goal = " / ".join("yes" if x["p95_ms"] <= 50 else "**no**" for x in (c, w))
        if ds and name in ds:
            p = ds[name]
            peer = f"{p['rps']:.1f} req/s, p95 {p['p95_ms']:.1f} ms"
        else:
            peer = DATASETTE.get(name, "")
        lines.append(
            f"| {name} | {api[name]['urls']} | {c['p50_ms']:.1f} | {c['p95_ms']:.1f} | {c['max_ms']:.1f} "
            f"| {w['rps']:.1f} | {w['p50_ms']:.1f} | {w['p95_ms']:.1f} | {w['p95_ms'] / floor['p95_ms']:.1f}x "
            f"| {w['requests'] / api[name]['urls']:.1f} | {c['errors'] + w['errors']} | {goal} "
            f"| {o['rps']:.1f}, {o['p95_ms']:.1f} | {peer} |"
        )
    lines += ["", "Cold pass by kind of request (p50 / p95 / max ms, count):", ""]
    for name in SHAPES:
        kinds = "; ".join(
            f"{kind} {k['p50_ms']:.0f} / {k['p95_ms']:.0f} / {k['max_ms']:.0f} ({k['n']})"
            for kind, k in api[name]["cold"]["by_kind"].items()
        )
        lines.append(f"- {name} (server start-up request {api[name]['start_ms']:.0f} ms): {kinds}.")
    d = api["download"]
    lines += [
        "",
        f"Publication (the privacy gate writing the masked open version) took {results['publish_s']:.1f} s; the "
        f"worker then prepared the public whole-table files ({', '.join(PREPARED_ALWAYS)}; every format up to "
        f"{PREPARE_ALL_ROWS:,} rows), the row store and the stored sort and value orders in "
        f"{results['prepare_downloads_s']:.1f} s (including the worker's start-up), so the download below is a "
        "stored file.",
        "",
        f"Download of the whole table as CSV: {d['mb']:.0f} MB in {d['seconds']:.1f} s = **{d['mb_per_s']:.1f} MB/s** "
        f"(goal ≥ 100 MB/s); serving workers' peak RSS {d['worker_peak_rss_before_mb']:.0f} MB before, "
        f"{d['worker_peak_rss_after_mb']:.0f} MB after.\n",
    ]
    with open(doc, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
