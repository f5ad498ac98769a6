"""Python lockfiles: requirements.txt, poetry.lock, uv.lock, Pipfile.lock, pdm.lock, pylock.toml."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.inventory import (
    Inventory,
    InventoryFormat,
    ParseContext,
    detect_format,
    parse_inventory,
)
from clearinghouse.formats.lockfiles import python
from tests.conftest import shared_path


def _reader(root: Path) -> Callable[[str], bytes]:
    base = root.resolve()

    def read(name: str) -> bytes:
        path = (base / name).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            raise FileNotFoundError(name)
        return path.read_bytes()

    return read


def case(name: str, filename: str, *, siblings: bool = True) -> Inventory:
    path = shared_path("lockfiles", "PyPI", name, filename)
    reader = _reader(path.parent) if siblings else None
    return parse_inventory(path.read_bytes(), ParseContext(filename, read_sibling=reader))


def text(filename: str, content: str, files: dict[str, str] | None = None) -> Inventory:
    def read(name: str) -> bytes:
        if files is None or name not in files:
            raise FileNotFoundError(name)
        return files[name].encode()

    return parse_inventory(content.encode(), ParseContext(filename, read_sibling=read))


def pairs(inventory: Inventory) -> set[tuple[str, str | None]]:
    return {(c.name, c.version) for c in inventory.components}


def dev_names(inventory: Inventory) -> set[str]:
    return {c.name for c in inventory.components if c.dev}


def warned(inventory: Inventory, *fragments: str) -> bool:
    return any(all(f in w for f in fragments) for w in inventory.warnings)


# --- requirements.txt: real files -------------------------------------------------------------


def test_pip_compile_output_with_hash_continuations() -> None:
    inv = case("warehouse-main", "requirements.txt")
    assert inv.format == "requirements.txt"
    assert len(inv.components) == 184
    assert {("alembic", "1.18.5"), ("googleapis-common-protos", "1.75.0")} <= pairs(inv)
    assert ("setuptools", "81.0.0") in pairs(inv)
    assert inv.warnings == []
    assert all(c.purl.startswith("pkg:pypi/") and not c.dev for c in inv.components)


def test_marker_lines_kept_and_ranges_warned() -> None:
    inv = case("vince", "requirements.txt")
    assert len(inv.components) == 85
    assert ("Django", "4.2.30") in pairs(inv)
    assert ("soupsieve", "2.3.2.post1") in pairs(inv)
    unpinned = {"backports.zoneinfo", "setuptools", "typing-extensions"}
    assert not unpinned & {c.name for c in inv.components}
    for name in unpinned:
        assert warned(inv, name, "not pinned")
    assert warned(inv, "line 77", "setuptools", "<81,>=65.0.0")


def test_extras_stripped_and_same_package_counted_once() -> None:
    inv = case("defectdojo", "requirements.txt")
    assert len(inv.components) == 64
    assert [c.version for c in inv.components if c.name == "bleach"] == ["6.3.0"]
    assert ("celery", "5.6.3") in pairs(inv)
    assert ("psycopg", "3.3.4") in pairs(inv)
    # bleach[css] is unpinned but bleach is pinned on another line: no warning for it
    assert not any("bleach" in w for w in inv.warnings)
    assert warned(inv, "line 54", "django-tagulous", "URL")
    assert len(inv.warnings) == 1


def test_include_constraint_markers_urls_and_paths() -> None:
    inv = case("include-and-markers", "requirements.txt")
    assert pairs(inv) == {("docopt", "0.6.1"), ("pandas", "2.2.3")}
    assert warned(inv, "line 22", "constraints.txt", "not found")
    assert warned(inv, "line 10", "urllib3", "direct URL")
    assert warned(inv, "line 25", "numpy-1.9.2", "local file")
    assert warned(inv, "line 28", "wxPython_Phoenix")
    # == 2.8.* is a range, not a pin
    assert warned(inv, "line 9", "requests", "not pinned")
    for name in ("pytest", "pytest-cov", "beautifulsoup4", "keyring", "coverage", "Mopidy-Dirble"):
        assert warned(inv, name, "not pinned")


def test_include_without_siblings_is_a_warning_not_a_guess() -> None:
    inv = case("include-and-markers", "requirements.txt", siblings=False)
    assert pairs(inv) == {("docopt", "0.6.1")}
    assert warned(inv, "other-requirements.txt", "not uploaded")


def test_include_loop_terminates_with_a_warning() -> None:
    inv = case("include-loop", "loop.txt")
    assert inv.components == []
    assert warned(inv, "include loop", "loop.txt -> other-loop.txt -> loop.txt")


def test_every_line_invalid_is_rejected_naming_the_line() -> None:
    path = shared_path("lockfiles", "malformed", "PyPI", "invalid-lines", "requirements.txt")
    with pytest.raises(InputError) as err:
        parse_inventory(path.read_bytes(), ParseContext("requirements.txt"))
    assert "line 1" in err.value.reason
    assert "asdf==" in err.value.reason


# --- requirements.txt: pip's rules -------------------------------------------------------------


def test_only_exact_pins_become_versions() -> None:
    inv = text(
        "requirements.txt",
        "a==1.0\nb===2.0-custom\nc>=1\nd~=1.1\ne==1.*\nf\ng[x,y]==3.0 ; sys_platform == 'win32'\n",
    )
    assert pairs(inv) == {("a", "1.0"), ("b", "2.0-custom"), ("g", "3.0")}
    assert all(warned(inv, n, "not pinned") for n in "cdef")


def test_continuations_comments_and_hashes() -> None:
    content = (
        "# header\n"
        "foo==1.0 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "bar==2.0  # trailing comment\n"
        "baz==3.0 --config-settings=x=y\n"
        "--index-url https://pypi.example/simple\n"
        "--extra-index-url=https://other.example/simple\n"
        "--require-hashes\n"
    )
    inv = text("requirements.txt", content)
    assert pairs(inv) == {("foo", "1.0"), ("bar", "2.0"), ("baz", "3.0")}
    assert inv.warnings == []


def test_constraints_pin_open_requirements_only() -> None:
    inv = text(
        "requirements.txt",
        "-c constraints.txt\nfoo\nqux>=1\n",
        {"constraints.txt": "foo==1.2\nbar==3.0\n"},
    )
    assert pairs(inv) == {("foo", "1.2")}
    assert warned(inv, "qux", "not pinned")


def test_includes_resolve_relative_to_the_including_file() -> None:
    inv = text(
        "requirements.txt",
        "-r sub/a.txt\n",
        {"sub/a.txt": "a==1\n--requirement=b.txt\n", "sub/b.txt": "b==2\n"},
    )
    assert pairs(inv) == {("a", "1"), ("b", "2")}


def test_diamond_includes_read_once_and_name_normalisation_dedupes() -> None:
    inv = text(
        "requirements.txt",
        "-r a.txt\n-r b.txt\n",
        {
            "a.txt": "-r common.txt\n",
            "b.txt": "-r common.txt\n",
            "common.txt": "Zope.Interface==5\n",
        },
    )
    assert pairs(inv) == {("Zope.Interface", "5")}
    again = text("requirements.txt", "zope-interface==5\nZope_Interface==5\n")
    assert len(again.components) == 1


def test_editable_env_var_and_conflicting_pins_warn() -> None:
    inv = text(
        "requirements.txt",
        "-e git+https://github.com/x/y.git#egg=y\nz==${Z_VERSION}\na==1\na==2\n",
    )
    assert pairs(inv) == {("a", "1"), ("a", "2")}
    assert warned(inv, "line 1", "editable")
    assert warned(inv, "line 2", "${Z_VERSION}")
    assert warned(inv, "line 4", "pinned to both 1 and 2")


def test_error_in_included_file_names_that_file() -> None:
    with pytest.raises(InputError) as err:
        text("requirements.txt", "ok==1\n-r extra.txt\n", {"extra.txt": "\n\nbad line here\n"})
    assert "extra.txt line 3" in err.value.reason


def test_undecodable_included_file_is_named() -> None:
    def read(name: str) -> bytes:
        return b"a==1\n\xff\xfe\xfa\n"

    with pytest.raises(InputError, match=r"^requirements\.txt: extra\.txt is not valid UTF-8"):
        parse_inventory(b"-r extra.txt\n", ParseContext("requirements.txt", read))


def test_option_missing_value_and_stray_dash_rejected() -> None:
    with pytest.raises(InputError, match="line 2: option --requirement needs a value"):
        text("requirements.txt", "a==1\n-r\n")
    with pytest.raises(InputError, match="is not a pip option"):
        text("requirements.txt", "- a\n")


def test_include_chain_is_bounded() -> None:
    files = {f"r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(200)}
    with pytest.raises(InputError, match="includes more than 100 files"):
        text("requirements.txt", "-r r0.txt\n", files)


def test_size_limit_counts_included_files() -> None:
    files = {"big.txt": "a==1\n" * 1000}
    with pytest.raises(InputTooLarge):
        parse_inventory(
            b"-r big.txt\n",
            ParseContext("requirements.txt", lambda n: files[n].encode(), max_bytes=2000),
        )


def test_huge_requirement_line_is_refused_quickly() -> None:
    with pytest.raises(InputError, match="characters long"):
        text("requirements.txt", "a" * 2_000_000 + "==1\n")


# --- poetry.lock ------------------------------------------------------------------------------


def test_poetry_2_groups_decide_dev_and_local_directory_is_skipped() -> None:
    inv = case("osv-dev-website", "poetry.lock")
    assert inv.format == "poetry.lock (lock-version 2.1)"
    assert len(inv.components) == 73
    assert dev_names(inv) >= {"astroid"}
    assert len(dev_names(inv)) == 8
    assert ("attrs", "26.1.0") in pairs(inv)
    assert ("astroid", "4.0.4") in pairs(inv)
    assert "osv" not in {c.name for c in inv.components}
    assert warned(inv, "osv 0.1.2", "local directory ../..")


def test_poetry_lock_version_2_0_without_groups() -> None:
    inv = case("oss-fuzz-vulns-infra", "poetry.lock")
    assert inv.format == "poetry.lock (lock-version 2.0)"
    assert len(inv.components) == 48
    assert dev_names(inv) == set()


def test_poetry_1_category_and_git_source() -> None:
    content = """
