"""Debian / Ubuntu: dpkg's ordering (deb-version(7))."""

from __future__ import annotations

import pytest

from tests.versions._cases import assert_order

CASES = [
    ("1:0.9", ">", "2.0", "the epoch dominates"),
    ("0:1.0", "=", "1.0", "a missing epoch is 0"),
    ("1.0", "=", "1.0-0", "a missing revision is 0"),
    ("1.0~rc1", "<", "1.0", "~ sorts before the end of the string"),
    ("1.0~~", "<", "1.0~", "~~ before ~"),
    ("1.0~rc1", "<", "1.0~rc2", "then the rest compares normally"),
    ("1.0a", "<", "1.0+", "letters sort before non-letters"),
    ("1.0", "<", "1.0a", "the end of a run sorts before letters"),
    ("1.0.9", "<", "1.0.10", "digit runs are numbers"),
    ("1.2.3-1~deb7u1", "<", "1.2.3-1", "backports sort before the release"),
    ("2.7.4+reloaded2-13", "<", "2.7.4+reloaded2-13+deb9u1", "security updates sort after"),
    ("1.0-1ubuntu1", ">", "1.0-1", "Ubuntu revisions sort after Debian's"),
    ("1.0-1-2", ">", "1.0-1-1", "the revision starts at the last hyphen"),
    ("1.0.0", "=", "1.00.0", "leading zeros do not matter"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), CASES)
@pytest.mark.parametrize("ecosystem", ["Debian", "Debian:12", "Ubuntu:22.04:LTS"])
def test_debian_order(ecosystem: str, a: str, op: str, b: str, rule: str) -> None:
    assert_order(ecosystem, a, op, b)


def test_a_malformed_epoch_still_orders() -> None:
    assert_order("Debian", "abc:1.0", "<", "1:1.0")
