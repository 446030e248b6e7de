"""Secrets kept in the database (TOTP seeds) are sealed with AES-256-GCM under a key that is not in the database.

The key: `KAIFANG_FIELD_KEY` (64 hex digits) from the environment or settings, otherwise the file
`KAIFANG_HOME/field.key`, created once with mode 0600. A copy of the database alone (a backup, a dump, a
world-readable SQLite file) therefore does not yield a second factor. Sealed values read `kf1:<base64>`;
the associated data names the purpose so a value cannot be moved to a field of another kind.
"""

from __future__ import annotations

import base64
import secrets

PREFIX = "kf1:"


class FieldKeyError(Exception):
    pass


def _key() -> bytes:
    from kaifang.core.keys import instance_key

    return instance_key("KAIFANG_FIELD_KEY", "field.key", FieldKeyError)


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def seal(plain: str, purpose: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key()).encrypt(nonce, plain.encode(), purpose.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(value: str, purpose: str) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not is_sealed(value):
        raise FieldKeyError("not a sealed value")
    raw = base64.b64decode(value[len(PREFIX) :])
    try:
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except InvalidTag as exc:
        raise FieldKeyError("sealed value does not open with this instance's field key") from exc
