"""Rendered page fragments (a workbench section, a queue page, the public request list) kept per process
until the next state change.

Every state change a queue or list shows is made by a service that writes an audit event in its own
transaction, so the newest audit event's id is a generation that moves whenever any of them may have changed;
a fragment is kept for that generation and the current day (waiting days and deadlines move with the date)
and language, under a key that names everything else it depends on (the user and their roles, the section,
the page and filters). What no audit event records (task queues, the mail outbox) goes into the key as a
short time bucket by the caller. The first request after a change renders afresh; the benchmark reports it
as the cold case (bench/workbench_bench.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import translation

from kaifang.core import clock
from kaifang.core.memo import GenerationMemo

# Each entry is a rendered fragment of some kilobytes: a few thousand stay well under 100 MB per process.
_FRAGMENTS = GenerationMemo(most=2048)


def audit_generation() -> int:
    from kaifang.core.models import AuditEvent

    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - a model's table name
        return int(cursor.fetchone()[0])


def fragment(key: tuple[Any, ...], render: Callable[[], str]) -> str:
    """The fragment `render()` makes for `key` at the current generation, day and language, rendered once."""
    full = (*key, translation.get_language(), clock.today())
    return _FRAGMENTS.get(audit_generation(), full, render)
