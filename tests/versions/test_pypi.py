"""PyPI: PEP 440 order, checked against ``packaging`` itself, and legacy (non-PEP 440) strings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from clearinghouse.versions import compare, sort_key
from tests.versions._cases import assert_order

CASES = [
    ("1.0", "=", "1.0.0", "release segments are zero-padded"),
    ("1.0", "=", "v1.0", "a leading v is allowed"),
    ("1!0.1", ">", "99.0", "the epoch dominates the release"),
    ("1.0.dev0", "<", "1.0a0", "a dev release comes before the pre-releases of its release"),
    ("1.0a1", "<", "1.0b1", "alpha < beta"),
    ("1.0b2", "<", "1.0rc1", "beta < release candidate"),
    ("1.0c1", "=", "1.0rc1", "c is an alternative spelling of rc"),
    ("1.0-alpha.1", "=", "1.0a1", "pre-release separators and long names normalise"),
    ("1.0rc1", "<", "1.0", "pre-release < final"),
    ("1.0", "<", "1.0.post1", "final < post-release"),
    ("1.0-1", "=", "1.0.post1", "implicit post-release"),
    ("1.0.post1.dev1", "<", "1.0.post1", "a dev release of a post-release comes before it"),
    ("1.0+local", ">", "1.0", "a local version sorts after its public version"),
    ("1.0+abc.5", "<", "1.0+abc.10", "numeric local segments compare numerically"),
    ("1.0+abc", "<", "1.0+5", "numeric local segments beat lexical ones"),
    ("1.0+ABC", "=", "1.0+abc", "local labels are case-insensitive"),
    ("1.0.DEV1", "=", "1.0.dev1", "PEP 440 is case-insensitive"),
    ("2.0.0", ">", "1.9999", "numbers, not strings"),
    ("0.9-doduo", "<", "0.1", "legacy versions sort before every PEP 440 version"),
    ("0.9-doduo", "<", "0.9-eevee", "legacy versions compare by their parts"),
    ("french toast", "<", "0.0.1", "anything at all still has an order"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), CASES)
def test_pypi_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("PyPI", a, op, b)


pep440 = st.builds(
    lambda epoch, release, pre, post, dev, local: (
        (f"{epoch}!" if epoch else "")
        + ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
        + (f"+{local}" if local else "")
    ),
    st.integers(0, 2),
    st.lists(st.integers(0, 12), min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 3)),
    st.none() | st.integers(0, 3),
    st.none() | st.integers(0, 3),
    st.none() | st.sampled_from(["1", "abc", "abc.2", "2.abc", "ubuntu.1"]),
)


@settings(max_examples=400, deadline=None)
@given(pep440, pep440)
def test_agrees_with_packaging(a: str, b: str) -> None:
    expected = (Version(a) > Version(b)) - (Version(a) < Version(b))
    assert compare("PyPI", a, b) == expected


def test_sort_key_sorts_like_packaging() -> None:
    versions = ["1.0.post1", "1.0", "1.0rc1", "1.0.dev0", "0.9", "1!0.1", "1.0+local", "1.0a1"]
    assert sorted(versions, key=lambda v: sort_key("PyPI", v)) == sorted(versions, key=Version)
