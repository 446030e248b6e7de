"""Fixed-window counters in the database, so every worker process sees the same numbers, held exactly.

A call is counted by one statement that adds 1 to each of its windows only while the window is under its
limit (INSERT … ON CONFLICT … DO UPDATE … WHERE count < limit … RETURNING, SQLite ≥ 3.35 and PostgreSQL):
the database serialises concurrent increments of one row, so no two workers can both take the last unit
(decision 0005). A window that returns no row is full; the call is refused and, in the same transaction,
not counted in any of its windows. At scale the same interface can sit on a Redis script
(INCR unless ≥ limit, EXPIRE).
"""

from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from kaifang.core.errors import DomainError
from kaifang.core.memo import register
from kaifang.core.models import RateCounter


@dataclass(frozen=True)
class Window:
    name: str
    seconds: int
    limit: int


@dataclass
class Usage:
    limit: int
    remaining: int
    reset: int  # seconds until the window that ran out resets

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, usage: Usage, message: object) -> None:
        super().__init__(message)
        self.usage = usage


class _Full(Exception):
    """Rolls back the increments of a call that one of its windows refuses."""


_TABLE = connection.ops.quote_name(RateCounter._meta.db_table)


def _take(keys: list[tuple[str, int]], limits: list[int], sizes: list[int]) -> dict[str, int] | None:
    """Add `size` units to each window if each stays within its limit: the new counts by bucket, or None
    (and nothing counted) if any window cannot take its units."""
    values = ", ".join("(%s, %s, %s)" for _k in keys)
    cases = " ".join("WHEN %s THEN %s" for _k in keys)
    sql = (
        f"INSERT INTO {_TABLE} (bucket, period, count) VALUES {values} "  # noqa: S608 - table name is ours
        f"ON CONFLICT (bucket, period) DO UPDATE SET count = {_TABLE}.count + excluded.count "
        f"WHERE {_TABLE}.count + excluded.count <= CASE {_TABLE}.bucket {cases} ELSE 0 END "
        "RETURNING bucket, count"
    )
    params: list[object] = [
        v for (bucket, period), n in zip(keys, sizes, strict=True) for v in (bucket, period, n)
    ]
    params += [v for (bucket, _p), limit in zip(keys, limits, strict=True) for v in (bucket, limit)]
    try:
        with _one_writer(), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
            counts = {bucket: int(count) for bucket, count in cur.fetchall()}
            if len(counts) < len(keys):
                raise _Full
    except _Full:
        return None
    return counts


