"""Webhook secrets at rest: sealed with a key outside the database, rotatable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from clearinghouse.notifications.sealing import (
    KEY_FILE,
    SealingError,
    SecretSealer,
    configured_keys,
    key_file_key,
)
from clearinghouse.settings import Settings


def test_the_key_file_is_created_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = key_file_key(data_dir)
    assert key_file_key(data_dir) == first
    mode = stat.S_IMODE((data_dir / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE]
    sealed = SecretSealer([first]).seal("hospital-webhook-secret")
    assert "hospital-webhook-secret" not in sealed
    assert SecretSealer([key_file_key(data_dir)]).open(sealed) == "hospital-webhook-secret"


def test_the_setting_wins_over_the_key_file(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    keys = configured_keys(Settings(data_dir=tmp_path, secret_key=key.decode()))
    assert keys == [key]
    assert not (tmp_path / KEY_FILE).exists()


def test_keys_rotate_newest_first(tmp_path: Path) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    sealed_with_old = SecretSealer([old]).seal("secret-one")
    rotated = SecretSealer([new, old])
    assert rotated.open(sealed_with_old) == "secret-one"
    assert SecretSealer([new]).open(rotated.seal("secret-two")) == "secret-two"
    with pytest.raises(SealingError, match="not configured"):
        SecretSealer([new]).open(sealed_with_old)