[[package]]
name = "pytest"
version = "7.0.0"
category = "dev"

[[package]]
name = "requests"
version = "2.31.0"
category = "main"

[[package]]
name = "mylib"
version = "0.3.0"
category = "main"

[package.source]
type = "git"
url = "https://github.com/o/mylib.git"
reference = "main"
resolved_reference = "abc123"

[metadata]
lock-version = "1.1"
"""
    inv = text("poetry.lock", content)
    assert pairs(inv) == {("pytest", "7.0.0"), ("requests", "2.31.0"), ("mylib", "0.3.0")}
    assert dev_names(inv) == {"pytest"}
    assert warned(inv, "mylib 0.3.0", "git", "@abc123")


def test_poetry_not_toml_rejected() -> None:
    path = shared_path("lockfiles", "malformed", "PyPI", "not-toml", "poetry.lock")
    with pytest.raises(InputError, match="not valid TOML"):
        parse_inventory(path.read_bytes(), ParseContext("poetry.lock"))


def test_poetry_wrong_types_name_the_entry() -> None:
    with pytest.raises(InputError, match=r"package\[1\] \(b\)\.version must be a string"):
        text(
            "poetry.lock", '[[package]]\nname="a"\nversion="1"\n[[package]]\nname="b"\nversion=2\n'
        )
    with pytest.raises(InputError, match="package must be an array, not a table"):
        text("poetry.lock", "[package]\nname = 'a'\n")


# --- uv.lock ----------------------------------------------------------------------------------


def test_uv_editable_root_skipped_and_dev_group_only_packages_are_dev() -> None:
    inv = case("sigstore-python", "uv.lock")
    assert inv.format == "uv.lock (version 1, revision 3)"
    assert len(inv.components) == 88
    names = {c.name for c in inv.components}
    assert "sigstore" not in names
    assert {"pytest", "mypy", "ruff", "bandit", "mkdocs-material"} <= dev_names(inv)
    prod = names - dev_names(inv)
    assert {"cryptography", "pydantic", "rich", "requests", "tuf", "idna", "urllib3"} <= prod
    assert len(prod) == 29
    assert ("cryptography", "50.0.0") in pairs(inv)
    assert inv.warnings == []


def test_uv_git_source_kept_with_warning_and_virtual_root_skipped() -> None:
    inv = case("source-git-uv", "uv.lock")
    assert pairs(inv) == {("ruff", "0.8.1")}
    assert warned(inv, "ruff 0.8.1", "git", "84748be16341b76e073d117329f7f5f4ee2941ad")


def test_uv_local_sources_and_multiple_versions() -> None:
    content = """
