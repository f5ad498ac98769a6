"""Hackage / GHC version order (Haskell Package Versioning Policy, ``Data.Version``).

A version is a list of numbers compared lexicographically, so ``1.0 < 1.0.0``. Tags after the
numbers (long deprecated in Cabal) break ties only, so odd strings still order.
"""

from __future__ import annotations

from clearinghouse.versions.semver import parse_semver_like

__all__ = ["key"]


def key(version: str) -> tuple[object, ...]:
    components, rest = parse_semver_like(version.strip())
    return (components, rest.lower())
