"""RubyGems version order (``Gem::Version#<=>``), as osv-scalibr implements it.

Like ``Gem::Version.new`` (and OSV.dev's ``GemVersion``), the string is stripped and every
``-`` is rewritten to ``.pre.`` first, so ``1.0.0-rc1`` is the pre-release ``1.0.0.pre.rc1``:
equal to it and below ``1.0.0``. RubyGems stores versions in that rewritten form, so a
published gem's version never holds a ``-``, but SBOMs and advisories written by other tools
can. (osv-scalibr's Go port skips the rewrite and keeps ``-rc`` as a string segment, which
puts ``1.0.0-rc1`` below ``1.0.0.pre.rc1``; its ordering vectors hold no ``-``.)

Segments are split at dots and at every switch between digits and non-digits; the leading
numeric segments form the release and the rest (from the first non-numeric segment on) the
pre-release part, and trailing zeros are dropped from each. Segments compare pairwise with the
shorter list padded by ``0``: numbers numerically, strings by byte order, a number beats a
string (so ``1.0.a`` < ``1.0``).

The key is a tuple compared element by element. The padding ``0`` is the final END element;
a zero inside the list sorts just below or just above END depending on whether the next
non-zero segment is below (a string) or above (a number) the padding, which keeps plain tuple
comparison equal to the padded pairwise one.
"""

from __future__ import annotations

from clearinghouse.versions._common import DIGITS, is_ascii_number

__all__ = ["key", "segments"]

_END = (1, 0, 1)


def _canonical(version: str) -> str:
    out: list[str] = []
    check_previous = False
    previous_was_digit = True
    for char in version:
        if char == ".":
            check_previous = False
            out.append(".")
            continue
        is_digit = char in DIGITS
        if check_previous and previous_was_digit != is_digit:
            out.append(".")
        out.append(char)
        previous_was_digit = is_digit
        check_previous = True
    return "".join(out)


def _drop_trailing_zeros(parts: list[str]) -> list[str]:
    end = len(parts)
    while end and parts[end - 1] == "0":
        end -= 1
    return parts[:end]


def segments(version: str) -> list[str]:
    """The canonical segments of a version, release then pre-release, trailing zeros dropped."""
    numbers: list[str] = []
    rest: list[str] = []
    for part in _canonical(version.strip().replace("-", ".pre.")).split("."):
        if rest or not is_ascii_number(part):
            rest.append(part)
        else:
            numbers.append(part)
    return _drop_trailing_zeros(numbers) + _drop_trailing_zeros(rest)


def key(version: str) -> tuple[object, ...]:
    elements: list[tuple[int, int, object]] = []
    pending_zeros = 0
    for part in segments(version):
        if is_ascii_number(part) and int(part) == 0:
            pending_zeros += 1
            continue
        element = (1, int(part), 0) if is_ascii_number(part) else (0, 0, part)
        if pending_zeros:
            zero = (1, 0, 2) if element > _END else (1, 0, 0)
            elements.extend([zero] * pending_zeros)
            pending_zeros = 0
        elements.append(element)
    elements.append(_END)
    return tuple(elements)
