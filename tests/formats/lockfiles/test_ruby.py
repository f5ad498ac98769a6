from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.inventory import ParseContext, detect_format, parse_inventory
from clearinghouse.formats.lockfiles.ruby import parse_gemfile_lock
from tests.formats.lockfiles._cases import (
    assert_detected_by_content,
    case_dir,
    index_cases,
    only,
    parse_case,
    parse_text,
    versions,
)

CASES = [
    "RubyGems/osv-schema-docs",
    "RubyGems/rails",
    "RubyGems/has-local-gem",
    "malformed/RubyGems/invalid-spec",
]


def test_index_lists_exactly_the_rubygems_cases_tested_here() -> None:
    assert sorted(index_cases({"RubyGems"})) == sorted(CASES)


def test_every_sample_is_recognised_by_content_alone() -> None:
    assert_detected_by_content(CASES)


def test_platform_variants_of_a_gem_count_once_at_the_release_version() -> None:
    inventory = parse_case("RubyGems", "osv-schema-docs", "Gemfile.lock")
    assert inventory.format == "Gemfile.lock"
    # 110 spec lines: ffi and nokogiri are each locked for 8 platforms
    assert len(inventory.components) == 96
    found = versions(inventory)
    assert found["nokogiri"] == {"1.19.4"}
    assert found["ffi"] == {"1.17.3"}
    assert found["github-pages"] == {"228"}
    assert found["http_parser.rb"] == {"0.8.1"}
    assert only(inventory, "nokogiri").purl == "pkg:gem/nokogiri@1.19.4"
    assert {c.ecosystem for c in inventory.components} == {"RubyGems"}
    assert not any(c.dev for c in inventory.components)
    assert inventory.warnings == []


def test_checksums_and_dependency_sections_add_no_gems() -> None:
    text = case_dir("RubyGems", "osv-schema-docs", "Gemfile.lock").read_text()
    assert "CHECKSUMS" in text
    assert "DEPENDENCIES" in text
    inventory = parse_case("RubyGems", "osv-schema-docs", "Gemfile.lock")
    assert "sha256" not in " ".join(c.version or "" for c in inventory.components)


def test_rails_tree() -> None:
    inventory = parse_case("RubyGems", "rails", "Gemfile.lock")
    assert len(inventory.components) == 46
    found = versions(inventory)
    assert found["actioncable"] == {"7.0.2.2"}
    assert "nio4r" in found
    assert "websocket-driver" in found


def test_path_gem_is_reported_not_listed() -> None:
    inventory = parse_case("RubyGems", "has-local-gem", "Gemfile.lock")
    assert len(inventory.components) == 29
    found = versions(inventory)
    assert "backbone-on-rails" not in found
    assert found["nokogiri"] == {"1.13.3"}  # 1.13.3-x86_64-linux
    assert found["eco-source"] == {"1.1.0.rc.1"}
    assert len(inventory.warnings) == 1
    assert "backbone-on-rails 1.2.0.0" in inventory.warnings[0]


def test_spec_without_version_is_rejected_naming_the_line() -> None:
    with pytest.raises(InputError) as err:
        parse_case("malformed", "RubyGems", "invalid-spec", "Gemfile.lock")
    assert err.value.reason.startswith("line 4:")
    assert "invalid-name" in err.value.reason


GIT_AND_GEM = """\
GIT
  remote: https://github.com/rails/rails.git
  revision: 0123456789abcdef0123456789abcdef01234567
  branch: main
  specs:
    rails (7.2.0.alpha)
      actionpack (= 7.2.0.alpha)

GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.2.0.alpha)
    rack (3.0.8)

PLATFORMS
  ruby

DEPENDENCIES
  rails!

RUBY VERSION
   ruby 3.2.2p53

BUNDLED WITH
   2.4.10
"""


def test_git_gems_keep_their_gemspec_version() -> None:
    inventory = parse_text("Gemfile.lock", GIT_AND_GEM)
    assert versions(inventory) == {
        "rails": {"7.2.0.alpha"},
        "actionpack": {"7.2.0.alpha"},
        "rack": {"3.0.8"},
    }


def test_gems_locked_and_windows_line_endings() -> None:
    inventory = parse_text("gems.locked", GIT_AND_GEM.replace("\n", "\r\n"))
    assert inventory.format == "Gemfile.lock"
    assert len(inventory.components) == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("GEM\n  specs:\n    rack 3.0.8\n", "line 3: spec 'rack 3.0.8' is not 'name (version)'"),
        ("GEM\n  specs:\n     rack (3.0.8)\n", "line 3: unexpected indentation (5 spaces) in GEM"),
        ("    rack (3.0.8)\n", "line 1: indented line before the first section"),
        ("GEM\n  specs:\n    rack (3.0.8)\n      rack-test (((\n", "line 4: dependency line"),
        ("gem 'rails'\n", "line 1: expected a section name"),
    ],
)
def test_malformed_gemfile_lock_names_the_line(text: str, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("Gemfile.lock", text)
    assert reason in err.value.reason


def test_gemfile_lock_detected_by_name_and_content() -> None:
    assert detect_format("app/Gemfile.lock", b"").name == "Gemfile.lock"
    assert detect_format("gems.locked", b"").name == "Gemfile.lock"
    assert detect_format("lock", GIT_AND_GEM.encode()).name == "Gemfile.lock"


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet="GEMPATHspecs:remote ()-.\n 0123abc!~>=,"))
def test_arbitrary_text_raises_nothing_but_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_gemfile_lock(text.encode(), ParseContext("Gemfile.lock"))


@pytest.mark.parametrize("filename", ["Gemfile.lock"])
def test_a_megabyte_of_random_bytes_is_an_input_error(filename: str) -> None:
    garbage = random.Random(filename).randbytes(1 << 20)
    with pytest.raises(InputError):
        parse_text(filename, garbage)


@pytest.mark.parametrize("filename", ["Gemfile.lock"])
def test_input_over_the_size_limit_is_refused_before_parsing(filename: str) -> None:
    with pytest.raises(InputTooLarge):
        parse_inventory(b"x" * 2048, ParseContext(filename, max_bytes=1024))
