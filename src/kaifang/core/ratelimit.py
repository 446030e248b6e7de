"""Fixed-window counters in the database, so every worker process sees the same numbers.

One atomic upsert per check (INSERT … ON CONFLICT … DO UPDATE … RETURNING, on SQLite ≥ 3.35 and
PostgreSQL); at scale the same interface can sit on Redis INCR + EXPIRE.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from kaifang.core.errors import DomainError
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


def _increment(counts: list[tuple[tuple[str, int], int]]) -> dict[tuple[str, int], int]:
    """Add counts to their (bucket, period) rows in one statement; return the new totals."""
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    values = ", ".join("(%s, %s, %s)" for _c in counts)
    params = [v for (bucket, period), n in counts for v in (bucket, period, n)]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (bucket, period, count) VALUES {values} "  # noqa: S608 - table name is ours
            "ON CONFLICT (bucket, period) DO UPDATE SET count = "
            + table
            + ".count + excluded.count RETURNING bucket, period, count",
            params,
        )
        return {(bucket, int(period)): int(count) for bucket, period, count in cur.fetchall()}


class _LocalCounts:
    """Each worker counts in memory and adds its counts to the shared rows every FLUSH_SECONDS, or on every
    call once a window is past NEAR_LIMIT of its limit: cheap far from a limit, exact close to it. The most
    a limit can be overshot is what the other workers counted in their last FLUSH_SECONDS."""

    FLUSH_SECONDS = 0.5
    NEAR_LIMIT = 0.8

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, int], int] = {}
        self.known: dict[tuple[str, int], int] = {}
        self.last_flush = 0.0

    def count(self, keys: list[tuple[str, int]], limits: list[int]) -> list[int]:
        with self.lock:
            for key in keys:
                self.pending[key] = self.pending.get(key, 0) + 1
            estimates = [self.known.get(k, 0) + self.pending[k] for k in keys]
            due = time.monotonic() - self.last_flush >= self.FLUSH_SECONDS
            near = any(e > lim * self.NEAR_LIMIT for e, lim in zip(estimates, limits, strict=True))
            if not (due or near):
                return estimates
            batch, self.pending = self.pending, {}
            self.last_flush = time.monotonic()
        totals = _increment(list(batch.items()))
        with self.lock:
            if len(self.known) > 50_000:  # old windows pile up; the database keeps the truth
                self.known = {}
            for (bucket, period), total in totals.items():
                self.known[(bucket, period)] = total
            return [self.known.get(k, 0) + self.pending.get(k, 0) for k in keys]


LOCAL = _LocalCounts()


def check(owner: str, windows: list[Window], *, now: float | None = None) -> Usage:
    """Count one request against each window; raise RateLimited (with Retry-After) when one is exceeded."""
    now = time.time() if now is None else now
    tightest: Usage | None = None
    starts = {w.name: int(now // w.seconds) for w in windows}
    keys = [(f"{owner}:{w.name}", starts[w.name]) for w in windows]
    counts = LOCAL.count(keys, [w.limit for w in windows])
    for w, count in zip(windows, counts, strict=True):
        reset = int((starts[w.name] + 1) * w.seconds - now) + 1
        usage = Usage(limit=w.limit, remaining=w.limit - count, reset=reset)
        if count > w.limit:
            message = (
                _("请求过于频繁，请在%(s)s秒后重试。")
                if w.name == "minute"
                else _("今日调用次数已用完，配额将在%(s)s秒后重置。")
            )
            raise RateLimited(usage, str(message) % {"s": reset})
        if tightest is None or usage.remaining < tightest.remaining:
            tightest = usage
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        RateCounter.objects.filter(period__lt=int(now // 86400) - 2, bucket__endswith=":day").delete()
        RateCounter.objects.filter(period__lt=int(now // 60) - 10, bucket__endswith=":minute").delete()
    return tightest or Usage(limit=0, remaining=0, reset=0)
