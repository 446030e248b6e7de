"""Values kept per process for one catalog generation, as live objects.

Django's local-memory cache pickles what it stores and unpickles it on every read: for a dataset with its
department and a table version with its schema and profile that is ~0.4 ms of a data call that takes ~3 ms
(about one call in eight). What anonymous readers are shown is the same for everyone until a service
commits a change (decision 0004), so a dictionary per process, emptied when the generation moves on, serves
it without copying. Callers take a shallow copy (`copy.copy`) of a model instance before setting attributes
on it, so no request sees another's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_ALL: list[Any] = []


def register(holder: Any) -> None:
    """Have clear_memos() also empty another per-process holder (anything with a clear() method)."""
    _ALL.append(holder)


def clear_memos() -> None:
    """Forget every memo (tests: a rolled-back test's audit ids come again with other data)."""
    for memo in _ALL:
        memo.clear()


class GenerationMemo:
    def __init__(self, most: int = 512) -> None:
        self._generation: int | None = None
        self._values: dict[Any, Any] = {}
        self._lock = threading.Lock()
        self._most = most
        _ALL.append(self)

    def clear(self) -> None:
        with self._lock:
            self._generation, self._values = None, {}

    def get(
        self, generation: int, key: Any, compute: Callable[[], Any], keep: Callable[[Any], bool] | None = None
    ) -> Any:
        """The value for `key` at `generation`, computed once. A request that read an older generation than
        the newest seen (another thread's service committed in between) computes without keeping; so does
        one whose value `keep` refuses (an unknown API key must not fill the memo)."""
        with self._lock:
            if self._generation is None or generation > self._generation:
                self._generation, self._values = generation, {}
            current = generation == self._generation
            if current and key in self._values:
                return self._values[key]
        value = compute()
        if current and (keep is None or keep(value)):
            with self._lock:
                if generation == self._generation:
                    if len(self._values) >= self._most:
                        self._values.clear()
                    self._values[key] = value
        return value


class ObjectMemo:
    """Values computed from immutable inputs only (a store object named by its hash, a query over it): true
    for as long as the process lives, so no generation; bounded, emptied when full."""

    def __init__(self, most: int = 4096) -> None:
        self._memo = GenerationMemo(most)  # registered itself for clear_memos()

    def clear(self) -> None:
        self._memo.clear()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        return self._memo.get(0, key, compute)
