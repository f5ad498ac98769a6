"""CRAN / Bioconductor version order (R ``package_version``).

A version is a sequence of non-negative integers separated by ``.`` or ``-``; sequences compare
numerically, component by component, and a longer sequence with an equal prefix is greater.
Non-numeric parts are skipped, as osv-scalibr does, so any string orders without error.
"""

from __future__ import annotations

import re

from clearinghouse.versions._common import is_ascii_number

__all__ = ["key"]

_SEPARATORS = re.compile(r"[.-]")


def key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in _SEPARATORS.split(version.strip()) if is_ascii_number(part))
