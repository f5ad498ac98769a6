"""JavaScript lockfiles: package-lock.json and npm-shrinkwrap.json, yarn.lock, pnpm, bun."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import (
    Inventory,
    InventoryFormat,
    ParseContext,
    detect_format,
    parse_inventory,
)
from clearinghouse.formats.lockfiles import javascript
from clearinghouse.formats.lockfiles.javascript import strip_jsonc
from tests.conftest import shared_path


def case(name: str, filename: str) -> Inventory:
    path = shared_path("lockfiles", "npm", name, filename)
    return parse_inventory(path.read_bytes(), ParseContext(filename))


def text(filename: str, content: str | dict[str, object]) -> Inventory:
    data = json.dumps(content) if isinstance(content, dict) else content
    return parse_inventory(data.encode(), ParseContext(filename))


def pairs(inventory: Inventory) -> set[tuple[str, str | None]]:
    return {(c.name, c.version) for c in inventory.components}


def dev_names(inventory: Inventory) -> set[str]:
    return {c.name for c in inventory.components if c.dev}


def warned(inventory: Inventory, *fragments: str) -> bool:
    return any(all(f in w for f in fragments) for w in inventory.warnings)


# --- package-lock.json ------------------------------------------------------------------------


def test_real_v3_lockfile() -> None:
    inv = case("warehouse-frontend", "package-lock.json")
    assert inv.format == "package-lock.json v3"
    # 1,065 entries: the root, and 65 repeats of a name@version at another node_modules path
    assert len(inv.components) == 999
    assert sum(c.dev for c in inv.components) == 831
    assert inv.warnings == []
    semver = sorted(c.version or "" for c in inv.components if c.name == "semver")
    assert semver == ["6.3.1", "7.7.4", "7.8.5"]  # 7.7.4 is installed at 5 paths
    stimulus = next(c for c in inv.components if c.name == "@hotwired/stimulus")
    assert (stimulus.version, stimulus.dev) == ("3.2.2", False)
    assert stimulus.purl == "pkg:npm/%40hotwired/stimulus@3.2.2"
    css_tools = next(c for c in inv.components if c.name == "@adobe/css-tools")
    assert (css_tools.version, css_tools.dev) == ("4.4.4", True)


def test_v1_nested_dependencies_with_several_versions() -> None:
    inv = case("nested-dependencies-dup-v1", "package-lock.json")
    assert inv.format == "package-lock.json v1"
    assert len(inv.components) == 39
    assert {v for n, v in pairs(inv) if n == "supports-color"} == {"2.0.0", "5.5.0", "6.1.0"}


def test_git_dependencies_kept_with_declared_version_or_skipped() -> None:
    inv = case("commits-v2", "package-lock.json")
    assert len(inv.components) == 11
    assert "raven-js" not in {c.name for c in inv.components}
    assert warned(inv, "raven-js", "no registry version")
    assert ("@segment/analytics.js-integration-facebook-pixel", "2.4.1") in pairs(inv)
    assert warned(inv, "babel-preset-php 1.1.1", "git", "c5a7ba5e0ad98b8db1cb8ce105403dd4b768cced")
    # same folder name at two depths, different versions: both listed
    assert {v for n, v in pairs(inv) if n == "is-number-3"} == {"2.0.0", "3.0.0"}
    assert "postcss-calc" not in dev_names(inv)
    assert "slick-carousel" in dev_names(inv)


def test_aliases_resolve_to_the_real_package() -> None:
    inv = case("alias-v2", "package-lock.json")
    assert pairs(inv) == {
        ("@babel/code-frame", "7.0.0"),
        ("string-width", "5.1.2"),
        ("string-width", "4.2.0"),
    }


def test_bundled_dependencies_and_dev_flag() -> None:
    inv = case("bundled-dependencies-v3", "package-lock.json")
    assert pairs(inv) == {("ansi-regex", "6.2.2"), ("semver", "7.7.2"), ("strip-ansi", "7.1.2")}
    assert dev_names(inv) == {"semver"}


def test_local_file_dependency_skipped_with_warning() -> None:
    inv = case("files-v2", "package-lock.json")
    assert pairs(inv) == {("abbrev", "1.0.9"), ("abbrev", "2.3.4")}
    assert dev_names(inv) == {"abbrev"}
    assert warned(inv, 'packages["deps/etag"]', "local package folder")


def test_shrinkwrap_and_lock_list_the_same_packages() -> None:
    shrinkwrap = case("shrinkwrap-and-lock", "npm-shrinkwrap.json")
    lock = case("shrinkwrap-and-lock", "package-lock.json")
    assert shrinkwrap.format == "npm-shrinkwrap.json v2"
    assert lock.format == "package-lock.json v2"
    assert shrinkwrap.components == lock.components
    assert pairs(lock) == {("wrappy", "1.0.2"), ("supports-color", "5.5.0")}


def test_links_dev_optional_and_file_tarballs() -> None:
    inv = text(
        "package-lock.json",
        {
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "app", "workspaces": ["packages/*"]},
                "packages/lib": {"name": "lib", "version": "1.0.0"},
                "node_modules/lib": {"resolved": "packages/lib", "link": True},
                "node_modules/fsevents": {"version": "2.3.3", "devOptional": True},
                "node_modules/jest": {"version": "29.0.0", "dev": True},
                "node_modules/local": {"version": "0.1.0", "resolved": "file:local-0.1.0.tgz"},
                "node_modules/a/node_modules/@scope/b": {"version": "1.0.0"},
            },
        },
    )
    assert pairs(inv) == {("fsevents", "2.3.3"), ("jest", "29.0.0"), ("@scope/b", "1.0.0")}
    # devOptional: installed in production when optional dependencies are (npm's default)
    assert dev_names(inv) == {"jest"}
    assert warned(inv, 'packages["node_modules/lib"]', "links to local folder packages/lib")
    assert not warned(inv, 'packages["packages/lib"]')
    assert warned(inv, "local", "file:local-0.1.0.tgz")


def test_v1_aliases_files_and_git_versions() -> None:
    inv = text(
        "package-lock.json",
        {
            "lockfileVersion": 1,
            "dependencies": {
                "cjs": {"version": "npm:string-width@4.2.3", "dev": True},
                "mine": {"version": "file:../mine"},
                "gitdep": {"version": "github:o/gitdep#abc123"},
                "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
            },
        },
    )
    assert pairs(inv) == {("string-width", "4.2.3"), ("a", "1.0.0"), ("b", "2.0.0")}
    assert dev_names(inv) == {"string-width"}
    assert warned(inv, "mine", "local package")
    assert warned(inv, "gitdep", "github:o/gitdep#abc123")


def test_same_package_dev_and_prod_is_prod() -> None:
    inv = text(
        "package-lock.json",
        {
            "lockfileVersion": 2,
            "packages": {
                "node_modules/x/node_modules/ms": {"version": "2.1.3", "dev": True},
                "node_modules/ms": {"version": "2.1.3"},
            },
        },
    )
    assert [(c.name, c.dev) for c in inv.components] == [("ms", False)]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"lockfileVersion": 3, "packages": []}, "packages must be an object, not an array"),
        (
            {"lockfileVersion": 3, "packages": {"node_modules/a": {"version": 1}}},
            r'packages\["node_modules/a"\]\.version must be a string, not a number',
        ),
        (
            {
                "lockfileVersion": 3,
                "packages": {"node_modules/a": {"version": "1.0.0", "dev": "yes"}},
            },
            r'packages\["node_modules/a"\]\.dev must be true or false',
        ),
        (
            {"lockfileVersion": 3, "packages": {"node_modules/": {"version": "1.0.0"}}},
            r'packages\["node_modules/"\] does not end in a package name',
        ),
        (
            {
                "lockfileVersion": 1,
                "dependencies": {"a": {"version": "1.0.0", "dependencies": [1]}},
            },
            r'dependencies\["a"\]\.dependencies must be an object, not an array',
        ),
        ({"lockfileVersion": "3"}, "lockfileVersion must be an integer"),
        ({"name": "x"}, "is not a package-lock.json"),
    ],
)
def test_wrong_types_inside_valid_json_name_the_entry(
    document: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        text("package-lock.json", document)


def test_deeply_nested_v1_dependencies_do_not_recurse() -> None:
    depth = 500  # two JSON levels each: just under the 1,024 nesting limit
    nested = (
        '{"version": "1.0.0", "dependencies": {"a": ' * depth
        + '{"version": "1.0.0"}'
        + "}}" * depth
    )
    inv = text("package-lock.json", '{"lockfileVersion": 1, "dependencies": {"a": ' + nested + "}}")
    assert pairs(inv) == {("a", "1.0.0")}


# --- yarn.lock --------------------------------------------------------------------------------


def test_real_yarn_v1() -> None:
    inv = case("defectdojo-components", "yarn.lock")
    assert inv.format == "yarn.lock v1"
    assert len(inv.components) == 167
    assert ("@emnapi/wasi-threads", "1.2.2") in pairs(inv)
    # four descriptors on one header resolve to one package
    assert {v for n, v in pairs(inv) if n == "jquery"} == {"4.0.0", "3.7.1"}
    assert ("JUMFlot", "0.0.0") in pairs(inv)
    assert warned(inv, "line 352", "JUMFlot 0.0.0", "git")
    assert dev_names(inv) == set()


def test_yarn_v1_aliases_quotes_and_local_packages() -> None:
    content = (
        "# yarn lockfile v1\n\n\n"
        '"string-width-cjs@npm:string-width@^4.2.0":\n'
        '  version "4.2.3"\n'
        '  resolved "https://registry.yarnpkg.com/string-width/-/string-width-4.2.3.tgz"\n'
        "  dependencies:\n"
        '    emoji-regex "^8.0.0"\n\n'
        "lodash@^4.17.0, lodash@^4.17.21:\n"
        '  version "4.17.21"\n\n'
        '"mine@file:../mine":\n'
        '  version "0.0.1"\n\n'
        '"@scope/pkg@^1.0.0":\n'
        "  version 1.2.0\n"
    )
    inv = text("yarn.lock", content)
    assert pairs(inv) == {("string-width", "4.2.3"), ("lodash", "4.17.21"), ("@scope/pkg", "1.2.0")}
    assert warned(inv, "line 13", "mine", "local package")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("lodash@^4 version 4\n", "line 1: expected an entry header ending in ':'"),
        ('  version "1.0.0"\n', "line 1: indented line before the first entry"),
        ('"lodash@^4:\n  version "4.0.0"\n', "line 1: malformed"),
        ('lodash:\n  version "4.0.0"\n', "line 1: 'lodash' is not a name@range descriptor"),
        ('a@1:\n  version "1.0.0\n', "line 2: malformed quoted string"),
        ('a@1:\n   version "1.0.0"\n', "line 2: unexpected indentation"),
        ('a@1:\n\tversion "1.0.0"\n', "line 2: unexpected indentation"),
    ],
)
def test_malformed_yarn_v1_names_the_line(content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        text("yarn.lock", content)


def test_yarn_berry_aliases_resolve_to_the_real_package() -> None:
    inv = case("with-aliases-yarn-berry", "yarn.lock")
    assert inv.format == "yarn.lock berry (__metadata version 8)"
    assert pairs(inv) == {
        ("ansi-regex", "5.0.1"),
        ("ansi-regex", "6.0.1"),
        ("@babel/helper-validator-identifier", "7.22.20"),
    }
    assert inv.warnings == []


def test_yarn_berry_workspaces_skipped() -> None:
    inv = case("workspaces-yarn-berry", "yarn.lock")
    assert pairs(inv) == {("ansi-regex", "6.1.0")}
    assert inv.warnings == []


def test_yarn_berry_patches_and_git() -> None:
    content = """
