"""Which backend serves search: settings.KAIFANG_SEARCH_BACKEND = "embedded" (default) or "postgres"."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kaifang.search.backends.base import Hit, SearchBackend, SearchResult

__all__ = ["Hit", "SearchBackend", "SearchResult", "get_backend", "index_root"]

_instances: dict[tuple[str, str], SearchBackend] = {}
_lock = threading.Lock()


def index_root() -> Path:
    from django.conf import settings

    return Path(settings.KAIFANG_HOME) / "search"


def backend_name() -> str:
    from django.conf import settings

    return getattr(settings, "KAIFANG_SEARCH_BACKEND", "embedded")


def get_backend(name: str | None = None) -> Any:
    name = name or backend_name()
    key = (name, str(index_root()) if name == "embedded" else "db")
    with _lock:
        backend = _instances.get(key)
        if backend is None:
            if name == "embedded":
                from kaifang.search.backends.embedded import EmbeddedBackend

                backend = EmbeddedBackend(index_root())
            elif name == "postgres":
                from kaifang.search.backends.postgres import PostgresBackend

                backend = PostgresBackend()
            else:
                raise ValueError(f"unknown search backend {name!r}")
            _instances[key] = backend
        return backend


def reset_backends() -> None:
    """Forget open backends (tests switch KAIFANG_HOME between cases)."""
    with _lock:
        for backend in _instances.values():
            backend.close()
        _instances.clear()
