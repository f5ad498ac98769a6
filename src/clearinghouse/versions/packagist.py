"""Packagist / Composer version order, as PHP ``version_compare`` (what osv-scalibr implements).

The version is canonicalised (leading ``v`` dropped, ``-``/``_``/``+`` become ``.``, a ``.`` is
put between digits and letters) and split at dots. Parts compare pairwise: numbers numerically;
special forms by their first letters ``dev`` < ``alpha``/``a`` < ``beta``/``b`` < ``RC``/``rc`` <
number < ``pl``/``p`` (any other word ranks with ``dev``); a number against a word ranks as
``#`` (between ``rc`` and ``p``). When one version runs out, a following number makes the
longer one greater, otherwise its rest is compared against ``#``.

``version_compare`` is not transitive for some inputs (a literal ``#`` equals every number), so
the sort key is an object comparing with that pairwise rule instead of a tuple.
"""

from __future__ import annotations

import re
from typing import Any

from clearinghouse.versions._common import ComparedKey, is_ascii_number, sign

__all__ = ["PackagistVersion", "compare_parts", "key", "parts"]

_SEPARATORS = re.compile(r"[-_+]")
_LETTER_DIGIT = re.compile(r"([^0-9.])([0-9])")
_DIGIT_LETTER = re.compile(r"([0-9])([^0-9.])")
_SPECIALS = ("dev", "a", "b", "rc", "#", "p")
_NUMBER_FORM = "#"


def parts(version: str) -> tuple[str, ...]:
    text = version.strip()
    text = text.removeprefix("v").removeprefix("V")
    text = _SEPARATORS.sub(".", text)
    text = _LETTER_DIGIT.sub(r"\1.\2", text)
    text = _DIGIT_LETTER.sub(r"\1.\2", text)
    return tuple(text.split("."))


def _special_weight(part: str) -> int:
    if part.startswith("RC"):
        return 3
    for weight, special in enumerate(_SPECIALS):
        if part.startswith(special):
            return weight
    return 0


def _compare_part(a: str, b: str) -> int:
    a_number, b_number = is_ascii_number(a), is_ascii_number(b)
    if a_number and b_number:
        return sign(int(a) - int(b))
    return sign(
        _special_weight(_NUMBER_FORM if a_number else a)
        - _special_weight(_NUMBER_FORM if b_number else b)
    )


def compare_parts(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    for x, y in zip(a, b, strict=False):
        result = _compare_part(x, y)
        if result:
            return result
    if len(a) > len(b):
        if is_ascii_number(a[len(b)]):
            return 1
        return compare_parts(a[len(b) :], (_NUMBER_FORM,))
    if len(a) < len(b):
        if is_ascii_number(b[len(a)]):
            return -1
        return compare_parts((_NUMBER_FORM,), b[len(a) :])
    return 0


class PackagistVersion(ComparedKey):
    """Sort key for Packagist: ordered by :func:`compare_parts`."""

    __slots__ = ("parts",)

    def __init__(self, version_parts: tuple[str, ...]) -> None:
        self.parts = version_parts

    def _compare(self, other: Any) -> int:
        if not isinstance(other, PackagistVersion):
            raise TypeError("can only compare Packagist versions with each other")
        return compare_parts(self.parts, other.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PackagistVersion) and self._compare(other) == 0

    def __hash__(self) -> int:
        classes = [_NUMBER_FORM if is_ascii_number(p) else _special_weight(p) for p in self.parts]
        hash_number = _special_weight(_NUMBER_FORM)
        while classes and classes[-1] in (_NUMBER_FORM, hash_number):
            classes.pop()
        return hash(tuple(hash_number if c == _NUMBER_FORM else c for c in classes))

    def __repr__(self) -> str:
        return f"PackagistVersion({'.'.join(self.parts)!r})"


def key(version: str) -> PackagistVersion:
    return PackagistVersion(parts(version))
