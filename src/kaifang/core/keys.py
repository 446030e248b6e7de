"""Keys of this instance that must not live in the database: from the environment, or a file under
KAIFANG_HOME written once with mode 0600 (never replaced, even when two processes start at once)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings


def instance_key(setting: str, filename: str, error: type[Exception]) -> bytes:
    """A 32-byte key: `setting` (64 hex digits) from the environment or settings, else KAIFANG_HOME/filename."""
    value = os.environ.get(setting) or getattr(settings, setting, "")
    if value:
        key = bytes.fromhex(value)
        if len(key) != 32:
            raise error(f"{setting} must be 64 hex digits")
        return key
    path = Path(settings.KAIFANG_HOME) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # never replaces a key another process wrote first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text().strip())
