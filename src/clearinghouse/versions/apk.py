"""Alpine / Wolfi / Chainguard version order, as ``apk version -t`` of apk-tools 2.

``number{.number}...{letter}{_suffix{number}}...{-r#}`` (the Gentoo scheme), read the way
apk-tools 2's ``apk_version_compare`` reads it: a ladder of token kinds (first number, dotted
number, letter, suffix, suffix number, revision, end) that a version may only climb, except
that a dotted number may follow a number, a suffix a suffix number, and a number a letter.
Two versions compare token by token while their kinds agree:

- numbers numerically; a dotted number with leading zeros is a fraction: each zero after
  the first lowers it (``1.00 < 1.0``, apk-tools 2.12 on), and after equally many zeros the
  digits compare as a string (``1.010 < 1.09``, the Gentoo rule of apk-tools 3);
- the letter by character; suffixes by rank (``alpha < beta < pre < rc``, all below no
  suffix, then ``cvs < svn < git < hg < p``), a name matching by prefix (``_pre1`` is
  ``pre``, ``_patch`` is ``p`` followed by junk); an unknown name ranks as ``rc``.

Where the kinds first differ, the version whose next token is a pre-release (or unknown)
suffix is lower; otherwise the later kind on the ladder is lower, so
``1.0_rc1 < 1.0 < 1.0-r1 < 1.0_p1 < 1.0a < 1.0.1``. A character that does not fit the
ladder (an upper-case letter, ``-`` not followed by ``r``, a ``.`` after a letter, an
unknown suffix name, anything else) makes the version *invalid* at that point: apk-tools 2
does not refuse it but stops reading there, so an invalid version is greater than any
valid continuation of the same prefix and equal to any other version invalid at the same
point after an equal prefix (``1-r0-1 = 1-r0-2``).

apk-tools 3 sorts such strings differently (invalid versions lower, ``~hash`` read); the
osv-scalibr vector files, taken from ``apk version -t``, follow apk-tools 2.
"""

from __future__ import annotations

import re

from clearinghouse.versions._common import DIGITS

__all__ = ["key"]

# apk-tools 2 token kinds, in ladder order (INVALID below everything).
_INVALID, _DOTTED, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _REVISION, _END = range(-1, 7)
_TERMINAL = (_END, _INVALID)

# Where kinds differ, a later kind sorts lower: the rank of a kind is its negation, INVALID
# ranks highest and a pre-release (or unknown) suffix lowest.
_RANK_PRE_SUFFIX = -_END - 1
_RANKS = {kind: -kind for kind in range(_INVALID, _END + 1)}

_SUFFIXES = (
    ("alpha", -4),
    ("beta", -3),
    ("pre", -2),
    ("rc", -1),
    ("cvs", 0),
    ("svn", 1),
    ("git", 2),
    ("hg", 3),
    ("p", 4),
)
_SUFFIX_VALUES = dict(_SUFFIXES)
_UNKNOWN_SUFFIX = -1

_WELL_FORMED = re.compile(
    r"([0-9]+)((?:\.[0-9]+)*)([a-z]?)"
    r"((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*)(?:-r([0-9]+))?",
    re.ASCII,
)
_SUFFIX_RUN = re.compile(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)([0-9]*)", re.ASCII)


def _digits_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in DIGITS:
        end += 1
    return end


def _suffix_at(text: str, start: int) -> tuple[int, int]:
    """``(value, length)`` of the suffix name at ``start``; length 0 for an unknown name."""
    if start >= len(text):
        return 0, 0
    for name, value in _SUFFIXES:
        if text.startswith(name, start):
            return value, len(name)
    return _UNKNOWN_SUFFIX, 0


