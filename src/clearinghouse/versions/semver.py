"""SemVer 2.0 precedence as OSV's tools apply it (npm, crates.io, Hex, Go, Bitnami, SEMVER ranges).

Versions are parsed leniently, like osv-scalibr's ``semantic`` package: an optional leading
``v``, any number of dot-separated numeric components (missing ones count as 0), then the
pre-release (after ``-``) and build metadata (after ``+``). Build metadata never affects
precedence. Components beyond the third are carried into the pre-release string, as scalibr
does, so ``1.2.3.4`` still parses. Anything else becomes a pre-release string, which keeps odd
inputs ordered instead of failing.
"""

from __future__ import annotations

import re

from clearinghouse.versions._common import DIGITS, identifier_key

__all__ = ["echo_key", "key", "parse_semver_like", "prerelease_key", "split_components"]

RELEASE = (1,)
_SIMPLE = re.compile(r"([0-9]+(?:\.[0-9]+)*)((?:[-+A-Za-z].*)?)\Z", re.DOTALL)
_ECHO_BUILD = re.compile(r"\+echo\.([0-9]+)")


def parse_semver_like(version: str) -> tuple[tuple[int, ...], str]:
    """``(numeric components, rest)``: the rest keeps its leading ``-``/``+``/letter."""
    text = version[1:] if version.startswith("v") else version
    simple = _SIMPLE.match(text)
    if simple is not None:
        return tuple(map(int, simple[1].split("."))), simple[2]
    components: list[int] = []
    current = ""
    for index, char in enumerate(text):
        if char in DIGITS:
            current += char
            continue
        if current:
            components.append(int(current))
            current = ""
        if char != ".":
            return tuple(components), text[index:]
    if current:
        components.append(int(current))
    return tuple(components), ""


def split_components(version: str, count: int) -> tuple[tuple[int, ...], str]:
    """The first ``count`` components, zero-padded, and the rest with extra components prefixed."""
    components, rest = parse_semver_like(version.strip())
    if len(components) == count:
        return components, rest
    extra = "".join(f".{c}" for c in components[count:])
    head = components[:count]
    return head + (0,) * (count - len(head)), extra + rest


def prerelease_key(rest: str) -> tuple[object, ...]:
    """Precedence of the pre-release part of ``rest`` (build metadata after ``+`` dropped).

    A version without a pre-release sorts after every pre-release of the same core version.
    """
    prerelease = rest.split("+", 1)[0]
    if prerelease.startswith("-"):
        prerelease = prerelease[1:]
    if not prerelease:
        return RELEASE
    return (0, tuple(identifier_key(part) for part in prerelease.split(".")))


def key(version: str) -> tuple[object, ...]:
    core, rest = split_components(version, 3)
    return (*core, prerelease_key(rest) if rest else RELEASE)


def echo_key(version: str) -> tuple[object, ...]:
    """Echo's rebuilt npm packages: SemVer precedence, then the ``+echo.N`` build number.

    Echo marks its rebuilds with build metadata, which SemVer ignores; its advisories fix
    ``1.2.3+echo.2`` over ``1.2.3+echo.1``, so the number (0 without one) breaks the tie.
    """
    build = _ECHO_BUILD.search(version)
    return (*key(version), int(build[1]) if build else 0)
