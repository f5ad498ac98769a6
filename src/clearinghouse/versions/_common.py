"""Small helpers shared by the ordering modules (pure, no I/O)."""

from __future__ import annotations

from typing import Any, Protocol

DIGITS = frozenset("0123456789")
ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Ordered(Protocol):
    """A sort key: anything that orders totally against keys of the same ordering."""

    def __lt__(self, other: Any, /) -> bool: ...


class ComparedKey:
    """A sort key ordered by a three-way ``_compare`` (for orders no tuple can express)."""

    __slots__ = ()

    def _compare(self, other: Any) -> int:
        raise NotImplementedError

    def __lt__(self, other: Any) -> bool:
        return self._compare(other) < 0

    def __le__(self, other: Any) -> bool:
        return self._compare(other) <= 0

    def __gt__(self, other: Any) -> bool:
        return self._compare(other) > 0

    def __ge__(self, other: Any) -> bool:
        return self._compare(other) >= 0


def is_ascii_number(text: str) -> bool:
    """True for a non-empty run of ASCII digits (``str.isdigit`` also accepts other scripts)."""
    return bool(text) and all(c in DIGITS for c in text)


def identifier_key(identifier: str) -> tuple[int, int, str]:
    """SemVer precedence of one dot-separated identifier: numbers before text, numbers numeric."""
    if is_ascii_number(identifier):
        return (0, int(identifier), "")
    return (1, 0, identifier)


def sign(value: int) -> int:
    return (value > 0) - (value < 0)
