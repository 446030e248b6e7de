"""Fixed-window counters in the database, so every worker process sees the same numbers, held exactly.

A call is counted by one statement that adds 1 to each of its windows only while the window is under its
limit (INSERT … ON CONFLICT … DO UPDATE … WHERE count < limit … RETURNING, SQLite ≥ 3.35 and PostgreSQL):
the database serialises concurrent increments of one row, so no two workers can both take the last unit
(decision 0005). A window that returns no row is full; the call is refused and, in the same transaction,
not counted in any of its windows. At scale the same interface can sit on a Redis script
(INCR unless ≥ limit, EXPIRE).
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


class _Full(Exception):
    """Rolls back the increments of a call that one of its windows refuses."""


_TABLE = connection.ops.quote_name(RateCounter._meta.db_table)


def _take(keys: list[tuple[str, int]], limits: list[int]) -> dict[str, int] | None:
    """Count one call in every window if each is under its limit: the new counts by bucket, or None (and
    nothing counted) if any window is full."""
    values = ", ".join("(%s, %s, 1)" for _k in keys)
    cases = " ".join("WHEN %s THEN %s" for _k in keys)
    sql = (
        f"INSERT INTO {_TABLE} (bucket, period, count) VALUES {values} "  # noqa: S608 - table name is ours
        f"ON CONFLICT (bucket, period) DO UPDATE SET count = {_TABLE}.count + 1 "
        f"WHERE {_TABLE}.count < CASE {_TABLE}.bucket {cases} ELSE 0 END "
        "RETURNING bucket, count"
    )
    params: list[object] = [v for bucket, period in keys for v in (bucket, period)]
    params += [v for (bucket, _p), limit in zip(keys, limits, strict=True) for v in (bucket, limit)]
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
            counts = {bucket: int(count) for bucket, count in cur.fetchall()}
            if len(counts) < len(keys):
                raise _Full
    except _Full:
        return None
    return counts


def check(owner: str, windows: list[Window], *, now: float | None = None) -> Usage:
    """Count one request against each window; raise RateLimited (with Retry-After) when one is full."""
    now = time.time() if now is None else now
    starts = {w.name: int(now // w.seconds) for w in windows}
    keys = [(f"{owner}:{w.name}", starts[w.name]) for w in windows]
    # A zero limit admits nothing (the insert of a window's first call is not guarded by the WHERE).
    counts = _take(keys, [w.limit for w in windows]) if all(w.limit > 0 for w in windows) else None
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
        usage = Usage(limit=w.limit, remaining=w.limit - counts[bucket], reset=reset)
        if tightest is None or usage.remaining < tightest.remaining:
            tightest = usage
    if random.random() < 0.001:  # noqa: S311 - housekeeping, not security
        RateCounter.objects.filter(period__lt=int(now // 86400) - 2, bucket__endswith=":day").delete()
        RateCounter.objects.filter(period__lt=int(now // 60) - 10, bucket__endswith=":minute").delete()
    return tightest or Usage(limit=0, remaining=0, reset=0)


def _first_full(keys: list[tuple[str, int]], windows: list[Window]) -> Window:
    """The window that refused a call (the shortest one that is full), for its message and Retry-After."""
    rows = dict(
        RateCounter.objects.filter(bucket__in=[b for b, _p in keys], period__in=[p for _b, p in keys])
        .values_list("bucket", "count")
    )
    for w, (bucket, _period) in zip(windows, keys, strict=True):
        if rows.get(bucket, 0) >= w.limit:
            return w
    return windows[0]
