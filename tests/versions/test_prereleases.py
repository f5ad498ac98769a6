"""Which versions a package manager skips by default, and the release a pre-release announces."""

from __future__ import annotations

import pytest

from clearinghouse.versions.prereleases import announced_release, is_prerelease

CASES = [
    # ordering, version, pre-release?, announced final release
    ("pypi", "2.8.3rc1", True, "2.8.3"),
    ("pypi", "1!2.0.dev3", True, "1!2.0"),
    ("pypi", "1.0a1.post2", True, "1.0"),
    ("pypi", "1.0.post1", False, None),
    ("pypi", "2.8.3", False, None),
    ("pypi", "not a version", False, None),
    ("semver", "1.4.0-beta.2", True, "1.4.0"),
    ("semver", "1.0.0-rc.1+build.5", True, "1.0.0"),
    ("semver", "1.0.0+build.5", False, None),
    ("pub", "2.0.0-dev.1", True, "2.0.0"),
    ("nuget", "6.0.0-preview.1.21102.12", True, "6.0.0"),
    ("nuget", "4.3.0.1", False, None),
    ("go", "v1.2.3-rc.1", True, "v1.2.3"),
    ("go", "v2.0.0-rc1+incompatible", True, "v2.0.0+incompatible"),
    ("go", "v0.0.0-20210101000000-abcdefabcdef", True, None),  # pseudo-versions name no release
    ("go", "v1.2.4-0.20210101000000-abcdefabcdef", True, None),
    ("go", "v1.5.0-beta.1.0.20210101000000-abcdefabcdef", True, None),
    ("go", "v1.2.3", False, None),
    ("maven", "2.0.0-M1", True, "2.0.0"),
    ("maven", "1.0-rc-1", True, "1.0"),
    ("maven", "1.0-SNAPSHOT", True, "1.0"),
    ("maven", "5.3.0.Final", False, None),
    ("maven", "1.0.RELEASE", False, None),
    ("maven", "2.5.0-sp1", False, None),
    ("packagist", "1.0.0-RC1", True, "1.0.0"),
    ("packagist", "v2.1.0-beta2", True, "v2.1.0"),
    ("packagist", "dev-main", True, None),
    ("packagist", "1.0.0-p1", False, None),
    ("rubygems", "7.0.0.beta1", True, "7.0.0"),
    ("rubygems", "1.0.0.rc1", True, "1.0.0"),
    ("rubygems", "1.0.0", False, None),
    # distributions ship what they ship: "~" is how they package an upstream pre-release
    ("debian", "1.0~rc1-1", False, None),
    ("rpm", "1.0~rc1-1.el8", False, None),
    ("apk", "1.2.3_rc1-r0", False, None),
    ("cran", "1.0-1", False, None),
]


@pytest.mark.parametrize(("ordering", "version", "prerelease", "release"), CASES)
def test_prereleases_in_each_ecosystems_terms(
    ordering: str, version: str, prerelease: bool, release: str | None
) -> None:
    assert is_prerelease(ordering, version) is prerelease
    assert announced_release(ordering, version) == release
