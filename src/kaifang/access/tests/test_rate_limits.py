"""Rate limits are promises to data owners: many concurrent calls, in threads and in the processes of a real
server, never get more than the limit through (issue 12 item 7, decision 0005)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kaifang.accounts.models import ApiKey
from kaifang.accounts.services import api_key_create
from kaifang.core.models import RateCounter
from kaifang.core.ratelimit import RateLimited, Window, check

# PostgreSQL's default max_connections is 100 (the test database and the suite's own connections included):
# more threads than this would be refused connections, not rate-limited.
MOST_THREADS = 48


def _in_threads(n: int, call) -> list[object]:
    """Run `call` n times from up to MOST_THREADS threads started together (a barrier lines them up), each
    thread on its own connection, each making its share of the calls back to back."""
    width = min(n, MOST_THREADS)
    barrier = threading.Barrier(width)

    def share(i: int) -> list[object]:
        try:
            barrier.wait(timeout=30)
            return [call() for _ in range(i, n, width)]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=width) as pool:
        return [result for results in pool.map(share, range(width)) for result in results]


def _clear_of_a_minute_boundary() -> None:
    """Calls that straddle two minute windows would rightly get twice the limit: start early in one."""
    left = 60 - time.time() % 60
    if left < 20:
        time.sleep(left + 0.1)


def _allowed(owner: str, windows: list[Window], now: float = 1_000_020.0) -> bool:
    try:
        check(owner, windows, now=now)
    except RateLimited:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_never_exceed_a_grant_limit():
    windows = [Window("minute", 60, 30)]
    results = _in_threads(120, lambda: _allowed("grant:77", windows))
    assert results.count(True) == 30
    assert RateCounter.objects.get(bucket="grant:77:minute").count == 30  # refused calls are not counted


@pytest.mark.django_db(transaction=True)
def test_concurrent_keyed_calls_through_the_api_never_exceed_the_key_limit(personas):
    from django.test import Client

    key, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"])
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=30)

    def call() -> int:
        return Client().get("/api/v1/stats", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code

    _clear_of_a_minute_boundary()
    statuses = _in_threads(60, call)
    assert statuses.count(200) == 30 and statuses.count(429) == 30


@pytest.mark.django_db
def test_a_call_refused_by_one_window_is_counted_in_none():
    windows = [Window("minute", 60, 5), Window("day", 86400, 3)]
    assert [_allowed("key:q", windows) for _ in range(5)] == [True, True, True, False, False]
    counts = dict(RateCounter.objects.filter(bucket__startswith="key:q:").values_list("bucket", "count"))
    assert counts == {"key:q:minute": 3, "key:q:day": 3}
    with pytest.raises(RateLimited) as refused:
        check("key:q", windows, now=1_000_020.0)
    assert "配额" in str(refused.value.message) and refused.value.usage.limit == 3


@pytest.mark.django_db
def test_a_zero_limit_admits_nothing():
    assert not _allowed("key:none", [Window("minute", 60, 0)])
    assert not RateCounter.objects.filter(bucket="key:none:minute").exists()


@pytest.mark.django_db
def test_grant_rate_limit_on_the_data_api(client, personas, make_table):
    """A grantee's data calls are held to the grant's own per-minute rate."""
    import datetime

    from kaifang.access.models import AccessApplication, AccessGrant, AgreementTemplate
    from kaifang.catalog.codes import slug_for_code

    ds = make_table(
        "企业名称,纳税额\n甲公司,10\n乙公司,20\n",
        [{"name": "企业名称", "data_type": "C"}, {"name": "纳税额", "data_type": "N"}],
        open_attribute="conditional",
        open_condition="签署协议",
    )
    today = datetime.date.today()
    agreement, _ = AgreementTemplate.objects.get_or_create(
        version="v1", defaults={"title": "协议", "body": "正文", "is_current": True}
    )
    app = AccessApplication.objects.create(
        dataset=ds, applicant=personas["enterprise"], purpose="p", scenario="s", security_measures="m",
        requested_fields=["企业名称"], period_start=today, period_end=today + datetime.timedelta(days=30),
        agreement=agreement, agreement_accepted_at=ds.created_at, deadline=today, state="approved",
    )
    AccessGrant.objects.create(
        application=app, dataset=ds, grantee=personas["enterprise"], fields=["企业名称"],
        valid_from=today, valid_until=today + datetime.timedelta(days=30), rate_limit_per_minute=3,
    )
    _k, secret = api_key_create(actor=personas["enterprise"], owner=personas["enterprise"])
    _clear_of_a_minute_boundary()
    url = f"/api/v1/datasets/{slug_for_code(ds.code)}/data"
    statuses = [client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_limit_holds_across_the_worker_processes_of_a_real_server(tmp_path):
    """`kaifang serve` with two gunicorn worker processes on one SQLite database: 120 concurrent calls
    with a key allowed 30 a minute get exactly 30 answers."""
    home = tmp_path / "served"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAIFANG_TASKS_BACKEND")}
    env.update(
        KAIFANG_HOME=str(home), DJANGO_SETTINGS_MODULE="kaifang.config.settings", KAIFANG_RUN_WORKER="0"
    )
    # Call-log rows then reach the database only when a buffer fills (200) or its worker stops.
    env["KAIFANG_CALLLOG_FLUSH_SECONDS"] = "600"
    cli = [sys.executable, "-m", "kaifang.cli"]
    subprocess.run([*cli, "manage", "migrate", "-v0"], env=env, check=True, timeout=300)
    made = subprocess.run(
        [
            *cli, "manage", "shell", "-c",
            "from kaifang.accounts.models import User, ApiKey; from kaifang.accounts.services import api_key_create;"
            "u=User.objects.create_user('dev', password='x'*12); k,s=api_key_create(actor=u, owner=u);"
            "ApiKey.objects.filter(pk=k.pk).update(rate_limit_per_minute=30); print(s)",
        ],
        env=env, check=True, capture_output=True, text=True, timeout=120,
    )
    secret = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    serve = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/stats", timeout=5).read()  # noqa: S310 - loopback
                break
            except OSError:
                assert time.monotonic() < deadline and serve.poll() is None, "the server did not answer"
                time.sleep(0.3)
        _clear_of_a_minute_boundary()

        def call(_i: int) -> int:
            request = urllib.request.Request(base + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        with ThreadPoolExecutor(max_workers=24) as pool:
            statuses = list(pool.map(call, range(120)))
        assert statuses.count(200) == 30 and statuses.count(429) == 90, statuses
        # Call-log rows are buffered per worker and written in batches: a stop writes what is left.
        for i in range(40):
            try:
                urllib.request.urlopen(f"{base}/files/nope-{i}.csv", timeout=30).read()  # noqa: S310 - loopback
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    counted = subprocess.run(
        [*cli, "manage", "shell", "-c",
         "from kaifang.access.models import CallLog; print(CallLog.objects.filter(endpoint='file').count())"],
        env=env, check=True, capture_output=True, text=True, timeout=120,
    )
    assert counted.stdout.strip().splitlines()[-1] == "40"


@pytest.mark.django_db
def test_units_taken_ahead_never_let_more_through_than_the_limit():
    """Far from a limit a worker counts a few units at once (fewer writes); across two workers the calls let
    through never pass the limit, and one worker alone gets exactly the limit."""
    from kaifang.core.ratelimit import Leases

    keys, limits = [("grant:9:minute", 5)], [200]
    one, two = Leases(), Leases()
    allowed = sum(1 for i in range(400) if (one if i % 3 else two).take(keys, limits) is not None)
    assert 200 - 2 * (Leases.LEASE_MOST - 1) <= allowed <= 200
    assert RateCounter.objects.get(bucket="grant:9:minute").count <= 200
    alone = Leases()
    keys = [("grant:10:minute", 5)]
    assert sum(1 for _ in range(300) if alone.take(keys, limits) is not None) == 200
    writes = RateCounter.objects.get(bucket="grant:10:minute").count
    assert writes == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_against_a_large_limit_never_exceed_it():
    windows = [Window("minute", 60, 300)]
    results = _in_threads(60, lambda: [_allowed("grant:78", windows) for _ in range(10)])
    assert sum(r.count(True) for r in results) == 300  # one process: what it holds it uses itself
    assert RateCounter.objects.get(bucket="grant:78:minute").count == 300
