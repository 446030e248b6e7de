"""Rendered page fragments (a workbench section, a queue page, the public request list) kept until the next
state change.

Every state change a queue or list shows is made by a service that writes an audit event in its own
transaction, so the newest audit event (its id and time: a rebuilt database starts its ids again) is a
generation that moves whenever any of them may have changed; a fragment is kept for that generation and the
current day (waiting days and deadlines move with the date) and language, under a key that names everything
else it depends on (the user and their roles, the section, the page and filters). What no audit event records
(task queues, the mail outbox) goes into the key as a short time bucket by the caller.

Two levels: each process keeps the fragments it used last (no copying, no locks beyond its own), and all
processes on the machine share a disk cache (diskcache: SQLite in KAIFANG_HOME/cache/fragments), so a page one
worker rendered is served by the others. The first request after a change renders afresh; the benchmark
reports it as the cold case (bench/workbench_bench.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import translation
from django.utils.safestring import mark_safe

from kaifang.core import clock
from kaifang.core.memo import register

logger = logging.getLogger(__name__)

# Each entry is a rendered fragment of some kilobytes; the least recently used go first. Every worker process
# keeps its own, so the number of distinct pages asked for (users x filters x pages) must fit several times.
MOST = 8192


class _Fragments:
    def __init__(self) -> None:
        self._generation: tuple[int, str] = (-1, "")
        self._values: OrderedDict[Any, str] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._generation, self._values = (-1, ""), OrderedDict()
        _shared().clear()

    def get(self, generation: tuple[int, str], key: Any, render: Callable[[], str]) -> str:
        with self._lock:
            if generation[0] > self._generation[0] or generation[1] > self._generation[1]:
                # Newer: a later event, or a database rebuilt since (its ids start again, its times do not).
                self._generation, self._values = generation, OrderedDict()
            current = generation == self._generation
            if current and key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        shared_key = repr((generation, key))
        value = _shared_get(shared_key) if current else None
        if value is None:
            value = render()
            if current:
                _shared_set(shared_key, value)
        # A request that read an older generation than the newest seen keeps nothing.
        if current:
            with self._lock:
                if generation == self._generation:
                    self._values[key] = value
                    if len(self._values) > MOST:
                        self._values.popitem(last=False)
        return value


_SHARED: dict[int, Any] = {}
SHARED_BYTES = 512 * 1024**2


def _shared() -> Any:
    """This process's handle on the machine's shared fragment cache, opened on first use (after a fork)."""
    handle = _SHARED.get(os.getpid())
    if handle is None:
        import diskcache
        from django.conf import settings

        handle = diskcache.Cache(
            str(settings.KAIFANG_HOME / "cache" / "fragments"),
            size_limit=SHARED_BYTES,
            eviction_policy="least-recently-stored",
        )
        _SHARED.clear()
        _SHARED[os.getpid()] = handle
    return handle


def _shared_get(key: str) -> str | None:
    try:
        value = _shared().get(key)
    except Exception:  # a damaged or locked cache file costs a rendering, never the page
        return None
    return mark_safe(value) if isinstance(value, str) else None  # noqa: S308 - our own rendered HTML


def _shared_set(key: str, value: str) -> None:
    try:
        _shared().set(key, str(value), expire=48 * 3600)
    except Exception:
        logger.warning("fragment cache not written", exc_info=True)


_FRAGMENTS = _Fragments()
register(_FRAGMENTS)


def audit_generation() -> tuple[int, str]:
    """The newest audit event's id and time."""
    from kaifang.core.models import AuditEvent

    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, created_at FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608 - a model's table name
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def fragment(key: tuple[Any, ...], render: Callable[[], str]) -> str:
    """The fragment `render()` makes for `key` at the current generation, day and language, rendered once."""
    full = (*key, translation.get_language(), clock.today())
    return _FRAGMENTS.get(audit_generation(), full, render)
