"""Dart pub version precedence (``pub_semver`` ``Version.compareTo``).

SemVer 2.0 for the core and pre-release, but build metadata counts: a version with build
metadata sorts after the same version without it, and build identifiers compare like
pre-release identifiers (numbers numerically and before text, shorter lists first).
"""

from __future__ import annotations

from clearinghouse.versions._common import identifier_key
from clearinghouse.versions.semver import prerelease_key, split_components

__all__ = ["key"]


def key(version: str) -> tuple[object, ...]:
    core, rest = split_components(version, 3)
    _, plus, build = rest.partition("+")
    build_key = tuple(identifier_key(part) for part in build.split(".")) if plus else ()
    return (*core, prerelease_key(rest), build_key)