class Leases:
    """Units of a window a worker has already counted in the shared row and not yet used. A worker takes
    one unit per call from what it holds, and writes only when it holds none: then it adds a few units at
    once (never past the limit, in the conditional statement of `_take`), at most LEASE_MOST and at most a
    LEASE_SHARE-th of what it last saw left, and one unit when that fails. So no window ever lets more calls
    through than its limit, across any number of workers; windows with fewer than 2 × LEASE_SHARE calls left
    are counted call by call, exactly; and a caller whose calls are spread over W workers can at worst be
    refused W × (LEASE_MOST − 1) calls before a large limit, units other workers hold when the window ends."""

    LEASE_MOST = 16
    LEASE_SHARE = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, int], int] = {}
        self._seen: dict[tuple[str, int], int] = {}  # the shared count after this worker's last write

    def take(self, keys: list[tuple[str, int]], limits: list[int]) -> dict[tuple[str, int], int] | None:
        """Count one call in every window: the estimated units used per window, or None when one is full."""
        with self._lock:
            if all(self._held.get(k, 0) > 0 for k in keys):
                for k in keys:
                    self._held[k] -= 1
                return {k: self._seen.get(k, 0) - self._held[k] for k in keys}
            sizes = [
                max(1, min(self.LEASE_MOST, (limit - self._seen.get(k, 0)) // self.LEASE_SHARE, limit))
                for k, limit in zip(keys, limits, strict=True)
            ]
        if min(limits) <= 0:
            return None  # a zero limit admits nothing (a window's first insert is not guarded by the WHERE)
        counts = _take(keys, limits, sizes)
        if counts is None and max(sizes) > 1:
            sizes = [1] * len(keys)
            counts = _take(keys, limits, sizes)
        if counts is None:
            return None
        with self._lock:
            if len(self._held) > 50_000:  # past windows pile up; their units are gone with them
                self._held, self._seen = {}, {}
            for k, n in zip(keys, sizes, strict=True):
                self._held[k] = self._held.get(k, 0) + n - 1
                self._seen[k] = counts[k[0]]
            return {k: self._seen[k] - self._held[k] for k in keys}

    def clear(self) -> None:
        with self._lock:
            self._held, self._seen = {}, {}


LEASES = Leases()
register(LEASES)  # tests: a rolled-back test's counters must not leave units behind


class _OneWriter:
    """On SQLite, rate writers queue on a lock file beside the database before they begin. SQLite itself
    lets a waiting writer sleep and poll (1, 2, 5 … 100 ms), and one counter write per keyed call from every
    worker thread turned that into queues of sleepers (a 6x slower keyed data API); the kernel wakes the
    next flock waiter the moment the lock is free. One lock file per process (an inherited descriptor would
    share its lock with the parent) and a thread lock within it (flock does not exclude threads)."""

    def __init__(self) -> None:
        self._pid = 0
        self._fd = -1
        self._threads = threading.Lock()

    def _lock_file(self) -> int:
        if self._pid != os.getpid():
            name = str(connection.settings_dict.get("NAME") or "")
            if not name or name == ":memory:" or name.startswith("file:"):
                return -1
            self._fd = os.open(name + ".ratelock", os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            yield  # PostgreSQL locks the one row; within a transaction, waiting here could deadlock
            return
        with self._threads:
            fd = self._lock_file()
            if fd < 0:
                yield
                return
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


_one_writer = _OneWriter()


def check(owner: str, windows: list[Window], *, now: float | None = None) -> Usage:
    """Count one request against each window; raise RateLimited (with Retry-After) when one is full."""
    now = time.time() if now is None else now
    starts = {w.name: int(now // w.seconds) for w in windows}
    keys = [(f"{owner}:{w.name}", starts[w.name]) for w in windows]
    counts = LEASES.take(keys, [w.limit for w in windows])
    if counts is None:
        full = _first_full(keys, windows)
        reset = int((starts[full.name] + 1) * full.seconds - now) + 1
        message = (
            _("请求过于频繁，请在%(s)s秒后重试。")
            if full.name == "minute"
            else _("今日调用次数已用完，配额将在%(s)s秒后重置。")
        )
        raise RateLimited(Usage(limit=full.limit, remaining=0, reset=reset), str(message) % {"s": reset})
    tightest: Usage | None = None
    for w, (bucket, _period) in zip(windows, keys, strict=True):
        reset = int((starts[w.name] + 1) * w.seconds - now) + 1
        usage = Usage(limit=w.limit, remaining=w.limit - counts[(bucket, _period)], reset=reset)
        if tightest is None or usage.remaining < tightest.remaining:
            tightest = usage
    if random.random() < 0.001:  # noqa: S311 - housekeeping, not security
        RateCounter.objects.filter(period__lt=int(now // 86400) - 2, bucket__endswith=":day").delete()
        RateCounter.objects.filter(period__lt=int(now // 60) - 10, bucket__endswith=":minute").delete()
    return tightest or Usage(limit=0, remaining=0, reset=0)


def _first_full(keys: list[tuple[str, int]], windows: list[Window]) -> Window:
    """The window that refused a call (the shortest one that is full), for its message and Retry-After."""
    rows = dict(
        RateCounter.objects.filter(
            bucket__in=[b for b, _p in keys], period__in=[p for _b, p in keys]
        ).values_list("bucket", "count")
    )
    for w, (bucket, _period) in zip(windows, keys, strict=True):
        if rows.get(bucket, 0) >= w.limit:
            return w
    return windows[0]
