"""Fixed-window counters in the database, so every worker process sees the same numbers.

One atomic upsert per check (INSERT … ON CONFLICT … DO UPDATE … RETURNING, on SQLite ≥ 3.35 and
PostgreSQL); at scale the same interface can sit on Redis INCR + EXPIRE.
"""

from __future__ import annotations

import random
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


def _increment(buckets: list[tuple[str, int]]) -> dict[str, int]:
    """Count one call in every (bucket, period) with a single statement: one short write per request."""
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    values = ", ".join("(%s, %s, 1)" for _b in buckets)
    params = [v for pair in buckets for v in pair]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (bucket, period, count) VALUES {values} "  # noqa: S608 - table name is ours
            "ON CONFLICT (bucket, period) DO UPDATE SET count = "
            + table
            + ".count + 1 RETURNING bucket, count",
            params,
        )
        return {bucket: int(count) for bucket, count in cur.fetchall()}


def check(owner: str, windows: list[Window], *, now: float | None = None) -> Usage:
    """Count one request against each window; raise RateLimited (with Retry-After) when one is exceeded."""
    now = time.time() if now is None else now
    tightest: Usage | None = None
    starts = {w.name: int(now // w.seconds) for w in windows}
    counts = _increment([(f"{owner}:{w.name}", starts[w.name]) for w in windows])
    for w in windows:
        count = counts[f"{owner}:{w.name}"]
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
