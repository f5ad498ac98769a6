from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.inventory import ParseContext, detect_format, parse_inventory
from clearinghouse.formats.lockfiles.golang import parse_go_mod
from tests.formats.lockfiles._cases import (
    assert_detected_by_content,
    index_cases,
    only,
    parse_case,
    parse_text,
    versions,
)

CASES = ["Go/osv-dev-go", "Go/vulndb", "Go/replace-mixed", "Go/replace-local"]


def test_index_lists_exactly_the_go_cases_tested_here() -> None:
    assert sorted(index_cases({"Go"})) == sorted(CASES)


def test_every_sample_is_recognised_by_content_alone() -> None:
    assert_detected_by_content(CASES)


@pytest.mark.parametrize("case", CASES)
def test_every_go_case_parses_as_go_mod(case: str) -> None:
    inventory = parse_case(*case.split("/"), "go.mod")
    assert inventory.format == "go.mod"
    assert inventory.components
    assert {c.ecosystem for c in inventory.components} == {"Go"}


def test_osv_dev_module_lists_direct_and_indirect_requirements() -> None:
    inventory = parse_case("Go", "osv-dev-go", "go.mod")
    assert inventory.name == "github.com/google/osv.dev/go"
    # 105 require lines, one replaced by ../bindings/go, plus the standard library
    assert len(inventory.components) == 105
    found = versions(inventory)
    assert found["github.com/google/osv-scalibr"] == {"0.4.5"}
    assert found["golang.org/x/net"] == {"0.57.0"}  # an "// indirect" requirement
    assert found["google.golang.org/protobuf"] == {"1.36.12-0.20260120151049-f2248ac996af"}
    assert found["stdlib"] == {"1.26.5"}
    assert not any(c.dev for c in inventory.components)


def test_requirement_replaced_by_a_local_directory_is_dropped_with_a_warning() -> None:
    inventory = parse_case("Go", "osv-dev-go", "go.mod")
    assert "osv.dev/bindings/go" not in versions(inventory)
    assert len(inventory.warnings) == 1
    assert "osv.dev/bindings/go" in inventory.warnings[0]
    assert "../bindings/go" in inventory.warnings[0]


def test_purls_carry_the_v_that_osv_versions_drop() -> None:
    inventory = parse_case("Go", "osv-dev-go", "go.mod")
    scalibr = only(inventory, "github.com/google/osv-scalibr")
    assert scalibr.version == "0.4.5"
    assert scalibr.purl == "pkg:golang/github.com/google/osv-scalibr@v0.4.5"
    assert only(inventory, "stdlib").purl == "pkg:golang/stdlib@v1.26.5"


def test_toolchain_directive_sets_the_stdlib_version_and_godebug_is_ignored() -> None:
    inventory = parse_case("Go", "vulndb", "go.mod")
    assert inventory.name == "golang.org/x/vulndb"
    assert len(inventory.components) == 86  # 85 requirements + stdlib
    found = versions(inventory)
    assert found["stdlib"] == {"1.26.2"}  # toolchain go1.26.2 beats go 1.26.0
    assert found["golang.org/x/tools/go/packages/packagestest"] == {"0.1.1-deprecated"}
    assert inventory.warnings == []


def test_replace_of_one_version_leaves_the_other_required_version() -> None:
    inventory = parse_case("Go", "replace-mixed", "go.mod")
    assert versions(inventory) == {"example.com/fork/net": {"1.4.5"}, "golang.org/x/net": {"0.5.6"}}


def test_replace_local_keeps_the_other_requirements() -> None:
    inventory = parse_case("Go", "replace-local", "go.mod")
    assert versions(inventory) == {"github.com/BurntSushi/toml": {"1.0.0"}}
    assert "./fork/net" in inventory.warnings[0]


def test_replace_without_version_applies_to_every_version_and_exact_replace_wins() -> None:
    inventory = parse_text(
        "go.mod",
        """module example.com/app

go 1.22

require (
\texample.com/a v1.0.0
\texample.com/a v1.1.0 // indirect
\texample.com/b v0.3.0
)

replace example.com/a => example.com/a-fork v2.0.0
replace example.com/a v1.1.0 => example.com/a-patched v1.1.1
replace example.com/unused=>example.com/other v9.9.9
""",
    )
    assert versions(inventory) == {
        "example.com/a-fork": {"2.0.0"},
        "example.com/a-patched": {"1.1.1"},
        "example.com/b": {"0.3.0"},
        "stdlib": {"1.22.0"},
    }


