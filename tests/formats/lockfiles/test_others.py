from __future__ import annotations

import contextlib
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.inventory import ParseContext, detect_format, parse_inventory
from clearinghouse.formats.lockfiles.others import (
    MAX_TERM_DEPTH,
    ConanReference,
    parse_conan_lock,
    parse_conan_reference,
    parse_mix_lock,
    parse_packages_lock_json,
    parse_pubspec_lock,
    parse_renv_lock,
)
from tests.formats.lockfiles._cases import (
    assert_detected_by_content,
    index_cases,
    only,
    parse_case,
    parse_text,
    versions,
)

CASES = [
    "Hex/many",
    "malformed/Hex/invalid-term",
    "Pub/source-git",
    "Pub/mixed-packages",
    "CRAN/with-mixed-sources",
    "CRAN/with-bioconductor",
    "NuGet/valid",
    "NuGet/osv-scanner-net8",
    "ConanCenter/nested-dependencies-v2",
    "ConanCenter/old-format-0.3",
]


def test_index_lists_exactly_the_cases_tested_here() -> None:
    ecosystems = {"Hex", "Pub", "CRAN", "NuGet", "ConanCenter"}
    assert sorted(index_cases(ecosystems)) == sorted(CASES)


def test_every_sample_is_recognised_by_content_alone() -> None:
    assert_detected_by_content(CASES)


# --- Hex: mix.lock ----------------------------------------------------------------------------


def test_mix_lock_lists_every_hex_package() -> None:
    inventory = parse_case("Hex", "many", "mix.lock")
    assert inventory.format == "mix.lock"
    assert len(inventory.components) == 21
    found = versions(inventory)
    assert found["phoenix"] == {"1.4.17"}
    assert found["ecto"] == {"3.5.5"}
    assert found["earmark_parser"] == {"1.4.10"}
    assert only(inventory, "plug").purl == "pkg:hex/plug@1.11.1"
    assert {c.ecosystem for c in inventory.components} == {"Hex"}
    assert inventory.warnings == []


def test_truncated_hex_term_is_rejected_naming_the_entry() -> None:
    with pytest.raises(InputError) as err:
        parse_case("malformed", "Hex", "invalid-term", "mix.lock")
    assert "entry 'certifi'" in err.value.reason
    assert '{:hex, :name, "version", ...}' in err.value.reason


MIX_LOCK = """\
%{
  # comment lines are allowed
  "aliased": {:hex, :real_name, "2.1.0", "abc", [:mix],
    [{:dep, "~> 1.0", [hex: :dep, repo: "hexpm", optional: false]}], "hexpm", "def"},
  "old_style": {:hex, :old_style, "0.5.0", "abc", [:rebar3], []},
  "private": {:hex, :secret, "1.0.0", "abc", [:mix], [], "hexpm:acme", "def"},
  "from_git": {:git, "https://github.com/acme/lib.git", "0123456789abcdef", [branch: "main"]},
  :"quoted atom key" => {:hex, :quoted, "0.1.0", "abc", [:mix], [], "hexpm", "x\\"y"},
}
"""


