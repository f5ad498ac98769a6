"""Debian / Ubuntu version order, as ``dpkg --compare-versions`` (deb-version(7)).

``[epoch:]upstream[-revision]``: epochs compare numerically; upstream and revision compare by
alternating runs of non-digits (character by character: ``~`` first, then the end of the run,
then letters, then everything else in ASCII order) and runs of digits (numerically). A missing
revision is ``0``. An epoch that is not a number is treated as part of the upstream version, so
malformed strings still order.

The key encodes each string as ``(chars, number, chars, number, ..., END)``: trailing empty
pairs are dropped and the final ``(END,)`` stands for the implicit padding with empty runs, so
plain tuple comparison gives dpkg's answer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from clearinghouse.versions._common import is_ascii_number

__all__ = ["key", "split_version", "string_key"]

_END_OF_RUN = 2
_EMPTY_RUN: tuple[int, ...] = (_END_OF_RUN,)
_RUNS = re.compile(r"([^0-9]*)([0-9]*)")


def _char_weight(char: str) -> int:
    if char == "~":
        return 1
    if ("a" <= char <= "z") or ("A" <= char <= "Z"):
        return ord(char)
    return ord(char) + 256


@lru_cache(maxsize=4096)
def _run_key(letters: str) -> tuple[int, ...]:
    return (*map(_char_weight, letters), _END_OF_RUN)


def string_key(text: str) -> tuple[object, ...]:
    parts: list[object] = []
    for letters, digits in _RUNS.findall(text):
        parts.append(_run_key(letters))
        parts.append(int(digits) if digits else 0)
    while len(parts) >= 2 and parts[-2] == _EMPTY_RUN and parts[-1] == 0:
        del parts[-2:]
    parts.append(_EMPTY_RUN)
    return tuple(parts)


def split_version(version: str) -> tuple[int, str, str]:
    """``(epoch, upstream, revision)`` of a Debian version string."""
    text = version.strip()
    epoch = 0
    head, colon, tail = text.partition(":")
    if colon and is_ascii_number(head):
        epoch, text = int(head), tail
    upstream, dash, revision = text.rpartition("-")
    if not dash:
        return epoch, text, "0"
    return epoch, upstream, revision


def key(version: str) -> tuple[object, ...]:
    epoch, upstream, revision = split_version(version)
    return (epoch, string_key(upstream), string_key(revision))
