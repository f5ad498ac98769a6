"""RubyGems (Gem::Version) and Packagist (PHP version_compare / Composer)."""

from __future__ import annotations

import pytest

from clearinghouse.versions import sort_key
from tests.versions._cases import assert_order

RUBYGEMS = [
    ("1.0", "=", "1.0.0", "trailing zeros are dropped"),
    ("1.0.a", "<", "1.0", "a letter segment makes a pre-release"),
    ("1.0.rc1", "<", "1.0", "rc is a pre-release"),
    ("1.0.beta", "<", "1.0.rc", "pre-releases compare as strings"),
    ("1.0.a10", ">", "1.0.a9", "letters and digits split into segments"),
    ("1.0.a2", "=", "1.0.a.2", "a letter-digit switch is a segment boundary"),
    ("3.10", ">", "3.2", "segments are numbers"),
    ("5.0.0.beta1.1", "<", "5.0.0.beta2", "digits inside a pre-release compare numerically"),
    ("1.0.1", ">", "1.0.a", "a number beats a string"),
    ("1.0.0.1", ">", "1.0", "a further number sorts after"),
    # Gem::Version.new rewrites every "-" to ".pre." before segmenting (RubyGems stores the
    # rewritten form; SBOMs and advisories from other tools may still carry the dash).
    ("1.0.0-rc1", "=", "1.0.0.pre.rc1", "a dash is .pre."),
    ("1.0.0-rc1", "<", "1.0.0", "so a dashed suffix is a pre-release"),
    ("2.2.3-1", "<", "2.2.3", "even when only digits follow the dash"),
    ("3.2.0-rc.1", "<", "3.2.0rc2", "pre sorts before rc"),
    ("3.0.0-alpha-2", "=", "3.0.0.pre.alpha.pre.2", "every dash is rewritten"),
    (" 1.0-beta ", "=", "1.0.pre.beta", "surrounding whitespace is stripped first"),
]

PACKAGIST = [
    ("1.0-dev", "<", "1.0-alpha1", "dev < alpha"),
    ("1.0a1", "<", "1.0b1", "a < b"),
    ("1.0b1", "<", "1.0RC1", "beta < RC"),
    ("1.0RC1", "=", "1.0rc1", "RC is case-insensitive"),
    ("1.0rc1", "<", "1.0", "rc < release"),
    ("1.0", "<", "1.0pl1", "pl (patch level) sorts after the release"),
    ("1.0.0", ">", "1.0", "a further number sorts after"),
    ("v1.2.3", "=", "1.2.3", "a leading v is dropped"),
    ("1.25.0-beta2.1", "=", "1.25.0-b.2.1", "beta and b are the same"),
    ("dev-main", "<", "0.0.1", "a branch name sorts first"),
    ("8.2.0RC2", "<", "8.2.0", "Drupal-style RC"),
    # OSV orders Packagist by PHP version_compare, not Composer's normalisation to four
    # components: a further component sorts after, even a zero.
    ("1.0.0.0", ">", "1.0.0", "version_compare: a further zero component sorts after"),
]


@pytest.mark.parametrize(("a", "op", "b", "rule"), RUBYGEMS)
def test_rubygems_order(a: str, op: str, b: str, rule: str) -> None:
    assert_order("RubyGems", a, op, b)


@pytest.mark.parametrize(("a", "op", "b", "rule"), PACKAGIST)
@pytest.mark.parametrize("ecosystem", ["Packagist", "Packagist:https://packages.drupal.org/8"])
def test_packagist_order(ecosystem: str, a: str, op: str, b: str, rule: str) -> None:
    assert_order(ecosystem, a, op, b)


def test_packagist_equal_versions_hash_equal() -> None:
    assert hash(sort_key("Packagist", "1.0RC1")) == hash(sort_key("Packagist", "1.0rc1"))
    assert sort_key("Packagist", "1.0RC1") in {sort_key("Packagist", "1.0rc1")}