def _next_kind(kind: int, text: str, index: int) -> tuple[int, int]:
    """The kind of the token at ``index`` after a token of ``kind``, and where it starts."""
    char = text[index]
    if kind in (_DIGIT, _DOTTED) and "a" <= char <= "z":
        return _LETTER, index
    if char in DIGITS and kind in (_LETTER, _SUFFIX):
        return (_DIGIT if kind == _LETTER else _SUFFIX_NO), index
    if char == ".":
        following = _DOTTED
    elif char == "_":
        following = _SUFFIX
    elif char == "-" and text.startswith("r", index + 1):
        following, index = _REVISION, index + 1
    else:
        return _INVALID, index + 1
    if following < kind and not (
        (following == _DOTTED and kind == _DIGIT) or (following == _SUFFIX and kind == _SUFFIX_NO)
    ):
        return _INVALID, index + 1
    return following, index + 1


def _rank(kind: int, text: str, index: int) -> int:
    if kind == _SUFFIX and _suffix_at(text, index)[0] < 0:
        return _RANK_PRE_SUFFIX
    return _RANKS[kind]


def key(version: str) -> tuple[object, ...]:
    """``(value, rank of the next kind, value, ...)``, ending with a terminal rank.

    Tuples compare like apk-tools 2 walks two versions: values of same-kind tokens in turn,
    then, at the first difference of kind, the ranks.
    """
    match = _WELL_FORMED.fullmatch(version)
    if match is not None:
        return _well_formed_key(match)
    return _walk(version.split("\0", 1)[0])


def _well_formed_key(match: re.Match[str]) -> tuple[object, ...]:
    """The key of a version that climbs the ladder without a stumble (the usual case)."""
    first, dotted, letter, suffixes, revision = match.groups()
    parts: list[object] = [int(first)]
    if dotted:
        for component in dotted[1:].split("."):
            parts.append(_RANKS[_DOTTED])
            if component[0] == "0":
                zeros = len(component) - len(component.lstrip("0"))
                parts += (1 - zeros, _RANKS[_DIGIT], (0, component[zeros - 1 :]))
            else:
                parts.append(int(component))
    if letter:
        parts += (_RANKS[_LETTER], ord(letter))
    if suffixes:
        for name, number in _SUFFIX_RUN.findall(suffixes):
            value = _SUFFIX_VALUES[name]
            parts += (_RANK_PRE_SUFFIX if value < 0 else _RANKS[_SUFFIX], value)
            if number:
                parts += (_RANKS[_SUFFIX_NO], int(number))
    if revision is not None:
        parts += (_RANKS[_REVISION], int(revision))
    parts.append(_RANKS[_END])
    return tuple(parts)


def _walk(text: str) -> tuple[object, ...]:
    """The key of any string, token by token (invalid versions included)."""
    end = _digits_end(text, 0)
    parts: list[object] = [int(text[:end]) if end else 0]
    kind, index = _following(_DIGIT, text, end)
    while True:
        parts.append(_rank(kind, text, index))
        if kind in _TERMINAL:
            return tuple(parts)
        value, kind, index = _read(kind, text, index)
        parts.append(value)


def _following(kind: int, text: str, index: int) -> tuple[int, int]:
    if index >= len(text):
        return _END, index
    return _next_kind(kind, text, index)


def _read(kind: int, text: str, index: int) -> tuple[object, int, int]:
    """``(value, next kind, where it starts)`` of the token of ``kind`` at ``index``."""
    if index >= len(text):
        return 0, _END, index
    if kind == _DOTTED and text[index] == "0":
        last_zero = index
        while last_zero + 1 < len(text) and text[last_zero + 1] == "0":
            last_zero += 1
        return index - last_zero, _DIGIT, last_zero
    if kind == _LETTER:
        return (ord(text[index]), *_following(kind, text, index + 1))
    if kind == _SUFFIX:
        value, length = _suffix_at(text, index)
        if not length:
            return value, _INVALID, index
        return (value, *_following(kind, text, index + length))
    end = _digits_end(text, index)
    digits = text[index:end]
    if kind == _DIGIT:
        number: object = (0, digits) if digits.startswith("0") else (1, int(digits or 0))
    else:
        number = int(digits or 0)
    return (number, *_following(kind, text, end))
