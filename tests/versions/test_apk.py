"""Alpine and its relatives: ``apk version -t`` of apk-tools 2 (the rules behind osv-scalibr's
``alpine-versions.txt`` and ``alpine-versions-generated.txt``)."""

from __future__ import annotations

import pytest

from clearinghouse.versions import sort_key
from tests.versions._cases import assert_order

WELL_FORMED = [
    ("1.2.3-r0", "<", "1.2.3-r1", "package revisions"),
    ("1.2.3-r10", ">", "1.2.3-r9", "revisions are numbers"),
    ("1-r1", "=", "1-r01", "revision numbers ignore leading zeros"),
    ("1-r", "=", "1-r0", "an empty revision number is 0"),
    ("1.2.3", "<", "1.2.3-r0", "a revision sorts after none"),
    ("1.2.3_rc1", "<", "1.2.3", "_alpha/_beta/_pre/_rc are pre-releases"),
    ("1.0_rc1", "<", "1.0", "pre-releases sort below a release ending in a zero component too"),
    ("1.2.3_alpha", "<", "1.2.3_beta", "alpha < beta"),
    ("1.2.3_beta2", "<", "1.2.3_pre1", "beta < pre"),
    ("1.2.3_pre1", "<", "1.2.3_rc1", "pre < rc"),
    ("0.1.0_alpha_pre2", "<", "0.1.0_alpha", "a pre-release suffix after a suffix lowers it"),
    ("1.2.3_p1", ">", "1.2.3", "_p is a patch release after the version"),
    ("1.2.3_cvs", "<", "1.2.3_git", "post suffixes: cvs < svn < git < hg < p"),
    ("1.0_git1", "<", "1.0_p1", "_p is the highest post suffix, above _git and _hg"),
    ("1.2.3_p1", ">", "1.2.3-r5", "a post-release suffix outranks a revision of the release"),
    ("1.2.3a", ">", "1.2.3", "a letter after the numbers sorts after"),
    ("1.2.3a", "<", "1.2.4", "but before the next number"),
    ("6.6.2p1", ">", "6.6.2_p2", "a letter outranks any suffix"),
    ("6.6.2p1", "<", "6.6.2p2", "digits after a letter are a number"),
    ("1.2.3", "<", "1.2.3.1", "a further component sorts after"),
    ("0.99.3.20040818", "<", "1.0", "components compare in turn, numerically"),
    ("1.00", "<", "1.0", "each leading zero after the first lowers a dotted number"),
    ("1.006", "<", "1.05", "more leading zeros is a smaller fraction"),
    ("1.010", "<", "1.09", "after equal leading zeros the digits compare as a string"),
    ("006", ">", "1.0.0", "the first number is always numeric"),
    ("2.0_pre20190101", "<", "2.0_pre20200101", "suffix numbers compare numerically"),
    (
        "1.0.0_pre20191002222144-r0",
        "<",
        "1.0.0_pre20210530193627-r0",
        "numbers of any length compare exactly",
    ),
]

INVALID = [
    ("1.0_invalid", "<", "1.0", "an unknown suffix sorts below no suffix"),
    ("1.0_foo", ">", "1.0_rc9", "it reads as _rc followed by a stray character"),
    ("1.2", "<", "1.2_", "an empty suffix at the end reads as a post-release suffix"),
    ("1.2_", "=", "1.2_cvs", "the lowest one"),
    ("1_patch", ">", "1_p1", "suffix names match by prefix: _patch is _p, then junk"),
    ("1", "<", "1.", "a trailing dot is an empty further component"),
    ("1.", "<", "1.0", "which is below a zero component"),
    ("1..", ">", "1.0", "two dots climb the ladder no further than one"),
    ("1-foo", ">", "1.2", "a stray character stops the reading, above any valid continuation"),
    ("1-r-0", ">", "1-r0", "the same after a revision"),
    ("1.2.0A", ">", "1.2.0d", "an upper-case letter is a stray character"),
    ("0.8.21.r2", ">", "0.8.21r2", "a letter after a dot is read as an empty component"),
    ("1.2a.3", ">", "1.2a", "a dot after a letter is a stray character"),
    ("1-r0-1", "=", "1-r0-2", "what follows a stray character is ignored"),
    ("1-r0-1", "=", "1-r-2", "versions invalid at the same point with equal prefixes are equal"),
    ("2.3.4-invalid", "<", "3.4.5-r1", "invalid versions still order by their valid prefix"),
    ("3.4.5-r1", "<", "10.1.1-invalid", "so the order stays transitive"),
    (".1", "<", "1", "a missing first number reads as 0"),
    ("a", "<", "b", "a bare letter follows that 0"),
    ("1.0~abc123", ">", "1.0", "apk-tools 3's ~hash is a stray character to apk-tools 2"),
    ("\u0661.2", "=", "0-x", "a non-ASCII digit is a stray character"),
    ("", "=", "0", "an empty version reads as 0"),
]

ECOSYSTEMS = ["Alpine:v3.18", "Wolfi", "Chainguard"]


@pytest.mark.parametrize(("a", "op", "b", "rule"), WELL_FORMED + INVALID)
@pytest.mark.parametrize("ecosystem", ECOSYSTEMS)
def test_apk_order(ecosystem: str, a: str, op: str, b: str, rule: str) -> None:
    assert_order(ecosystem, a, op, b)


def test_real_revisions_sort_like_apk() -> None:
    shuffled = ["1.2.12-r1", "1.2.12_rc1-r0", "1.2.12-r0", "1.2.11_p1-r3", "1.2.12a-r0"]
    expected = ["1.2.11_p1-r3", "1.2.12_rc1-r0", "1.2.12-r0", "1.2.12-r1", "1.2.12a-r0"]
    assert sorted(shuffled, key=lambda v: sort_key("Alpine", v)) == expected
