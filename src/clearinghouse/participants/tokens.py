"""API tokens: generation, hashing, verification."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "chs_"  # noqa: S105  (a public prefix, not a secret)


def new_token() -> str:
    """A fresh bearer token: ``chs_`` + 43 URL-safe characters (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 hex digest: tokens are high-entropy, so a fast hash is safe and lookups are O(1)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_display_prefix(token: str) -> str:
    return token[: len(TOKEN_PREFIX) + 6]
