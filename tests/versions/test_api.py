"""The public API: ecosystem resolution, caching, and never raising on a version string."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.versions import (
    ORDERINGS,
    UnknownEcosystemError,
    UnorderedEcosystemError,
    compare,
    key_for_ordering,
    ordering_of,
    sort_key,
)


def test_release_suffixes_resolve_to_the_base_ecosystem() -> None:
    assert ordering_of("Debian:11") == "debian"
    assert ordering_of("AlmaLinux:8") == "rpm"
    assert ordering_of("Alpine:v3.18") == "apk"
    assert ordering_of("Ubuntu:Pro:18.04:LTS") == "debian"
    assert ordering_of("pypi") == "pypi"


def test_unknown_ecosystem_is_a_clear_error() -> None:
    with pytest.raises(UnknownEcosystemError, match="unknown ecosystem 'Nowhere'"):
        compare("Nowhere", "1", "2")


def test_ecosystem_without_order_is_refused() -> None:
    with pytest.raises(UnorderedEcosystemError, match="no version ordering"):
        sort_key("OSS-Fuzz", "1.0")


def test_sort_key_is_cached() -> None:
    key_for_ordering.cache_clear()
    sort_key("npm", "1.2.3")
    sort_key("npm", "1.2.3")
    info = key_for_ordering.cache_info()
    assert (info.hits, info.misses) == (1, 1)


def test_sort_key_sorts() -> None:
    versions = ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9"]
    assert sorted(versions, key=lambda v: sort_key("crates.io", v)) == [
        "0.9.9",
        "1.2.0-rc.1",
        "1.2.0",
        "1.10.0",
    ]


odd_versions = st.text(min_size=1, max_size=30) | st.from_regex(
    r"[v0-9][0-9a-zA-Z.+~^_:-]{0,20}", fullmatch=True
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(ORDERINGS)), odd_versions, odd_versions)
def test_no_version_string_makes_parsing_raise(ordering: str, a: str, b: str) -> None:
    key_a, key_b = ORDERINGS[ordering](a), ORDERINGS[ordering](b)
    assert (key_a < key_b) + (key_b < key_a) + (key_a == key_b) >= 1
    assert not (key_a < key_a)


TOTAL_ORDERINGS = sorted(set(ORDERINGS) - {"packagist"})


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(TOTAL_ORDERINGS),
    st.lists(
        st.from_regex(r"[0-9]{1,3}([.~^_-][0-9a-z]{1,4}){0,4}", fullmatch=True),
        min_size=3,
        max_size=12,
    ),
)
def test_sort_keys_are_a_consistent_order(ordering: str, versions: list[str]) -> None:
    keys = sorted(ORDERINGS[ordering](v) for v in versions)
    assert all(not (later < earlier) for earlier, later in itertools.combinations(keys, 2))