__metadata:
  version: 6

"resolve@npm:^1.22.0":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"

"resolve@patch:resolve@npm%3A^1.22.0#~builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#~builtin<compat/resolve>::version=1.22.8"

"my-pkg@https://github.com/o/my-pkg.git#commit=abc":
  version: 2.0.0
  resolution: "my-pkg@https://github.com/o/my-pkg.git#commit=abc"

"linked@link:../linked::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "linked@link:../linked::locator=app%40workspace%3A."
"""
    inv = text("yarn.lock", content)
    assert pairs(inv) == {("resolve", "1.22.8"), ("my-pkg", "2.0.0")}
    assert warned(inv, "my-pkg 2.0.0", "github.com/o/my-pkg.git")


def test_yarn_berry_aliases_refused() -> None:
    content = '__metadata:\n  version: 8\n"a@npm:1.0.0": &x\n  version: 1.0.0\n"b@npm:1.0.0": *x\n'
    with pytest.raises(InputError, match="YAML aliases are refused"):
        text("yarn.lock", content)


# --- pnpm-lock.yaml ---------------------------------------------------------------------------


def test_real_pnpm_v9_dev_from_importers() -> None:
    inv = case("osv-dev-frontend", "pnpm-lock.yaml")
    assert inv.format == "pnpm-lock.yaml v9.0"
    assert len(inv.components) == 416
    assert ("lit", "3.3.3") in pairs(inv)
    assert "lit" not in dev_names(inv)
    # snapshot key webpack@5.109.2(clean-css@...)(...): peers stripped
    assert ("webpack", "5.109.2") in pairs(inv)
    assert "webpack" in dev_names(inv)
    assert len(dev_names(inv)) > 300
    assert all("(" not in (c.version or "") for c in inv.components)


def test_pnpm_v9_peer_suffixes() -> None:
    inv = case("peer-dependencies-advanced-pnpm-v9", "pnpm-lock.yaml")
    assert len(inv.components) == 13
    assert ("@typescript-eslint/eslint-plugin", "5.62.0") in pairs(inv)
    assert ("tsutils", "3.21.0") in pairs(inv)
    assert dev_names(inv) == set()


def test_pnpm_v6_dev_and_optional_groups() -> None:
    inv = case("mixed-groups-pnpm-v6", "pnpm-lock.yaml")
    assert pairs(inv) == {("ansi-regex", "5.0.0"), ("is-number", "7.0.0"), ("uuid", "8.0.0")}
    assert dev_names(inv) == {"is-number"}


def test_pnpm_v5_exotic_paths() -> None:
    inv = case("exotic-pnpm-v5", "pnpm-lock.yaml")
    assert inv.format == "pnpm-lock.yaml v5.3"
    assert sorted(pairs(inv)) == [
        ("@foo/bar", "1.0.0"),
        ("@foo/bar", "1.1.0"),
        ("foo", "1.0.0"),
        ("foo", "1.1.0"),
        ("foo", "1.2.0"),
        ("foo", "1.3.0"),
        ("foo", "1.4.0"),
    ]
    assert warned(inv, "github.com/kevva/is-positive", "no registry version")
    assert warned(inv, '"/foo/bar"', "no registry version")


def test_pnpm_keys_that_are_not_paths_are_refused_naming_the_key() -> None:
    path = shared_path("lockfiles", "malformed", "npm", "invalid-paths", "pnpm-lock.yaml")
    with pytest.raises(
        InputError, match=r'packages\["invalidpath1"\]: key is not a pnpm package path'
    ):
        parse_inventory(path.read_bytes(), ParseContext("pnpm-lock.yaml"))


def test_pnpm_v9_aliases_git_and_dev_reachability() -> None:
    content = """
lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      cjs:
        specifier: npm:string-width@^4
        version: string-width@4.2.3
      shared:
        specifier: ^1
        version: 1.0.0
    devDependencies:
      tool:
        specifier: ^2
        version: 2.0.0
      shared:
        specifier: ^1
        version: 1.0.0
      ws:
        specifier: workspace:*
        version: link:packages/ws
packages:
  string-width@4.2.3: {resolution: {integrity: sha512-x}}
  shared@1.0.0: {resolution: {integrity: sha512-x}}
  tool@2.0.0: {resolution: {integrity: sha512-x}}
  helper@3.0.0: {resolution: {integrity: sha512-x}}
  gh@https://codeload.github.com/o/gh/tar.gz/abc:
    resolution: {tarball: https://codeload.github.com/o/gh/tar.gz/abc}
    version: 0.5.0
snapshots:
  string-width@4.2.3: {}
  shared@1.0.0: {}
  tool@2.0.0:
    dependencies:
      helper: 3.0.0
      shared: 1.0.0
  helper@3.0.0: {}
  gh@https://codeload.github.com/o/gh/tar.gz/abc: {}
"""
    inv = text("pnpm-lock.yaml", content)
    assert pairs(inv) == {
        ("string-width", "4.2.3"),
        ("shared", "1.0.0"),
        ("tool", "2.0.0"),
        ("helper", "3.0.0"),
        ("gh", "0.5.0"),
    }
    assert dev_names(inv) == {"tool", "helper"}
    assert warned(inv, "gh 0.5.0", "git")


def test_pnpm_billion_laughs_refused() -> None:
    content = (
        "lockfileVersion: '9.0'\n"
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    )
    with pytest.raises(InputError, match="YAML aliases are refused"):
        text("pnpm-lock.yaml", content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("lockfileVersion: '9.0'\npackages: []\n", "packages must be a mapping, not a list"),
        (
            "lockfileVersion: '9.0'\npackages:\n  7: {}\n",
            "packages key 7 is not a pnpm package path",
        ),
        (
            "lockfileVersion: '9.0'\npackages:\n  /a/1.0.0: {}\n",
            r'packages\["/a/1.0.0"\]: key is not',
        ),
        (
            "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0: [1]\n",
            r'packages\["/a@1.0.0"\] must be a mapping',
        ),
        (
            "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0: {dev: maybe}\n",
            r"\.dev must be true or false",
        ),
        ("lockfileVersion: abc\n", "lockfileVersion 'abc' is not a number"),
        ("importers: {}\n", "no lockfileVersion"),
    ],
)
def test_pnpm_wrong_shapes_name_the_entry(content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        text("pnpm-lock.yaml", content)


# --- bun.lock ---------------------------------------------------------------------------------


def test_bun_git_dependencies_and_dev_reachability() -> None:
    inv = case("commits-bun", "bun.lock")
    assert inv.format == "bun.lock v0"
    assert len(inv.components) == 11
    assert {c.name for c in inv.components if not c.dev} == {"lodash", "stopwords"}
    # peer of the dev-only slick-carousel
    assert ("jquery", "3.7.1") in pairs(inv)
    assert "jquery" in dev_names(inv)
    assert len(inv.warnings) == 7
    assert warned(inv, "raven-js", "github:getsentry/raven-js#91ef2d4", "no registry version")


def test_bun_nested_keys_resolve_to_their_own_version() -> None:
    inv = case("nested-dependencies-dup-bun", "bun.lock")
    assert pairs(inv) == {
        ("ansi-styles", "4.3.0"),
        ("chalk", "4.1.2"),
        ("color-convert", "2.0.1"),
        ("color-name", "1.1.4"),
        ("has-flag", "2.0.0"),
        ("has-flag", "4.0.0"),
        ("supports-color", "7.2.0"),
    }
    assert dev_names(inv) == {"ansi-styles", "chalk", "color-convert", "color-name"}


def test_jsonc_stripping_leaves_strings_alone() -> None:
    source = '{\n  // comment\n  "a": "http://x/*y*/,}", /* block */\n  "b": [1, 2,],\n}'
    assert json.loads(strip_jsonc(source)) == {"a": "http://x/*y*/,}", "b": [1, 2]}
    assert json.loads(strip_jsonc('{"q": "say \\"//no\\",]"}')) == {"q": 'say "//no",]'}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"lockfileVersion": 1, "packages": {"a": []}}', r'packages\["a"\] is an empty array'),
        (
            '{"lockfileVersion": 1, "packages": {"a": [5]}}',
            r'packages\["a"\]\[0\] must be a string',
        ),
        ('{"lockfileVersion": 1, "packages": {"a": ["nover"]}}', "is not name@version"),
        ('{"lockfileVersion": 1, /* unterminated', "not valid JSON"),
        ('{"packages": {}}', "no lockfileVersion"),
    ],
)
def test_bun_wrong_shapes(content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        text("bun.lock", content)


# --- detection and hostile input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("package-lock.json", "package-lock.json"),
        ("npm-shrinkwrap.json", "package-lock.json"),
        ("yarn.lock", "yarn.lock"),
        ("pnpm-lock.yaml", "pnpm-lock.yaml"),
        ("bun.lock", "bun.lock"),
    ],
)
def test_detected_by_the_names_the_tools_write(filename: str, expected: str) -> None:
    assert detect_format(f"web/{filename}", b"").name == expected


@pytest.mark.parametrize(
    ("case_name", "filename", "expected"),
    [
        ("warehouse-frontend", "package-lock.json", "package-lock.json"),
        ("nested-dependencies-dup-v1", "package-lock.json", "package-lock.json"),
        ("commits-bun", "bun.lock", "bun.lock"),
        ("defectdojo-components", "yarn.lock", "yarn.lock"),
        ("with-aliases-yarn-berry", "yarn.lock", "yarn.lock"),
        ("osv-dev-frontend", "pnpm-lock.yaml", "pnpm-lock.yaml"),
    ],
)
def test_detected_by_content_under_another_name(
    case_name: str, filename: str, expected: str
) -> None:
    head = shared_path("lockfiles", "npm", case_name, filename).read_bytes()[:65536]
    assert detect_format("lock-backup.json", head).name == expected


HOSTILE = {
    "deep JSON": b"[" * 5000 + b"]" * 5000,
    "deep object": b'{"packages":' * 3000 + b"1" + b"}" * 3000,
    "deep YAML": b"lockfileVersion: '9.0'\npackages: " + b"[" * 3000 + b"]" * 3000,
    "binary": bytes(range(256)) * 40,
    "NUL bytes": b"\x00" * 64,
    "huge line": b"a" * 3_000_000,
    "UTF-8 invalid": b'{"a": "\xff\xfe"}',
}


@pytest.mark.parametrize("payload", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("fmt", javascript.FORMATS, ids=[f.name for f in javascript.FORMATS])
def test_hostile_input_raises_input_error_only(payload: str, fmt: InventoryFormat) -> None:
    with pytest.raises(InputError) as err:
        fmt.parse(HOSTILE[payload], ParseContext(fmt.filenames[0]))
    assert err.value.reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=512) | st.text(max_size=300).map(str.encode))
def test_fuzzed_bytes_raise_input_error_only(data: bytes) -> None:
    for fmt in javascript.FORMATS:
        with contextlib.suppress(InputError):
            fmt.parse(data, ParseContext(fmt.filenames[0]))


def test_every_indexed_case_parses_or_is_rejected() -> None:
    index = json.loads(shared_path("lockfiles", "INDEX.json").read_text())
    files = [
        (str(entry["case"]), str(name), bool(entry["malformed"]))
        for entry in index
        if entry["ecosystem"] == "npm"
        for name in entry["files"]
    ]
    assert len(files) >= 18
    for case_name, filename, malformed in files:
        data = shared_path("lockfiles", case_name, filename).read_bytes()
        if malformed:
            with pytest.raises(InputError):
                parse_inventory(data, ParseContext(filename))
        else:
            inv = parse_inventory(data, ParseContext(filename))
            assert inv.components, case_name
            assert all(c.ecosystem == "npm" and c.version for c in inv.components), case_name
