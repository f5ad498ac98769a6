"""RPM version order (``rpmvercmp`` with epoch, tilde and caret), for the Red Hat family and the
other RPM distributions (AlmaLinux, Rocky Linux, openSUSE/SUSE, Mageia, openEuler, Photon OS,
Azure Linux).

``[epoch:]version[-release]``: the epoch is the digits before the first ``:`` (otherwise 0); the
release starts at the first ``-``, as osv-scalibr splits it. Each part is compared by
``rpmvercmp``: separators (anything but ASCII letters, digits, ``~`` and ``^``) are skipped,
digit runs beat letter runs, digit runs compare numerically, letter runs by ``strcmp``, ``~``
sorts before everything (even the end), ``^`` after the end but before anything else. An empty
part sorts before any non-empty one.

The key turns each part into a token tuple ending with an END token, ordered
``~ < END < ^ < letters < digits``.
"""

from __future__ import annotations

import re

from clearinghouse.versions._common import DIGITS, is_ascii_number

__all__ = ["key", "part_key"]

_TILDE = (0,)
_END = (1,)
_CARET = (2,)
_LETTERS = 3
_NUMBER = 4


_TOKENS = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")


def _token(text: str) -> tuple[object, ...]:
    if text == "~":
        return _TILDE
    if text == "^":
        return _CARET
    if text[0] in DIGITS:
        return (_NUMBER, int(text), "")
    return (_LETTERS, 0, text)


def part_key(text: str) -> tuple[object, ...]:
    if not text:
        return (0,)
    return (1, (*map(_token, _TOKENS.findall(text)), _END))


def key(version: str) -> tuple[object, ...]:
    text = version.strip()
    epoch_text, colon, rest = text.partition(":")
    if colon and is_ascii_number(epoch_text):
        epoch, text = int(epoch_text), rest
    else:
        epoch = 0
    upstream, dash, release = text.partition("-")
    return (epoch, part_key(upstream), part_key(dash + release))
