"""NuGet, Pub, Hackage and CRAN: SemVer relatives with their own twists."""

from __future__ import annotations

import pytest

from tests.versions._cases import assert_order

NUGET = [
    ("1.0", "=", "1.0.0.0", "up to four components, zero-padded"),
    ("1.0.0.1", ">", "1.0.0", "the fourth component counts"),
    ("1.0.0-BETA", "=", "1.0.0-beta", "pre-release labels are case-insensitive"),
    ("1.0.0-beta.2", "<", "1.0.0-beta.10", "pre-release numbers compare numerically"),
    ("1.0.0-beta", "<", "1.0.0", "pre-release before release"),
    ("1.0.0+abc", "=", "1.0.0+def", "metadata is ignored"),
    ("1.0.01", "=", "1.0.1", "leading zeros do not matter"),
]

PUB = [
    ("1.0.0-dev", "<", "1.0.0", "pre-release before release"),
    ("1.0.0", "<", "1.0.0+1", "build metadata sorts after the bare version"),
    ("1.0.0+2", "<", "1.0.0+10", "build numbers compare numerically"),
    ("1.0.0+10", "<", "1.0.0+a", "numbers before text in build metadata"),
    ("1.0.0-pre+1", "<", "1.0.0", "a pre-release with metadata is still a pre-release"),
    # pub_semver compares build metadata after the pre-release: none sorts before any.
    ("1.0.0-beta", "<", "1.0.0-beta+1", "build metadata sorts after a bare pre-release too"),
]

HACKAGE = [
    ("1.0", "<", "1.0.0", "PVP: a longer version with an equal prefix is greater"),
    ("0.11.3.0", "<", "1.0.0.0", "components are numbers"),
    ("2.0", ">", "1.99.99.99", "first component first"),
    ("1.2.3", "=", "1.2.3", "equal"),
]

CRAN = [
    ("1.0-1", "=", "1.0.1", "dots and dashes are the same separator"),
    ("0.9", "<", "0.75", "components are numbers, not decimals"),
    ("1.0", "<", "1.0.0", "a longer version with an equal prefix is greater"),
    ("0.3.2.0", ">", "0.3.2", "a longer version with an equal prefix is greater"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), NUGET)
def test_nuget_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("NuGet", a, op, b)


@pytest.mark.parametrize(("a", "op", "b", "rule"), PUB)
def test_pub_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("Pub", a, op, b)


@pytest.mark.parametrize(("a", "op", "b", "rule"), HACKAGE)
def test_hackage_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("Hackage", a, op, b)


@pytest.mark.parametrize(("a", "op", "b", "rule"), CRAN)
@pytest.mark.parametrize("ecosystem", ["CRAN", "Bioconductor"])
def test_cran_order(ecosystem: str, a: str, op: str, b: str, rule: str) -> None:
    assert_order(ecosystem, a, op, b)