def test_mix_lock_hex_name_is_the_atom_and_non_public_entries_are_reported() -> None:
    inventory = parse_text("mix.lock", MIX_LOCK)
    assert versions(inventory) == {
        "real_name": {"2.1.0"},
        "old_style": {"0.5.0"},
        "quoted": {"0.1.0"},
    }
    assert len(inventory.warnings) == 1
    assert "from_git (git)" in inventory.warnings[0]
    assert "secret 1.0.0 (repository hexpm:acme)" in inventory.warnings[0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '%{\n  "a": {:hex, :a, "1.0"',
            "line 2, column 24: expected '}', found 'the end of the file'",
        ),
        ('%{"a": {:hex, :a, "1.0}}', "string is not closed"),
        ('%{"a": {:hex, :a, "#{System.cmd()}"}}', "string interpolation is not allowed"),
        ('%{"a": "b"} extra', "unexpected text after the lock map"),
        ('%{"a": @b}', "unexpected '@'"),
        ('%{"a": 1}', "entry 'a' is not a tuple starting with an atom"),
        ("[1, 2]", "does not start with a map"),
        ("%{[1] => 2}", "a map key must be"),
        ("%{" + "{" * (MAX_TERM_DEPTH + 5), f"nested deeper than {MAX_TERM_DEPTH} levels"),
    ],
)
def test_malformed_mix_lock_is_rejected_with_its_position(text: str, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("mix.lock", text)
    assert reason in err.value.reason


# --- Pub: pubspec.lock ------------------------------------------------------------------------


def test_pubspec_direct_dev_is_development_only() -> None:
    inventory = parse_case("Pub", "mixed-packages", "pubspec.lock")
    assert [(c.name, c.version, c.dev) for c in inventory.components] == [
        ("back_button_interceptor", "6.0.1", False),
        ("build_runner", "2.2.1", True),
        ("shelf", "1.3.2", False),
        ("shelf_web_socket", "1.0.2", False),
    ]
    assert only(inventory, "shelf").purl == "pkg:pub/shelf@1.3.2"


def test_pubspec_git_packages_keep_their_pubspec_version() -> None:
    inventory = parse_case("Pub", "source-git", "pubspec.lock")
    assert versions(inventory) == {
        "flutter_rust_bridge": {"1.32.0"},
        "screen_retriever": {"0.1.2"},
        "toggle_switch": {"1.4.0"},
        "tray_manager": {"0.1.8"},
        "window_manager": {"0.2.7"},
    }


PUBSPEC = """\
packages:
  flutter:
    dependency: "direct main"
    description: flutter
    source: sdk
    version: "0.0.0"
  local_thing:
    dependency: "direct main"
    description:
      path: "../local_thing"
      relative: true
    source: path
    version: "1.0.0"
  http:
    dependency: "direct main"
    description:
      name: http
      sha256: abc
      url: "https://pub.dev"
    source: hosted
    version: "1.2.0"
sdks:
  dart: ">=3.0.0 <4.0.0"
"""


def test_pubspec_path_and_sdk_packages_are_reported() -> None:
    inventory = parse_text("pubspec.lock", PUBSPEC)
    assert versions(inventory) == {"http": {"1.2.0"}}
    assert "flutter (sdk), local_thing (path)" in inventory.warnings[0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- a\n- b\n", "the document must be a mapping, not a list"),
        ("packages: [1]\n", "packages must be a mapping, not a list"),
        ("packages:\n  a: 3\n", "packages.a must be a mapping, not a number"),
        ("packages:\n  a:\n    version: '1'\n", "packages.a has no 'source'"),
        ("packages:\n  a:\n    source: hosted\n    version: [1]\n", "packages.a.version must be"),
        ("a: &x 1\nb: *x\n", "YAML aliases are refused"),
    ],
)
def test_malformed_pubspec_lock_names_the_entry(text: str, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("pubspec.lock", text)
    assert reason in err.value.reason


# --- CRAN and Bioconductor: renv.lock ---------------------------------------------------------


def test_renv_bioconductor_packages_are_in_their_own_ecosystem() -> None:
    inventory = parse_case("CRAN", "with-bioconductor", "renv.lock")
    assert [(c.ecosystem, c.name, c.version) for c in inventory.components] == [
        ("CRAN", "BH", "1.75.0-0"),
        ("Bioconductor", "BSgenome", "1.60.0"),
    ]
    assert only(inventory, "BH").purl == "pkg:cran/BH@1.75.0-0"


def test_renv_github_package_is_reported_not_listed() -> None:
    inventory = parse_case("CRAN", "with-mixed-sources", "renv.lock")
    assert versions(inventory) == {"markdown": {"1.0"}}
    assert "mime 0.12.1 (GitHub)" in inventory.warnings[0]


def test_renv_repository_url_decides_between_cran_and_bioconductor() -> None:
    lock = {
        "R": {
            "Version": "4.3.1",
            "Repositories": [
                {"Name": "CRAN", "URL": "https://cloud.r-project.org"},
                {"Name": "BioCsoft", "URL": "https://bioconductor.org/packages/3.18/bioc"},
            ],
        },
        "Packages": {
            "limma": {"Package": "limma", "Version": "3.58.1", "Source": "Repository",
                      "Repository": "BioCsoft"},
            "jsonlite": {"Package": "jsonlite", "Version": "1.8.8", "Source": "Repository",
                         "Repository": "RSPM"},
            "old": {"Package": "old", "Version": "0.1", "Source": "CRAN"},
        },
    }  # fmt: skip
    inventory = parse_text("renv.lock", json.dumps(lock))
    assert [(c.ecosystem, c.name) for c in inventory.components] == [
        ("Bioconductor", "limma"),
        ("CRAN", "jsonlite"),
        ("CRAN", "old"),
    ]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"R": {}}, "has no 'Packages'"),
        ({"Packages": []}, "Packages must be an object, not an array"),
        ({"Packages": {"a": {"Source": "Repository"}}}, "Packages.a has no 'Version'"),
        ({"Packages": {"a": {"Version": 1}}}, "Packages.a.Version must be a string, not a number"),
        (
            {"R": {"Repositories": [{"URL": "x"}]}, "Packages": {}},
            "R.Repositories[0] has no 'Name'",
        ),
    ],
)
def test_renv_wrong_types_are_rejected_naming_the_entry(doc: object, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("renv.lock", json.dumps(doc))
    assert reason in err.value.reason


# --- NuGet: packages.lock.json ----------------------------------------------------------------


def test_nuget_lock_lists_direct_and_transitive_packages() -> None:
    inventory = parse_case("NuGet", "valid", "packages.lock.json")
    assert len(inventory.components) == 8
    found = versions(inventory)
    assert found["Core.Dep"] == {"1.24.0"}
    assert found["Some.Dep.Five"] == {"4.7.2"}  # resolved, not the 4.6.0 a dependent asked for
    assert {c.ecosystem for c in inventory.components} == {"NuGet"}


def test_nuget_single_direct_dependency() -> None:
    inventory = parse_case("NuGet", "osv-scanner-net8", "packages.lock.json")
    assert [(c.name, c.version, c.purl) for c in inventory.components] == [
        ("Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3")
    ]


def test_nuget_frameworks_count_once_and_project_references_are_reported() -> None:
    entry = {"type": "Direct", "requested": "[13.0.3, )", "resolved": "13.0.3"}
    lock = {
        "version": 1,
        "dependencies": {
            "net6.0": {"Newtonsoft.Json": entry, "My.Other.Project": {"type": "Project"}},
            "net8.0": {"Newtonsoft.Json": entry,
                       "System.Text.Json": {"type": "CentralTransitive", "resolved": "8.0.4"}},
        },
    }  # fmt: skip
    inventory = parse_text("packages.lock.json", json.dumps(lock))
    assert versions(inventory) == {"Newtonsoft.Json": {"13.0.3"}, "System.Text.Json": {"8.0.4"}}
    assert "My.Other.Project" in inventory.warnings[0]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"version": 1}, "has no 'dependencies'"),
        ({"dependencies": {"net8.0": []}}, "dependencies.net8.0 must be an object, not an array"),
        (
            {"dependencies": {"net8.0": {"A": {"type": "Direct"}}}},
            "dependencies.net8.0.A has no 'resolved'",
        ),
    ],
)
def test_nuget_wrong_types_are_rejected_naming_the_entry(doc: object, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("packages.lock.json", json.dumps(doc))
    assert reason in err.value.reason


# --- ConanCenter: conan.lock ------------------------------------------------------------------


def test_conan_2_lock_drops_revisions_and_timestamps() -> None:
    inventory = parse_case("ConanCenter", "nested-dependencies-v2", "conan.lock")
    assert [(c.name, c.version) for c in inventory.components] == [
        ("zlib", "1.2.13"),
        ("libpng", "1.6.39"),
        ("freetype", "2.12.1"),
        ("bzip2", "1.0.8"),
        ("brotli", "1.0.9"),
    ]
    assert only(inventory, "zlib").purl == "pkg:conan/zlib@1.2.13"
    assert {c.ecosystem for c in inventory.components} == {"ConanCenter"}


def test_conan_0_3_graph_lock_skips_the_consumer_node() -> None:
    inventory = parse_case("ConanCenter", "old-format-0.3", "conan.lock")
    assert [(c.name, c.version) for c in inventory.components] == [("zlib", "1.2.11")]


def test_conan_build_and_python_requirements_are_development_only() -> None:
    lock = {
        "version": "0.5",
        "requires": ["openssl/3.2.1#abc%1700000000.1"],
        "build_requires": ["cmake/3.28.1#def%1700000000.2"],
        "python_requires": ["pyreq/1.0@user/stable#ghi"],
    }
    inventory = parse_text("conan.lock", json.dumps(lock))
    assert [(c.name, c.version, c.dev) for c in inventory.components] == [
        ("openssl", "3.2.1", False),
        ("cmake", "3.28.1", True),
        ("pyreq", "1.0", True),
    ]


def test_conan_0_4_graph_lock_with_ref_and_build_context() -> None:
    lock = {
        "version": "0.4",
        "graph_lock": {
            "nodes": {
                "0": {"ref": "conanfile", "path": "conanfile.txt", "requires": ["1", "2"]},
                "1": {"ref": "fmt/10.2.1#rrev", "context": "host"},
                "2": {"ref": "ninja/1.11.1#rrev", "context": "build"},
                "3": {"ref": "no-version-here"},
            }
        },
    }
    inventory = parse_text("conan.lock", json.dumps(lock))
    assert [(c.name, c.version, c.dev) for c in inventory.components] == [
        ("fmt", "10.2.1", False),
        ("ninja", "1.11.1", True),
    ]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("zlib/1.2.13", ConanReference("zlib", "1.2.13")),
        ("zlib/1.2.13@user/channel#rrev:pkgid#prev%123.4",
         ConanReference("zlib", "1.2.13", "user", "channel")),
        ("zlib/1.2.11@_/_", ConanReference("zlib", "1.2.11", "_", "_")),
        ("conanfile", None),
        ("/1.0", None),
    ],
)  # fmt: skip
def test_conan_reference_grammar(ref: str, expected: ConanReference | None) -> None:
    assert parse_conan_reference(ref) == expected


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"version": "0.5"}, "has neither 'graph_lock' nor 'requires'"),
        ({"requires": "zlib/1.0"}, "requires must be an array, not a string"),
        ({"requires": [1]}, "requires[0] must be a string, not a number"),
        ({"graph_lock": {"nodes": {"1": {"ref": 5}}}}, "graph_lock.nodes.1.ref must be a string"),
    ],
)
def test_conan_wrong_types_are_rejected_naming_the_entry(doc: object, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("conan.lock", json.dumps(doc))
    assert reason in err.value.reason


# --- detection and fuzzing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        ("mix.lock", b"", "mix.lock"),
        ("pubspec.lock", b"", "pubspec.lock"),
        ("renv.lock", b"", "renv.lock"),
        ("packages.lock.json", b"", "packages.lock.json"),
        ("conan.lock", b"", "conan.lock"),
        ("x", b'%{\n  "a": {:hex, :a, "1.0.0"}}', "mix.lock"),
        ("x", b"# Generated by pub\npackages:\n", "pubspec.lock"),
        ("x", b'{"R": {"Version": "4"}, "Packages": {}}', "renv.lock"),
        ("x", b'{"version": 1, "dependencies": {"net8.0": {"A": {"resolved": "1", '
              b'"contentHash": "x"}}}}', "packages.lock.json"),
        ("x", b'{"version": "0.5", "requires": []}', "conan.lock"),
    ],
)  # fmt: skip
def test_formats_detected_by_name_and_content(filename: str, head: bytes, expected: str) -> None:
    assert detect_format(filename, head).name == expected


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["Packages", "Version", "Source", "R", "Repositories", "dependencies", "resolved",
             "type", "requires", "graph_lock", "nodes", "ref", "pref", "path", "packages"]
        ),
        inner,
        max_size=4,
    ),
    max_leaves=25,
)  # fmt: skip