version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "numpy", version = "2.0.0", source = { registry = "https://pypi.org/simple" } },
    { name = "local-lib" },
]
[package.dev-dependencies]
dev = [{ name = "numpy", version = "1.26.0" }]

[[package]]
name = "numpy"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "1.26.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "local-lib"
version = "1.0"
source = { directory = "../lib" }
"""
    inv = text("uv.lock", content)
    assert pairs(inv) == {("numpy", "2.0.0"), ("numpy", "1.26.0")}
    assert {(c.version, c.dev) for c in inv.components} == {("2.0.0", False), ("1.26.0", True)}
    assert warned(inv, "local-lib", "directory ../lib")


def test_uv_dependency_of_wrong_type_names_the_entry() -> None:
    content = (
        'version = 1\n[[package]]\nname = "a"\nversion = "1"\n'
        'source = { editable = "." }\ndependencies = ["b"]\n'
    )
    with pytest.raises(InputError, match=r"package\[0\] \(a\)\.dependencies\[0\] must be a table"):
        text("uv.lock", content)


# --- Pipfile.lock -----------------------------------------------------------------------------


def test_pipfile_default_and_develop() -> None:
    inv = case("clusterfuzz-src", "Pipfile.lock")
    assert inv.format == "Pipfile.lock"
    # 82 default + 43 develop, 33 of them in both at the same version
    assert len(inv.components) == 92
    assert dev_names(inv) == {
        "cachecontrol", "charset-normalizer", "click", "firebase-admin", "flask",
        "google-cloud-firestore", "itsdangerous", "msgpack", "parameterized", "werkzeug",
    }  # fmt: skip
    six = [c for c in inv.components if c.name == "six"]
    assert [(c.version, c.dev) for c in six] == [("1.17.0", False)]
    assert ("aiohttp", "3.10.5") in pairs(inv)


def test_pipfile_entries_without_version_warn() -> None:
    inv = case("git-editable-pipfile", "Pipfile.lock")
    assert inv.components == []
    assert warned(
        inv, "default.markupsafe", "git https://github.com/pallets/markupsafe", "no version"
    )
    assert warned(inv, "develop.itsdangerous", "no version")


def test_pipfile_wrong_types() -> None:
    with pytest.raises(InputError, match=r"default\.a must be an object, not a string"):
        text("Pipfile.lock", '{"default": {"a": "==1.0"}}')
    with pytest.raises(InputError, match=r"not a Pipfile\.lock"):
        text("Pipfile.lock", '{"packages": {}}')


# --- pdm.lock ---------------------------------------------------------------------------------


def test_pdm_dev_group() -> None:
    inv = case("dev-dependency-pdm", "pdm.lock")
    assert inv.format == "pdm.lock (lock_version 4.4.1)"
    assert pairs(inv) == {("pyroute2", "0.7.11"), ("toml", "0.10.2"), ("win-inet-pton", "1.1.0")}
    assert dev_names(inv) == {"pyroute2", "win-inet-pton"}


def test_pdm_git_dependency_kept_with_revision_warning() -> None:
    inv = case("git-dependency-pdm", "pdm.lock")
    assert pairs(inv) == {("toml", "0.10.2")}
    assert warned(inv, "toml 0.10.2", "git", "@65bab7582ce14c55cdeec2244c65ea23039c9e6f")


def test_pdm_extras_groups_are_not_dev() -> None:
    content = (
        '[metadata]\nlock_version = "4.4"\n'
        '[[package]]\nname = "pysocks"\nversion = "1.7.1"\ngroups = ["socks"]\n'
    )
    inv = text("pdm.lock", content)
    assert dev_names(inv) == set()


# --- pylock.toml ------------------------------------------------------------------------------


def test_pylock_from_pdm() -> None:
    inv = case("pdm-full-pylock", "pylock.toml")
    assert inv.format == "pylock.toml (lock-version 1.0)"
    assert len(inv.components) == 10
    assert {("certifi", "2025.1.31"), ("urllib3", "1.26.20"), ("py", "1.4.34")} <= pairs(inv)
    assert inv.warnings == []


def test_pylock_vcs_kept_and_project_directory_skipped() -> None:
    inv = case("commits-pylock", "pylock.toml")
    assert len(inv.components) == 7
    assert ("mleroc", "0.1.0") in pairs(inv)
    assert "net-inf-eval" not in {c.name for c in inv.components}
    assert warned(inv, "mleroc 0.1.0", "git", "735093f03c4d8be70bfaaae44074ac92d7419b6d")
    assert len(inv.warnings) == 1


def test_pylock_without_lock_version_rejected() -> None:
    with pytest.raises(InputError, match="no lock-version"):
        text("pylock.toml", '[[packages]]\nname = "a"\nversion = "1"\n')


# --- detection and hostile input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("requirements.txt", "requirements.txt"),
        ("requirements-dev.txt", "requirements.txt"),
        ("dev-requirements.txt", "requirements.txt"),
        ("poetry.lock", "poetry.lock"),
        ("uv.lock", "uv.lock"),
        ("Pipfile.lock", "Pipfile.lock"),
        ("pdm.lock", "pdm.lock"),
        ("pylock.toml", "pylock.toml"),
        ("pylock.dev.toml", "pylock.toml"),
    ],
)
def test_detected_by_the_names_the_tools_write(filename: str, expected: str) -> None:
    assert detect_format(f"some/dir/{filename}", b"").name == expected


@pytest.mark.parametrize(
    ("case_name", "filename", "expected"),
    [
        ("include-loop", "loop.txt", "requirements.txt"),
        ("vince", "requirements.txt", "requirements.txt"),
        ("osv-dev-website", "poetry.lock", "poetry.lock"),
        ("sigstore-python", "uv.lock", "uv.lock"),
        ("clusterfuzz-src", "Pipfile.lock", "Pipfile.lock"),
        ("dev-dependency-pdm", "pdm.lock", "pdm.lock"),
        ("commits-pylock", "pylock.toml", "pylock.toml"),
    ],
)
def test_detected_by_content_under_another_name(
    case_name: str, filename: str, expected: str
) -> None:
    head = shared_path("lockfiles", "PyPI", case_name, filename).read_bytes()[:65536]
    assert detect_format("upload.bin", head).name == expected


def test_prose_is_not_sniffed_as_requirements() -> None:
    sniff = python.FORMATS[0].sniff
    assert sniff is not None
    assert not sniff(b"Hello, this is a README.\nIt has words.\n")
    assert not sniff(b"hello\nworld\n")


HOSTILE = {
    "deep JSON": b"[" * 5000 + b"]" * 5000,
    "deep TOML": b"a = " + b"[" * 5000 + b"]" * 5000,
    "binary": bytes(range(256)) * 40,
    "NUL bytes": b"a==1\x00\x00\n",
    "UTF-8 invalid": b"a==1\n\xff\xfe\xfd\n",
    "wrong JSON types": b'{"default": [], "develop": 3}',
}


@pytest.mark.parametrize("payload", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("fmt", python.FORMATS, ids=[f.name for f in python.FORMATS])
def test_hostile_input_raises_input_error_only(payload: str, fmt: InventoryFormat) -> None:
    with pytest.raises(InputError) as err:
        fmt.parse(HOSTILE[payload], ParseContext(fmt.filenames[0].replace("*", "x")))
    assert err.value.reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=512) | st.text(max_size=300).map(str.encode))
def test_fuzzed_bytes_raise_input_error_only(data: bytes) -> None:
    for fmt in python.FORMATS:
        with contextlib.suppress(InputError):
            fmt.parse(data, ParseContext(fmt.filenames[0].replace("*", "x")))


def _index_files(ecosystem: str) -> list[tuple[str, str, bool]]:
    index = json.loads(shared_path("lockfiles", "INDEX.json").read_text())
    return [
        (str(entry["case"]), str(name), bool(entry["malformed"]))
        for entry in index
        if entry["ecosystem"] == ecosystem
        for name in entry["files"]
    ]


def test_every_indexed_case_parses_or_is_rejected() -> None:
    files = _index_files("PyPI")
    assert len(files) >= 19
    for case_name, filename, malformed in files:
        path = shared_path("lockfiles", case_name, filename)
        context = ParseContext(filename, read_sibling=_reader(path.parent))
        if malformed:
            with pytest.raises(InputError):
                parse_inventory(path.read_bytes(), context)
        else:
            inv = parse_inventory(path.read_bytes(), context)
            assert all(c.ecosystem == "PyPI" and c.version for c in inv.components), case_name