def test_excluded_required_version_is_dropped_with_a_warning() -> None:
    inventory = parse_text(
        "go.mod",
        "module m\nrequire example.com/a v1.2.0\nrequire example.com/b v1.0.0\n"
        "exclude example.com/a v1.2.0\n",
    )
    assert versions(inventory) == {"example.com/b": {"1.0.0"}}
    assert "example.com/a@1.2.0" in inventory.warnings[0]


@pytest.mark.parametrize(
    ("directives", "stdlib"),
    [
        ("go 1.21rc2", "1.21.0-rc.2"),
        ("go 1.20beta1", "1.20.0-beta.1"),
        ("go 1.17", "1.17.0"),
        ("go 1.22.4\ntoolchain go1.23.1", "1.23.1"),
        ("go 1.23.5\ntoolchain go1.22.0", "1.23.5"),
        ("go 1.22.1\ntoolchain go1.22.3-bigcorp", "1.22.3"),
        ("toolchain go1.24.0", "1.24.0"),
    ],
)
def test_stdlib_version_is_spelled_like_the_go_vulnerability_database(
    directives: str, stdlib: str
) -> None:
    inventory = parse_text("go.mod", f"module m\n{directives}\n")
    assert versions(inventory) == {"stdlib": {stdlib}}


def test_quoted_paths_non_canonical_versions_and_ignored_directives() -> None:
    inventory = parse_text(
        "go.mod",
        """module "example.com/m" // comment
require "example.com/q" v1.2
require example.com/old v2.0.1+incompatible
require example.com/meta v1.0.0+build.5
tool example.com/q/cmd/gen
godebug (
\tdefault=go1.21
)
retract [v1.0.0, v1.0.5]
ignore ./node_modules
""",
    )
    assert inventory.name == "example.com/m"
    assert versions(inventory) == {
        "example.com/q": {"1.2.0"},
        "example.com/old": {"2.0.1+incompatible"},
        "example.com/meta": {"1.0.0"},
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("module m\nfrobnicate x\n", "line 2: unknown directive 'frobnicate'"),
        ("module m\nrequire example.com/a\n", "line 2: require expects module path and version"),
        ("module m\nrequire example.com/a 1.2.3\n", "line 2: version '1.2.3' must be of the form"),
        ("module m\nrequire (\n\texample.com/a v1.0.0\n", "require block is not closed"),
        ("module m\nreplace example.com/a => example.com/b\n", "line 2: replacement"),
        ("module m\ngo banana\n", "line 2: invalid go version 'banana'"),
        ('module "m\n', "line 1: quoted string is not closed"),
        (
            "module m\nreplace a => b v1.0.0\nreplace a => c v1.0.0\n",
            "line 3: conflicting replacements for a (see line 2)",
        ),
    ],
)
def test_malformed_go_mod_is_rejected_naming_the_line(text: str, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("go.mod", text)
    assert reason in err.value.reason


def test_binary_garbage_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not valid UTF-8"):
        parse_text("go.mod", b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage")


def test_go_mod_is_detected_by_name_and_by_content() -> None:
    assert detect_format("project/go.mod", b"").name == "go.mod"
    assert detect_format("upload.txt", b"module example.com/m\n\ngo 1.22\n").name == "go.mod"


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet='abc/.v0123456789 \t\n()"`=>/require replace exclude go module'))
def test_arbitrary_text_raises_nothing_but_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_go_mod(text.encode(), ParseContext("go.mod"))


@pytest.mark.parametrize("filename", ["go.mod"])
def test_a_megabyte_of_random_bytes_is_an_input_error(filename: str) -> None:
    garbage = random.Random(filename).randbytes(1 << 20)
    with pytest.raises(InputError):
        parse_text(filename, garbage)


@pytest.mark.parametrize("filename", ["go.mod"])
def test_input_over_the_size_limit_is_refused_before_parsing(filename: str) -> None:
    with pytest.raises(InputTooLarge):
        parse_inventory(b"x" * 2048, ParseContext(filename, max_bytes=1024))