@settings(max_examples=300, derandomize=True, deadline=None)
@given(_JSON)
def test_any_json_or_yaml_shape_raises_nothing_but_input_error(doc: object) -> None:
    data = json.dumps(doc).encode()  # JSON is YAML too
    for parse in (parse_renv_lock, parse_packages_lock_json, parse_conan_lock, parse_pubspec_lock):
        with contextlib.suppress(InputError):
            parse(data, ParseContext("lock"))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet='%{}[]:,"=> #\\\nabhex0123.@'))
def test_arbitrary_terms_raise_nothing_but_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_mix_lock(text.encode(), ParseContext("mix.lock"))


@pytest.mark.parametrize(
    "filename", ["mix.lock", "pubspec.lock", "renv.lock", "packages.lock.json", "conan.lock"]
)
def test_a_megabyte_of_random_bytes_is_an_input_error(filename: str) -> None:
    garbage = random.Random(filename).randbytes(1 << 20)
    with pytest.raises(InputError):
        parse_text(filename, garbage)


@pytest.mark.parametrize(
    "filename", ["mix.lock", "pubspec.lock", "renv.lock", "packages.lock.json", "conan.lock"]
)
def test_input_over_the_size_limit_is_refused_before_parsing(filename: str) -> None:
    with pytest.raises(InputTooLarge):
        parse_inventory(b"x" * 2048, ParseContext(filename, max_bytes=1024))
