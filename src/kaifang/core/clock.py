"""The platform's clock. Services that timestamp what they record ask `now()` (and models use it as their
default) instead of `timezone.now()`, so the demo can build a year of plausible history through the real
services by running them `at(moment)`; everything else always sees the real time."""

from __future__ import annotations

import contextvars
import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_override: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar(
    "kaifang_clock", default=None
)


def now() -> datetime.datetime:
    return _override.get() or timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())


@contextmanager
def at(moment: datetime.datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (aware). For the demo builder and tests only."""
    token = _override.set(moment)
    try:
        yield
    finally:
        _override.reset(token)
