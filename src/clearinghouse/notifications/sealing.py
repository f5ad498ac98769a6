"""Webhook secrets encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

A webhook secret signs every delivery, so the clearinghouse needs it in clear: it cannot be
hashed like an API token. It is sealed with a key that is not in the database: the
``CLEARINGHOUSE_SECRET_KEY`` setting (several keys, comma-separated, newest first, to rotate)
or else ``secret.key`` in the data directory, created on first use, readable by its owner only.
A stolen database dump alone reveals no secret.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from clearinghouse.settings import Settings

KEY_FILE = "secret.key"


class SealingError(RuntimeError):
    """A sealed secret cannot be opened: the key that sealed it is not configured."""


class SecretSealer:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            raise SealingError(
                "a webhook secret was sealed with a key that is not configured "
                "(CLEARINGHOUSE_SECRET_KEY or the data directory's secret.key)"
            ) from None


def key_file_key(data_dir: Path) -> bytes:
    """The key in ``data_dir/secret.key``, created (mode 0600) by the first process to need it.

    The key is written to a private temporary file and hard-linked into place, so a concurrent
    process either creates the file whole or reads the one that won.
    """
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    key = path.read_bytes().strip()
    if not key:
        raise SealingError(f"{path} is empty")
    return key


def configured_keys(settings: Settings) -> list[bytes]:
    keys = [k.strip().encode() for k in settings.secret_key.split(",") if k.strip()]
    return keys or [key_file_key(settings.data_dir)]


@cache
def sealer_for(settings: Settings) -> SecretSealer:
    try:
        return SecretSealer(configured_keys(settings))
    except ValueError as exc:
        raise SealingError(f"CLEARINGHOUSE_SECRET_KEY is not a valid Fernet key: {exc}") from None
