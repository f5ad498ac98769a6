"""Echo: its OS packages order like dpkg; its rebuilds of other ecosystems' packages
(``Echo:npm``, ``Echo:PyPI``, ``Echo:Maven``) keep their own ecosystem's order."""

from __future__ import annotations

import pytest

from clearinghouse.versions import ordering_of
from tests.versions._cases import assert_order

NPM_CASES = [
    ("1.2.3", "<", "1.2.3+echo.1", "a rebuild sorts after the upstream release"),
    ("1.2.3+echo.9", "<", "1.2.3+echo.10", "rebuild numbers compare numerically"),
    ("1.2.3+echo.2", "<", "1.2.4", "the SemVer core still decides first"),
    ("1.2.3-rc.1+echo.1", "<", "1.2.3+echo.1", "a pre-release stays below its release"),
    ("1.2.3-rc.1", "<", "1.2.3-rc.1+echo.1", "a pre-release has rebuilds too"),
    ("1.2.3+build.1", "=", "1.2.3+build.2", "other build metadata is ignored, per SemVer"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), NPM_CASES)
def test_echo_npm_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("Echo:npm", a, op, b)


@pytest.mark.parametrize(
    ("ecosystem", "ordering"),
    [
        ("Echo", "debian"),
        ("Echo:npm", "echo-npm"),
        ("Echo:PyPI", "pypi"),
        ("Echo:Maven", "maven"),
        ("Echo:unknown", "debian"),
    ],
)
def test_echo_suffix_picks_the_ordering(ecosystem: str, ordering: str) -> None:
    assert ordering_of(ecosystem) == ordering


def test_echo_pypi_is_pep440() -> None:
    assert_order("Echo:PyPI", "1.0.post1", ">", "1.0")
    assert_order("Echo:PyPI", "1.0rc1", "<", "1.0")


def test_plain_echo_is_dpkg() -> None:
    assert_order("Echo", "1.0~rc1-1", "<", "1.0-1")
