"""Workbenches, work-order lists and the public request list under load, with the demo's history multiplied
(issue 13, Performance).

    .venv/bin/python bench/workbench_bench.py [--seconds 10] [--cold-seconds 5] [--rounds 3] [--connections 16]
        [--work-orders 100000] [--notifications 1000000] [--workers 4] [--record]

Builds the demo city once in var/bench-workbench (skipped when built), then multiplies its year of interaction
to --work-orders work orders and --notifications notifications (bulk inserts: a load multiplier for measuring,
not demo data; each row copies the shape of one of the demo's rows — its kind, state, deadline, answer,
escalation, rating, event — onto another department, requester and day of the last twelve months, with the
public request or error report that goes with it), once. It adds an officer to every department, a reviewer
to every county, so the load has many different users, and signs them in by creating real sessions
(the session cookie per user, second factor passed, as after a real sign-in).

Then `kaifang serve` (SQLite, the embedded default) is started and wrk drives --connections connections over
shuffled lists of varied requests, one list per kind of page, each request with the cookie of a user the page
is for: every workbench page (/staff/ for officers of many departments, reviewers, county administrators, the
operator, the auditor and the evaluator; each staff queue's full list at several pages; the auditor's search;
/me/ and its queues for citizens with requests), /workorders/ (queues, all, states, kinds, overdue, pages) and
/workorders/overdue/, the inbox, and the public request list /requests/ with filters (kind, status,
department, domain, page), plus the baseline, a static file served by the same server in the same run.

- cold: on the freshly started server, each kind's first round (its URLs never asked before);
- warm: --rounds more rounds of every kind, the kinds' order rotated; the median round of each kind.

Target: p95 ≤ 100 ms for every kind at 16 clients. --record appends the table to docs/performance.md.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_load import KAIFANG, ROOT, ensure_wrk, free_port, run_wrk, wait_until_up  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
STATIC = "/static/kaifang/site.css"
GOAL_MS = 100.0

# Each request carries its own cookie (or none): entries are "path\tcookie" lines, walked from evenly spaced
# starts by the threads so every connection asks for different pages as different users.
SCRIPT = """
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  n = 0
  paths, cookies = {}, {}
  for line in io.lines([[LIST]]) do
    local tab = string.find(line, "\\t", 1, true)
    paths[#paths + 1] = string.sub(line, 1, tab - 1)
    cookies[#cookies + 1] = string.sub(line, tab + 1)
  end
end
request = function()
  local i = ((id * 7919 + n) % #paths) + 1
  n = n + 1
  local headers = {}
  if cookies[i] ~= "" then headers["Cookie"] = cookies[i] end
  return wrk.format("GET", paths[i], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %d %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


# --- inside the project's Django (run as a child process with --inside) -----------------------------------


def _django(home: str) -> None:
    os.environ["KAIFANG_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaifang.config.settings")
    import django

    django.setup()


def multiply(work_orders: int, notifications: int) -> dict[str, int]:
    """Copy the demo's work orders and notifications up to the targets (once: a second call adds nothing)."""
    import datetime

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from kaifang.accounts.models import RoleAssignment, User
    from kaifang.catalog.models import Concept, Dataset
    from kaifang.core import clock
    from kaifang.interaction.models import ErrorReport, PublicRequest
    from kaifang.notifications.models import Notification
    from kaifang.operations.models import WorkOrder
    from kaifang.tenancy.models import Department, Region

    rng = random.Random(13)
    now = clock.now()
    hashed = make_password(None)
    with transaction.atomic():
        # Users: an officer in every department, a reviewer in every county, requesters.
        if not User.objects.filter(username__startswith="bench_officer_").exists():
            officers = [
                User(
                    username=f"bench_officer_{d.pk}",
                    password=hashed,
                    kind="staff",
                    display_name=f"{d.short_name}管理员",
                )
                for d in Department.objects.order_by("pk")
            ]
            User.objects.bulk_create(officers)
            by_name = {u.username: u for u in User.objects.filter(username__startswith="bench_officer_")}
            RoleAssignment.objects.bulk_create(
                RoleAssignment(user=by_name[f"bench_officer_{d.pk}"], role="officer", department=d)
                for d in Department.objects.all()
            )
            counties = list(Region.objects.exclude(code="421200"))
            reviewers = [
                User(username=f"bench_reviewer_{r.code}", password=hashed, kind="staff") for r in counties
            ]
            User.objects.bulk_create(reviewers)
            for r in counties:
                RoleAssignment.objects.create(
                    user=User.objects.get(username=f"bench_reviewer_{r.code}"), role="reviewer", region=r
                )
            User.objects.bulk_create(
                User(
                    username=f"bench_citizen_{i:05d}",
                    password=hashed,
                    kind="citizen",
                    display_name=f"用户{i}",
                )
                for i in range(5000)
            )
        citizens = list(
            User.objects.filter(username__startswith="bench_citizen_").values_list("pk", flat=True)
        )
        citizens += list(
            User.objects.filter(username__startswith="demo_citizen_").values_list("pk", flat=True)
        )
        depts = list(Department.objects.values_list("pk", "region_id"))
        city = Region.objects.get(code="421200").pk
        domains = list(Concept.objects.filter(scheme="domain").values_list("pk", flat=True))
        datasets = list(
            Dataset.objects.filter(state="published")
            .exclude(open_attribute="closed")
            .values_list("pk", "department_id")
        )
        templates = list(WorkOrder.objects.order_by("pk"))
        missing = work_orders - WorkOrder.objects.count()
        made_orders = 0
        batch: list[WorkOrder] = []
        extras: list[tuple[WorkOrder, WorkOrder]] = []

        def flush() -> None:
            WorkOrder.objects.bulk_create(batch, batch_size=2000)
            reqs, reports = [], []
            for new, old in extras:
                if old.kind == "error_report":
                    reports.append(
                        ErrorReport(
                            dataset_id=new.dataset_id,
                            reporter_id=new.requester_id,
                            description=old.body[:500],
                            work_order=new,
                            created_at=new.created_at,
                        )
                    )
                else:
                    reqs.append(
                        PublicRequest(
                            kind=old.kind,
                            requester_id=new.requester_id,
                            title=old.title,
                            body=old.body[:1000],
                            domain_id=new.domain_id,
                            show_name=rng.random() < 0.3,
                            work_order=new,
                            created_at=new.created_at,
                        )
                    )
            PublicRequest.objects.bulk_create(reqs, batch_size=2000)
            ErrorReport.objects.bulk_create(reports, batch_size=2000)
            batch.clear()
            extras.clear()

        for i in range(max(0, missing)):
            old = templates[i % len(templates)]
            created = now - datetime.timedelta(seconds=rng.randrange(365 * 86400))
            age = now - old.created_at
            # Orders still open keep their age (a fresh open order stays fresh); the rest anywhere in the year.
            if old.state == "open":
                created = now - age * rng.uniform(0.5, 1.5)
            shift = created - old.created_at
            dept, region = (None, city) if rng.random() < 0.1 else rng.choice(depts)
            dataset_id = None
            if old.kind == "error_report":
                dataset_id, dept = rng.choice(datasets)
                region = next((r for d, r in depts if d == dept), city)
            new = WorkOrder(
                kind=old.kind,
                state=old.state,
                title=old.title,
                body=old.body,
                requester_id=rng.choice(citizens),
                dataset_id=dataset_id,
                domain_id=rng.choice(domains) if old.kind == "data_request" else None,
                department_id=dept,
                region_id=region,
                deadline=old.deadline + datetime.timedelta(days=shift.days),
                reminded_at=old.reminded_at and old.reminded_at + shift,
                escalated_at=old.escalated_at and old.escalated_at + shift,
                transfer_count=old.transfer_count,
                reopen_count=old.reopen_count,
                answer=old.answer,
                answered_at=old.answered_at and old.answered_at + shift,
                answered_by_id=old.answered_by_id,
                answer_dataset_id=old.answer_dataset_id,
                closed_at=old.closed_at and old.closed_at + shift,
                rating=old.rating,
                rating_comment=old.rating_comment,
                created_at=created,
                updated_at=created,
            )
            if new.state == "open" and new.deadline < timezone.localdate(now) and new.escalated_at is None:
                new.escalated_at = datetime.datetime.combine(
                    new.deadline, datetime.time(9), tzinfo=now.tzinfo
                )
            batch.append(new)
            extras.append((new, old))
            made_orders += 1
            if len(batch) >= 5000:
                flush()
        flush()

        # Notifications: the demo's events, subjects and links, to staff and requesters, the older mostly read.
        shapes = list(Notification.objects.values_list("event", "subject", "body", "url")[:5000])
        recipients = (
            list(User.objects.filter(username__startswith="bench_officer_").values_list("pk", flat=True)) * 4
            + citizens
            + list(
                User.objects.filter(
                    username__in=[
                        "officer",
                        "county_officer",
                        "reviewer",
                        "operator",
                        "citizen",
                        "enterprise",
                    ]
                ).values_list("pk", flat=True)
            )
            * 20
        )
        missing_n = notifications - Notification.objects.count()
        table = connection.ops.quote_name(Notification._meta.db_table)
        sql = (
            f"INSERT INTO {table} (recipient_id, event, subject, body, url, created_at, read_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s)"
        )
        rows = []
        made_n = 0
        with connection.cursor() as cur:
            for _i in range(max(0, missing_n)):
                event, subject, body, url = rng.choice(shapes)
                created = now - datetime.timedelta(seconds=rng.randrange(365 * 86400))
                read = (
                    created + datetime.timedelta(hours=rng.randint(1, 72))
                    if (now - created).days > 7 and rng.random() < 0.9
                    else None
                )
                rows.append((rng.choice(recipients), event, subject, body, url, created, read))
                if len(rows) >= 20000:
                    cur.executemany(sql, rows)
                    made_n += len(rows)
                    rows = []
            if rows:
                cur.executemany(sql, rows)
                made_n += len(rows)
    # The platform's periodic job (core.maintenance) keeps SQLite's statistics current; run it once here.
    from kaifang.core.maintenance import refresh_statistics

    refresh_statistics()
    return {
        "work_orders_added": made_orders,
        "notifications_added": made_n,
        "work_orders": WorkOrder.objects.count(),
        "notifications": Notification.objects.count(),
    }


def plan(seed: int, per_kind: int) -> dict[str, list[tuple[str, str]]]:
    """Sessions for many users and, per kind of page, a shuffled list of (path, cookie) requests."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from kaifang.accounts.models import RoleAssignment, User
    from kaifang.accounts.security import SESSION_2FA
    from kaifang.catalog.models import Concept
    from kaifang.interaction.models import PublicRequest
    from kaifang.operations.models import WorkOrder
    from kaifang.portal.workbench import QUEUES
    from kaifang.tenancy.models import Department

    rng = random.Random(seed)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    cookie_name = settings.SESSION_COOKIE_NAME
    sessions: dict[int, str] = {}

    def cookie(user: User) -> str:
        if user.pk not in sessions:
            s = SessionStore()
            s[SESSION_KEY] = str(user.pk)
            s[BACKEND_SESSION_KEY] = backend
            s[HASH_SESSION_KEY] = user.get_session_auth_hash()
            s[SESSION_2FA] = user.pk  # signed in with the second factor, as staff must
            s.create()
            sessions[user.pk] = f"{cookie_name}={s.session_key}"
        return sessions[user.pk]

    def users(role: str, n: int, **scope: object) -> list[User]:
        ids = list(
            RoleAssignment.objects.filter(role=role, user__is_active=True, **scope)
            .values_list("user_id", flat=True)
            .distinct()
        )
        rng.shuffle(ids)
        return list(User.objects.filter(pk__in=ids[:n]))

    # Officers whose departments have work (most orders), as many different ones as the list can use.
    busy = list(
        WorkOrder.objects.filter(state="open")
        .values_list("department_id", flat=True)
        .distinct()
        .exclude(department_id__isnull=True)
    )
    officers = users("officer", 120, department_id__in=busy)
    officers += list(User.objects.filter(username__in=["officer", "county_officer"]))
    reviewers = users("reviewer", 20)
    county_admins = users("county_admin", 10)
    singles = {
        u.username: u
        for u in User.objects.filter(username__in=["operator", "auditor", "evaluator", "reviewer"])
    }
    requester_ids = list(
        WorkOrder.objects.values_list("requester_id", flat=True).distinct().order_by("requester_id")[:3000]
    )
    rng.shuffle(requester_ids)
    requesters = list(User.objects.filter(pk__in=requester_ids[:300]))
    inbox_users = officers[:60] + reviewers + requesters[:100] + list(singles.values())

    def pick(seq: list[User]) -> User:
        return rng.choice(seq)

    kinds: dict[str, list[tuple[str, str]]] = {
        k: []
        for k in (
            "static file",
            "workbench: officer",
            "workbench: reviewer, county admin",
            "workbench: operator, auditor, evaluator",
            "workbench queues (full lists)",
            "audit search",
            "me + my queues",
            "workorders: queues and lists",
            "workorders: overdue",
            "inbox",
            "requests: public list",
        )
    }
    staff_queue_users = {
        "officer": officers,
        "reviewer": reviewers,
        "county": county_admins,
        "operator": [singles["operator"]],
    }
    depts = list(Department.objects.values_list("pk", flat=True))
    domains = list(Concept.objects.filter(scheme="domain").values_list("code", flat=True))
    n_requests = PublicRequest.objects.count()
    users_for_audit = list(
        User.objects.filter(username__startswith="bench_citizen_").values_list("username", flat=True)[:500]
    )
    for _i in range(per_kind):
        kinds["static file"].append((STATIC, ""))
        kinds["workbench: officer"].append(("/staff/", cookie(pick(officers))))
        kinds["workbench: reviewer, county admin"].append(
            ("/staff/", cookie(pick(reviewers + county_admins)))
        )
        kinds["workbench: operator, auditor, evaluator"].append(
            ("/staff/", cookie(singles[rng.choice(["operator", "auditor", "evaluator"])]))
        )
        name, spec = rng.choice([(n, s) for n, s in QUEUES.items() if s.section in staff_queue_users])
        page = rng.choice([1, 1, 1, 2, 3])
        kinds["workbench queues (full lists)"].append(
            (
                f"/staff/queues/{name.replace('_', '-')}/" + (f"?page={page}" if page > 1 else ""),
                cookie(pick(staff_queue_users[spec.section])),
            )
        )
        search = rng.choice(
            [
                {},
                {"user": rng.choice(users_for_audit)},
                {"action": rng.choice(["work_order_", "comment_", "dataset_", "public_request_"])},
                {"tab": "calls"},
                {"page": str(rng.randint(2, 20))},
            ]
        )
        kinds["audit search"].append(
            (
                "/staff/audit/" + ("?" + urllib.parse.urlencode(search) if search else ""),
                cookie(singles["auditor"]),
            )
        )
        me_name = rng.choice([n for n, s in QUEUES.items() if s.section == "me"])
        kinds["me + my queues"].append(
            (rng.choice(["/me/", f"/me/queues/{me_name.replace('_', '-')}/"]), cookie(pick(requesters)))
        )
        q: dict[str, str] = {}
        who = pick(officers + reviewers + county_admins + [singles["operator"], singles["reviewer"]])
        q["scope"] = rng.choice(["queue", "queue", "all"])
        if rng.random() < 0.4:
            q["state"] = rng.choice(WorkOrder.State.values)
        if rng.random() < 0.3:
            q["kind"] = rng.choice(WorkOrder.Kind.values)
        if rng.random() < 0.3:
            q["overdue"] = "1"
        if rng.random() < 0.3:
            q["page"] = str(rng.randint(2, 10))
        if rng.random() < 0.15:
            who, q = pick(requesters), {"scope": "mine"}
        kinds["workorders: queues and lists"].append(
            ("/workorders/?" + urllib.parse.urlencode(q), cookie(who))
        )
        kinds["workorders: overdue"].append(
            (
                "/workorders/overdue/",
                cookie(pick(reviewers + county_admins + officers[:20] + list(singles.values()))),
            )
        )
        kinds["inbox"].append(("/inbox/" + rng.choice(["", "", "?page=2"]), cookie(pick(inbox_users))))
        f: dict[str, str] = {}
        if rng.random() < 0.5:
            f["kind"] = rng.choice(PublicRequest.Kind.values)
        if rng.random() < 0.4:
            f["status"] = rng.choice(WorkOrder.State.values)
        if rng.random() < 0.3:
            f["department"] = str(rng.choice(depts))
        if rng.random() < 0.3:
            f["domain"] = rng.choice(domains)
        if rng.random() < 0.5:
            f["page"] = str(rng.randint(2, max(2, min(200, n_requests // 20))))
        anon = rng.random() < 0.6
        kinds["requests: public list"].append(
            (
                "/requests/" + ("?" + urllib.parse.urlencode(f) if f else ""),
                "" if anon else cookie(pick(requesters)),
            )
        )
    for rows in kinds.values():
        rng.shuffle(rows)
    return kinds


def inside(args: argparse.Namespace) -> int:
    _django(args.home)
    if args.inside == "multiply":
        print(json.dumps(multiply(args.work_orders, args.notifications)))
    else:
        print(json.dumps(plan(args.seed, args.per_kind), ensure_ascii=False))
    return 0


# --- the load ----------------------------------------------------------------------------------------------


def child(args: argparse.Namespace, what: str, env: dict[str, str]) -> object:
    out = subprocess.run(
        [
            str(PYTHON),
            __file__,
            "--inside",
            what,
            "--home",
            args.home,
            "--work-orders",
            str(args.work_orders),
            "--notifications",
            str(args.notifications),
            "--per-kind",
            str(args.per_kind),
            "--seed",
            str(args.seed),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{what} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def script_for(rows: list[tuple[str, str]]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(f"{p}\t{c}" for p, c in rows) + "\n")
        listing = f.name
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(SCRIPT.replace("LIST", listing))
        return f.name


def report(label: str, name: str, r: dict[str, float]) -> None:
    print(
        f"{label:<10} {name:<42} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
        f"errors {r['errors']}",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=10, help="length of each warm round of each kind")
    ap.add_argument("--cold-seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--work-orders", type=int, default=100_000)
    ap.add_argument("--notifications", type=int, default=1_000_000)
    ap.add_argument("--per-kind", type=int, default=1500, help="requests in each kind's varied list")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--home", default=str(ROOT / "var" / "bench-workbench"))
    ap.add_argument("--only", default="", help="comma-separated substrings: run only the kinds matching one")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--inside", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        return inside(args)
    wrk = ensure_wrk()
    env = {**os.environ, "KAIFANG_HOME": args.home, "KAIFANG_RUN_WORKER": "0", "KAIFANG_FEED_SIMULATOR": "0"}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(KAIFANG), "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(KAIFANG), "worker", "--batch"], env=env, check=True, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    sizes = child(args, "multiply", env)
    print(f"history multiplied in {time.monotonic() - started:.0f} s: {sizes}", flush=True)
    kinds: dict[str, list[tuple[str, str]]] = child(args, "plan", env)  # type: ignore[assignment]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        kinds = {k: v for k, v in kinds.items() if k == "static file" or any(w in k for w in wanted)}
    scripts = {name: script_for(rows) for name, rows in kinds.items()}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(KAIFANG), "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cold: dict[str, dict[str, float]] = {}
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in kinds}
    try:
        wait_until_up(base + STATIC)
        for name, script in scripts.items():
            cold[name] = run_wrk(wrk, base + "/", args.cold_seconds, args.connections, script)
            report("cold", name, cold[name])
        names = list(scripts)
        for i in range(args.rounds):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                r = run_wrk(wrk, base + "/", args.seconds, args.connections, scripts[name])
                rounds[name].append(r)
                report(f"round {i + 1}", name, r)
    finally:
        server.terminate()
        server.wait(timeout=60)
    warm = {name: sorted(runs, key=lambda r: r["rps"])[len(runs) // 2] for name, runs in rounds.items()}
    floor = warm["static file"]["p95_ms"]
    print()
    header = "| kind | cold p50 ms | cold p95 ms | warm req/s | warm p50 ms | warm p95 ms | warm p95 / static | met (p95 ≤ 100 ms, cold and warm) | errors |"
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for name in kinds:
        c, w = cold[name], warm[name]
        met = (
            "" if name == "static file" else ("yes" if max(c["p95_ms"], w["p95_ms"]) <= GOAL_MS else "**no**")
        )
        lines.append(
            f"| {name} | {c['p50_ms']:.1f} | {c['p95_ms']:.1f} | {w['rps']:.1f} | {w['p50_ms']:.1f} | "
            f"{w['p95_ms']:.1f} | {w['p95_ms'] / floor:.1f}x | {met} | {int(c['errors'] + sum(r['errors'] for r in rounds[name]))} |"
        )
    print("\n".join(lines))
    if args.record:
        title = (
            f"\n### Workbenches and request lists, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
            f"({sizes['work_orders']:,} work orders, {sizes['notifications']:,} notifications; "
            f"{args.connections} connections; {sum(len(v) for v in kinds.values()):,} varied requests as "
            f"{len({c for v in kinds.values() for _p, c in v if c}):,} signed-in users; cold round {args.cold_seconds} s, "
            f"median of {args.rounds} warm rounds of {args.seconds} s per kind; {args.workers} workers x 2 threads, "
            f"SQLite, {os.cpu_count()} shared cores)\n"
        )
        with (ROOT / "docs" / "performance.md").open("a", encoding="utf-8") as fh:
            fh.write(
                title + "\n`.venv/bin/python bench/workbench_bench.py --record`\n\n" + "\n".join(lines) + "\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
