"""RPM distributions: rpmvercmp with epoch, tilde and caret."""

from __future__ import annotations

import pytest

from tests.versions._cases import assert_order

CASES = [
    ("1:1.0-1.el8", ">", "2.0-1.el8", "the epoch dominates"),
    ("0:1.0", "=", "1.0", "a missing epoch is 0"),
    ("1.0-1.el8", "<", "1.0-1.el8_1", "a longer release with an equal prefix is newer"),
    ("1.0-10", ">", "1.0-9", "digit runs are numbers"),
    ("1.0-1.el9", ">", "1.0-1.el8", "letters then digits, run by run"),
    ("1.0a", ">", "1.0", "anything beats the end of the string"),
    ("1.0.1", ">", "1.0a", "digits beat letters"),
    ("1.0~rc1", "<", "1.0", "~ sorts before the end"),
    ("1.0^git1", ">", "1.0", "^ sorts after the end"),
    ("1.0^git1", "<", "1.0.1", "but before anything else"),
    ("1_0", "=", "1.0", "separators are all alike"),
    ("10.0001", "=", "10.1", "leading zeros do not matter"),
    ("1.0", "<", "1.0-1", "a release sorts after none"),
    ("0:3.10.0-229.el7", "<", "0:3.10.0-229.1.2.el7", "kernel-style releases"),
]

RPM_ECOSYSTEMS = [
    "Red Hat",
    "AlmaLinux:8",
    "Rocky Linux:9",
    "openSUSE",
    "SUSE",
    "Mageia",
    "openEuler",
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), CASES)
@pytest.mark.parametrize("ecosystem", RPM_ECOSYSTEMS)
def test_rpm_order(ecosystem: str, a: str, op: str, b: str, rule: str) -> None:
    assert_order(ecosystem, a, op, b)
