"""Ecosystem version ordering and OSV range evaluation (pure core, no I/O).

``compare`` and ``sort_key`` order versions by each ecosystem's own rules (PEP 440, SemVer,
dpkg, rpmvercmp, apk-tools, Maven ``ComparableVersion``, NuGet, RubyGems, Composer, pub, PVP,
R ``package_version``). Parsing never raises on a version string: a malformed version gets the
fallback order its ecosystem's tools give it. ``compile_affected`` pre-parses one OSV
``affected[]`` entry so that ``AffectedRanges.contains`` only compares cached keys.
"""

from __future__ import annotations

from clearinghouse.versions._common import Ordered
from clearinghouse.versions._orderings import (
    ORDERINGS,
    UnknownEcosystemError,
    UnorderedEcosystemError,
    key_for_ordering,
    ordering_of,
)
from clearinghouse.versions.ranges import AffectedRanges, compile_affected, is_affected

__all__ = [
    "ORDERINGS",
    "AffectedRanges",
    "Ordered",
    "UnknownEcosystemError",
    "UnorderedEcosystemError",
    "compare",
    "compile_affected",
    "is_affected",
    "key_for_ordering",
    "ordering_of",
    "sort_key",
]


def sort_key(ecosystem: str, version: str) -> Ordered:
    """A totally ordered, cached key for sorting or bisecting versions of one ecosystem.

    Keys of different ecosystems are not comparable with each other.
    """
    return key_for_ordering(ordering_of(ecosystem), version)


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is lower than, equal to or greater than ``b``."""
    ordering = ordering_of(ecosystem)
    key_a, key_b = key_for_ordering(ordering, a), key_for_ordering(ordering, b)
    return -1 if key_a < key_b else int(key_b < key_a)
