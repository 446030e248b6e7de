"""The raw zone: un-masked table versions, encrypted at rest (desensitized storage, P8).

As soon as an upload is ingested, its raw Parquet object is sealed: encrypted with AES-256-GCM into
`KAIFANG_HOME/rawzone/<sha[:2]>/<sha>.kfraw`, and the plain object is removed from the store. Nothing public
ever reads the raw zone. The privacy review, the gate and the masked previews read a decrypted copy in
memory (`raw_file`, removed after use); the department's own officers download the raw file decrypted
chunk by chunk.

File format: the magic `KFRAW1`, then chunks of `len (4 bytes) ‖ ciphertext+tag`. Each chunk of up to
4 MiB is sealed with nonce = 8 random bytes of the file ‖ the chunk's 4-byte index, and the associated data
names the chunk index and whether it is the last one, so chunks cannot be reordered, dropped or the file
truncated without the decryption failing.

The key: `KAIFANG_RAW_ZONE_KEY` (64 hex digits) from the environment or settings, otherwise a key file
`KAIFANG_HOME/raw_zone.key` created once with mode 0600. It is never stored next to the data it protects
in a backup that leaves the instance (keep the key file out of data backups, or set the variable).
"""

from __future__ import annotations

import os
import secrets
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

MAGIC = b"KFRAW1"
CHUNK = 4 * 1024 * 1024


class RawZoneError(Exception):
    pass


def _key() -> bytes:
    from kaifang.core.keys import instance_key

    return instance_key("KAIFANG_RAW_ZONE_KEY", "raw_zone.key", RawZoneError)


def root() -> Path:
    d = Path(settings.KAIFANG_HOME) / "rawzone"
    d.mkdir(parents=True, exist_ok=True)
    return d


def sealed_path(digest: str) -> Path:
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise ValueError(digest)
    return root() / digest[:2] / f"{digest}.kfraw"


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">I?", index, last)


def encrypt_file(src: Path, dest: Path) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(_key())
    prefix = secrets.token_bytes(8)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".{secrets.token_hex(4)}.tmp")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        fout.write(MAGIC + prefix)
        index = 0
        chunk = fin.read(CHUNK)
        while True:
            following = fin.read(CHUNK) if chunk else b""
            last = not following
            sealed = aead.encrypt(prefix + struct.pack(">I", index), chunk, _aad(index, last))
            fout.write(struct.pack(">I", len(sealed)) + sealed)
            if last:
                break
            chunk, index = following, index + 1
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dest)


def decrypt_chunks(src: Path) -> Iterator[bytes]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(_key())
    with open(src, "rb") as fin:
        head = fin.read(len(MAGIC) + 8)
        if head[: len(MAGIC)] != MAGIC:
            raise RawZoneError("not a raw-zone file")
        prefix = head[len(MAGIC) :]
        index = 0
        while True:
            size_bytes = fin.read(4)
            if len(size_bytes) != 4:
                raise RawZoneError("truncated raw-zone file")
            sealed = fin.read(struct.unpack(">I", size_bytes)[0])
            nonce = prefix + struct.pack(">I", index)
            last = _at_end(fin)
            try:
                yield aead.decrypt(nonce, sealed, _aad(index, last))
            except InvalidTag as exc:
                raise RawZoneError("raw-zone file failed authentication") from exc
            if last:
                return
            index += 1


def _at_end(fh: Any) -> bool:
    pos = fh.tell()
    more = fh.read(1)
    fh.seek(pos)
    return not more


def decrypt_to(src: Path, dest: Path) -> None:
    with open(dest, "wb") as fout:
        for chunk in decrypt_chunks(src):
            fout.write(chunk)


def seal(digest: str, plain: Path) -> Path:
    """Encrypt a raw object into the raw zone (idempotent: an object already sealed is kept)."""
    dest = sealed_path(digest)
    if not dest.exists():
        encrypt_file(plain, dest)
    return dest


def _scratch() -> str | None:
    """Where decrypted copies live while they are read: memory (/dev/shm) where the system has it, so the
    plain raw data never reaches a disk; else the system's temporary directory."""
    shm = "/dev/shm"  # noqa: S108 - only as the parent of a mkdtemp directory (0700, random name)
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


@contextmanager
def raw_file(store_key: str, digest: str) -> Iterator[Path]:
    """The raw Parquet of a version as a local path: the plain store object while it exists, else a
    decrypted temporary copy (removed on exit). FileNotFoundError when it was destroyed."""
    from kaifang.tabular.store import get_store

    plain = get_store().local_path(store_key) if store_key else None
    if plain is not None and plain.is_file():
        yield plain
        return
    sealed = sealed_path(digest) if digest else None
    if sealed is None or not sealed.is_file():
        raise FileNotFoundError(digest)
    with tempfile.TemporaryDirectory(prefix="kf-raw-", dir=_scratch()) as tmp:
        dest = Path(tmp) / "raw.parquet"
        decrypt_to(sealed, dest)
        yield dest
