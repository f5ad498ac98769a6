"""Maven: ComparableVersion's qualifiers and separators."""

from __future__ import annotations

import pytest

from clearinghouse.versions import sort_key
from tests.versions._cases import assert_order

CASES = [
    ("1", "=", "1.0.0", "trailing zeros are dropped"),
    ("1.0-alpha-1", "<", "1.0-beta-1", "alpha < beta"),
    ("1.0-beta-1", "<", "1.0-milestone-1", "beta < milestone"),
    ("1.0-milestone-1", "<", "1.0-rc-1", "milestone < rc"),
    ("1.0-rc-1", "<", "1.0-SNAPSHOT", "rc < snapshot"),
    ("1.0-SNAPSHOT", "<", "1.0", "snapshot < release"),
    ("1.0", "<", "1.0-sp1", "sp sorts after the release"),
    ("1.0", "=", "1.0-ga", "ga is the release"),
    ("1.0.Final", "=", "1.0", "final is the release"),
    ("1.0.RELEASE", "=", "1.0", "RELEASE is the release"),
    ("1.0-cr1", "=", "1.0-rc1", "cr is rc"),
    ("1.0a1", "=", "1.0-alpha-1", "a followed by a number is alpha"),
    ("1.0M3", "=", "1.0-milestone-3", "m followed by a number is milestone"),
    ("1.0-RC1", "=", "1.0-rc1", "qualifiers are case-insensitive"),
    ("1.0", "<", "1.0-foo", "unknown qualifiers sort after the release"),
    ("1.0-foo", "<", "1.0-goo", "unknown qualifiers sort alphabetically"),
    ("1.0-1", ">", "1.0", "a number after - sorts after the release"),
    ("1.0-1", "<", "1.0.1", "-number < .number"),
    ("2.0.0", "<", "2.0.0-preview", "unknown qualifier after the release"),
    ("9.4.0.v20161208", ">", "9.4.0.RC3", "Jetty-style qualifiers"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), CASES)
def test_maven_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("Maven", a, op, b)


def test_maven_keys_sort_and_hash() -> None:
    versions = ["1.0", "1.0-SNAPSHOT", "1.0-alpha-1", "1.0.1", "1.0-sp1", "1.0-rc1"]
    ordered = sorted(versions, key=lambda v: sort_key("Maven", v))
    assert ordered == ["1.0-alpha-1", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0.1"]
    assert {sort_key("Maven", "1.0"), sort_key("Maven", "1.0.0.ga")} == {sort_key("Maven", "1")}
