"""The content-addressed Parquet store.

Objects are named by the SHA-256 of their bytes (`ab/abcdef….parquet`), so a version's key is its hash and
two identical uploads share one object. A new object is first written to `tmp/` and then moved into place
with `os.replace` (atomic on one file system): a process killed while writing leaves only a stray temp
file, never a half object under a real key. The interface (`new_temp`, `put`, `local_path`, `open`,
`exists`) is what an fsspec/S3 backend implements too; DuckDB reads `local_path` (or an s3:// URL there).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

CHUNK = 8 * 1024 * 1024


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        (self.root / "objects").mkdir(parents=True, exist_ok=True)

    def new_temp(self, suffix: str = ".parquet") -> Path:
        """A fresh path in the store's temp area (same file system as the objects, so the move is atomic)."""
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        return self.root / "tmp" / f"{uuid.uuid4().hex}{suffix}"

    def put(self, temp: Path) -> tuple[str, str, int]:
        """Move a finished temp file into place under its hash. Returns (key, sha256, size)."""
        digest = file_sha256(temp)
        key = f"{digest[:2]}/{digest}.parquet"
        dest = self.root / "objects" / key
        dest.parent.mkdir(parents=True, exist_ok=True)
        size = temp.stat().st_size
        os.replace(temp, dest)
        return key, digest, size

    def local_path(self, key: str) -> Path:
        if not key or ".." in key or key.startswith("/"):
            raise ValueError(key)
        return self.root / "objects" / key

    def exists(self, key: str) -> bool:
        return self.local_path(key).is_file()

    def open(self, key: str) -> BinaryIO:
        return open(self.local_path(key), "rb")

    def sweep_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files left by killed processes."""
        import time

        n = 0
        for p in (self.root / "tmp").iterdir():
            if time.time() - p.stat().st_mtime > older_than_seconds:
                p.unlink(missing_ok=True)
                n += 1
        return n


_stores: dict[str, LocalStore] = {}


def get_store() -> LocalStore:
    # One per home and process: every data call resolves a few paths through it, and making one creates
    # its folders (two mkdir calls).
    root = str(settings.KAIFANG_HOME)
    found = _stores.get(root)
    if found is None:
        found = _stores[root] = LocalStore(Path(root) / "store")
    return found


def uploads_dir() -> Path:
    d = Path(settings.KAIFANG_HOME) / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d
