"""SemVer 2.0 (npm, crates.io, Hex, Bitnami) and Go (semver with pseudo-versions)."""

from __future__ import annotations

import pytest

from tests.versions._cases import assert_order

SEMVER_CASES = [
    ("1.0.0", "<", "2.0.0", "major first"),
    ("1.9.0", "<", "1.10.0", "components are numbers"),
    ("1.0.0-alpha", "<", "1.0.0", "a pre-release precedes its release"),
    ("1.0.0-alpha", "<", "1.0.0-alpha.1", "a longer pre-release with an equal prefix is greater"),
    ("1.0.0-alpha.1", "<", "1.0.0-alpha.beta", "numeric identifiers before text"),
    ("1.0.0-beta.2", "<", "1.0.0-beta.11", "numeric identifiers compare numerically"),
    ("1.0.0-rc.1", "<", "1.0.0-rc.a", "numeric identifiers before text, again"),
    ("1.0.0-Beta", "<", "1.0.0-beta", "text identifiers compare in ASCII order"),
    ("1.0.0+build.1", "=", "1.0.0+build.2", "build metadata is ignored"),
    ("1.0.0-rc.1+b", "=", "1.0.0-rc.1", "build metadata is ignored after a pre-release"),
    ("v1.2.3", "=", "1.2.3", "a leading v is tolerated"),
    ("1.2", "=", "1.2.0", "missing components count as zero"),
    ("99999999999999999999.0.0", ">", "9999999999999999999.0.0", "no integer overflow"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), SEMVER_CASES)
@pytest.mark.parametrize("ecosystem", ["npm", "crates.io", "Hex", "Bitnami"])
def test_semver_order(ecosystem: str, a: str, op: str, b: str, rule: str) -> None:
    assert_order(ecosystem, a, op, b)


GO_CASES = [
    ("0.0.0-20210101000000-abcdefabcdef", "<", "0.0.1", "a pseudo-version is a pre-release"),
    (
        "0.0.0-20200101000000-aaaaaaaaaaaa",
        "<",
        "0.0.0-20210101000000-000000000000",
        "pseudo-versions order by timestamp",
    ),
    ("1.2.4-0.20200101000000-abcdefabcdef", ">", "1.2.3", "pseudo-version after a release"),
    ("1.2.4-0.20200101000000-abcdefabcdef", "<", "1.2.4", "and before the next release"),
    ("2.0.0+incompatible", "=", "2.0.0", "+incompatible is build metadata"),
    ("v1.5.0", "=", "1.5.0", "OSV Go records spell versions without the v"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), GO_CASES)
def test_go_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("Go", a, op, b)
