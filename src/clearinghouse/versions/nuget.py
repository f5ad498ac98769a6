"""NuGet version precedence (NuGet.Versioning ``VersionComparer.Default``).

Up to four numeric components (``1.0`` = ``1.0.0.0``), a SemVer 2.0 pre-release compared
case-insensitively, build metadata ignored.
"""

from __future__ import annotations

from clearinghouse.versions.semver import prerelease_key, split_components

__all__ = ["key"]


def key(version: str) -> tuple[object, ...]:
    core, rest = split_components(version, 4)
    return (*core, prerelease_key(rest.lower()))
