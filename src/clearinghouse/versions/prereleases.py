"""Pre-releases, in each ecosystem's own terms, and the final release a pre-release announces.

An upgrade target should be what the package manager installs by default: pip, npm, cargo,
Composer, Bundler and NuGet skip pre-releases unless asked (or unless the current version is
one). ``2.8.3rc1`` announces ``2.8.3``; ``1.4.0-beta.2`` announces ``1.4.0``. Go
pseudo-versions (``v0.0.0-20210101000000-abcdefabcdef``) are pre-releases that announce no
release. Distribution versions (dpkg, rpm, apk) and orderings without a pre-release notion
(PVP, R) have none: the version a distribution ships is the one to install, ``~`` or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from packaging.version import InvalidVersion, Version

__all__ = ["announced_release", "is_prerelease"]

# Each returns None for a final release, "" for a pre-release that names no final release,
# or the final release's version string.
_Reader = Callable[[str], str | None]

_SEMVER_PRE = re.compile(r"^(v?\d+(?:\.\d+)*)-[0-9A-Za-z.-]+?(\+[0-9A-Za-z.+-]*)?$")
_GO_PSEUDO = re.compile(r"[-.](?:0\.)?\d{14}-[0-9a-f]{12}(?:\+incompatible)?$")
_MAVEN_PRE = re.compile(
    r"^(\d+(?:\.\d+)*)[.-]?(?:alpha|beta|milestone|rc|cr|snapshot|preview|ea|[abm](?=\d))",
    re.IGNORECASE,
)
_COMPOSER_PRE = re.compile(r"^(v?\d+(?:\.\d+)*)[._-]?(?:alpha|beta|rc|a|b|dev)[._-]?\d*$", re.I)
_GEM_RELEASE = re.compile(r"^\d+(?:\.\d+)*")


def _pypi(version: str) -> str | None:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return None
    return parsed.base_version if parsed.is_prerelease else None


def _semver(version: str) -> str | None:
    match = _SEMVER_PRE.match(version)
    if match is None:
        return None
    return match.group(1)


def _go(version: str) -> str | None:
    if _GO_PSEUDO.search(version):
        return ""
    release = _semver(version)
    if release is not None and version.endswith("+incompatible"):
        return release + "+incompatible"
    return release


def _maven(version: str) -> str | None:
    match = _MAVEN_PRE.match(version)
    return match.group(1) if match else None


def _packagist(version: str) -> str | None:
    if version.lower().startswith("dev-") or version.lower().endswith("-dev"):
        return ""
    match = _COMPOSER_PRE.match(version)
    return match.group(1) if match else None


def _rubygems(version: str) -> str | None:
    if not any(c.isalpha() for c in version):
        return None
    match = _GEM_RELEASE.match(version)
    return match.group(0).rstrip(".") if match else ""


_READERS: dict[str, _Reader] = {
    "pypi": _pypi,
    "semver": _semver,
    "echo-npm": _semver,
    "pub": _semver,
    "nuget": _semver,
    "go": _go,
    "maven": _maven,
    "packagist": _packagist,
    "rubygems": _rubygems,
}


@lru_cache(maxsize=1 << 16)
def _read(ordering: str, version: str) -> str | None:
    reader = _READERS.get(ordering)
    return reader(version) if reader is not None else None


def is_prerelease(ordering: str, version: str) -> bool:
    """True when the ecosystem's package manager would skip ``version`` by default."""
    return _read(ordering, version) is not None


def announced_release(ordering: str, version: str) -> str | None:
    """The final release a pre-release leads to (``2.8.3rc1`` -> ``2.8.3``), or None when
    ``version`` is final or names no release (a Go pseudo-version)."""
    return _read(ordering, version) or None
