"""Database upkeep on the periodic scheduler."""

from __future__ import annotations

import datetime

from django.db import connection

from kaifang.core.periodic import periodic


@periodic("core.database_statistics", every=datetime.timedelta(hours=6))
def refresh_statistics() -> None:
    """Give SQLite's planner current statistics: without them it picks the index of one filter and sorts, where
    a covering index would walk in order (the public request list at 100,000 work orders: 80 ms against
    0.3 ms). `PRAGMA optimize` analyses only tables that changed enough since. PostgreSQL's autovacuum
    already does this."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize=0x10002")
