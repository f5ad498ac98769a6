"""Maven version order (``org.apache.maven.artifact.versioning.ComparableVersion``), as
osv-scalibr implements it.

The version is split into tokens at ``.``, ``-`` and every switch between digits and
non-digits (a switch counts as ``-``); each token keeps the separator before it. Qualifiers are
case-insensitive; ``cr`` is ``rc``; ``ga``, ``final`` and ``release`` are the empty qualifier;
``a``/``b``/``m`` directly followed by a number are ``alpha``/``beta``/``milestone``. Trailing
"null" tokens (``0``, empty, ``final``, ``ga``) are trimmed before each ``-``.

Tokens compare pairwise, the shorter version padded with null tokens: with the same separator,
numbers numerically and after qualifiers; qualifiers ``alpha < beta < milestone < rc <
snapshot < "" < sp`` then any other qualifier alphabetically; with different separators
``.qualifier < -qualifier < -number < .number``. The sort key is an object ordered by that rule.
"""

from __future__ import annotations

import re
from typing import Any

from clearinghouse.versions._common import ComparedKey, is_ascii_number

__all__ = ["MavenVersion", "key", "tokens"]

Token = tuple[str, str]
"""``(separator, value)``: separator ``""`` (first token), ``"."`` or ``"-"``."""

_SPLIT = re.compile(r"([-.])")
_TRANSITION = re.compile(r"(?<=[^0-9])(?=[0-9])|(?<=[0-9])(?=[^0-9])")
_KEYWORDS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_UNKNOWN = len(_KEYWORDS)
_ALIASES = {"cr": "rc", "ga": "", "final": "", "release": ""}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_NULLS = frozenset({"0", "", "final", "ga"})


def _keyword_index(value: str) -> int:
    try:
        return _KEYWORDS.index(value)
    except ValueError:
        return _UNKNOWN


def tokens(version: str) -> tuple[Token, ...]:
    pieces = _SPLIT.split(version.strip())
    result: list[Token] = []
    for index in range(0, len(pieces), 2):
        separator = pieces[index - 1] if index else ""
        chunks = _TRANSITION.split(pieces[index])
        for position, chunk in enumerate(chunks):
            value = chunk.lower() or "0"
            value = _ALIASES.get(value, value)
            if position < len(chunks) - 1:
                value = _SHORT.get(value, value)
            if is_ascii_number(value):
                value = str(int(value))
            result.append((separator if position == 0 else "-", value))
    return tuple(_trim(result))


def _trim(items: list[Token]) -> list[Token]:
    index = len(items) - 1
    while index > 0:
        if items[index][1] in _NULLS:
            del items[index]
            index -= 1
            continue
        while index >= 0 and items[index][0] != "-":
            index -= 1
        index -= 1
    return items


def _null_for(token: Token) -> tuple[Token, bool]:
    if token[0] == ".":
        return ((".", "" if token[1] == "sp" else "0"), True)
    return (("-", ""), True)


def _separator_rank(token: Token) -> int:
    number = is_ascii_number(token[1])
    if token[0] == "-":
        return 2 if number else 1
    return 3 if number else 0


def _less(left: Token, left_null: bool, right: Token, right_null: bool) -> bool:
    if left[0] != right[0]:
        return _separator_rank(left) < _separator_rank(right)
    left_number, right_number = is_ascii_number(left[1]), is_ascii_number(right[1])
    if left_number and right_number:
        return int(left[1]) < int(right[1])
    if left_number and not left_null:
        return False
    if right_number and not right_null:
        return True
    left_index, right_index = _keyword_index(left[1]), _keyword_index(right[1])
    if left_index == _UNKNOWN and right_index == _UNKNOWN:
        return left[1] < right[1]
    return left_index < right_index


def compare_tokens(a: tuple[Token, ...], b: tuple[Token, ...]) -> int:
    if a == b:
        return 0
    for index in range(max(len(a), len(b))):
        left, left_null = (a[index], False) if index < len(a) else _null_for(b[index])
        right, right_null = (b[index], False) if index < len(b) else _null_for(a[index])
        if left == right:
            continue
        return -1 if _less(left, left_null, right, right_null) else 1
    return 1


class MavenVersion(ComparedKey):
    """Sort key for Maven: ordered by :func:`compare_tokens`."""

    __slots__ = ("tokens",)

    def __init__(self, version_tokens: tuple[Token, ...]) -> None:
        self.tokens = version_tokens

    def _compare(self, other: Any) -> int:
        if not isinstance(other, MavenVersion):
            raise TypeError("can only compare Maven versions with each other")
        return compare_tokens(self.tokens, other.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MavenVersion) and self.tokens == other.tokens

    def __hash__(self) -> int:
        return hash(self.tokens)

    def __repr__(self) -> str:
        return f"MavenVersion({self.tokens!r})"


def key(version: str) -> MavenVersion:
    return MavenVersion(tokens(version))
