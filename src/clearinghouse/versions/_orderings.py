"""The ordering registry: ordering name (the ``ordering`` column of the ecosystems table) to the
function that turns a version string into its sort key."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from clearinghouse.ecosystems import ecosystem_info
from clearinghouse.versions import (
    apk,
    cran,
    debian,
    hackage,
    maven,
    nuget,
    packagist,
    pub,
    pypi,
    rpm,
    rubygems,
    semver,
)
from clearinghouse.versions._common import Ordered

__all__ = [
    "ORDERINGS",
    "UnknownEcosystemError",
    "UnorderedEcosystemError",
    "key_for_ordering",
    "ordering_of",
]

KeyFunction = Callable[[str], Ordered]

ORDERINGS: dict[str, KeyFunction] = {
    "pypi": pypi.key,
    "semver": semver.key,
    "go": semver.key,
    "debian": debian.key,
    "rpm": rpm.key,
    "apk": apk.key,
    "maven": maven.key,
    "nuget": nuget.key,
    "rubygems": rubygems.key,
    "packagist": packagist.key,
    "pub": pub.key,
    "hackage": hackage.key,
    "cran": cran.key,
    "echo-npm": semver.echo_key,
}

# Echo publishes rebuilds of other ecosystems' packages as ``Echo:<ecosystem>``; those
# versions keep their own ecosystem's order (plain ``Echo`` is its dpkg-versioned OS).
_ECHO_SUFFIX_ORDERINGS = {"pypi": "pypi", "maven": "maven", "npm": "echo-npm"}


class UnknownEcosystemError(ValueError):
    """The ecosystem is not one this service knows."""

    def __init__(self, ecosystem: str) -> None:
        super().__init__(f"unknown ecosystem {ecosystem!r}")
        self.ecosystem = ecosystem


class UnorderedEcosystemError(UnknownEcosystemError):
    """The ecosystem is known but its versions have no defined order (OSS-Fuzz, Linux)."""

    def __init__(self, ecosystem: str) -> None:
        ValueError.__init__(self, f"ecosystem {ecosystem!r} has no version ordering")
        self.ecosystem = ecosystem


@lru_cache(maxsize=1024)
def ordering_of(ecosystem: str) -> str:
    """The ordering name for an OSV ecosystem string (release suffix allowed).

    Raises :class:`UnknownEcosystemError` for an unknown ecosystem and
    :class:`UnorderedEcosystemError` for one without a version order.
    """
    info = ecosystem_info(ecosystem)
    if info is None:
        raise UnknownEcosystemError(ecosystem)
    if info.ordering not in ORDERINGS:
        raise UnorderedEcosystemError(ecosystem)
    if info.name == "Echo" and ":" in ecosystem:
        suffix = ecosystem.split(":", 1)[1].lower()
        return _ECHO_SUFFIX_ORDERINGS.get(suffix, info.ordering)
    return info.ordering


@lru_cache(maxsize=1 << 18)
def key_for_ordering(ordering: str, version: str) -> Ordered:
    """The cached sort key of ``version`` under an ordering name (``pypi``, ``semver``...)."""
    return ORDERINGS[ordering](version)
