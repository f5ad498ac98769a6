from __future__ import annotations

import contextlib
import posixpath
import random
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.inventory import Inventory, ParseContext, detect_format, parse_inventory
from clearinghouse.formats.lockfiles.jvm import (
    MAX_PARENT_DEPTH,
    parse_gradle_lockfile,
    parse_pom_xml,
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
    "Maven/zeppelin-server",
    "Maven/interpolation",
    "Maven/with-parent",
    "Maven/with-bad-lines",
    "Maven/odd-versions",
    "malformed/Maven/invalid-xml-name",
]


def test_index_lists_exactly_the_maven_cases_tested_here() -> None:
    assert sorted(index_cases({"Maven"})) == sorted(CASES)


def test_every_sample_is_recognised_by_content_alone() -> None:
    assert_detected_by_content(CASES)


# --- pom.xml: the real samples ----------------------------------------------------------------


def test_zeppelin_server_reads_the_three_level_parent_chain() -> None:
    reads: list[str] = []
    inventory = parse_case("Maven", "zeppelin-server", "pom.xml", reads=reads)
    assert reads == ["parent/pom.xml", "parent/parent/pom.xml"]
    assert inventory.name == "org.apache.zeppelin:zeppelin-server"
    assert len(inventory.components) == 37
    assert {c.ecosystem for c in inventory.components} == {"Maven"}


def test_zeppelin_versions_come_from_parent_properties_and_dependency_management() -> None:
    found = versions(parse_case("Maven", "zeppelin-server", "pom.xml"))
    # ${project.version}, inherited from <parent>
    assert found["org.apache.zeppelin:zeppelin-zengine"] == {"0.11.1"}
    # no <version>: the parent's dependencyManagement, through ${httpcomponents.client.version}
    assert found["org.apache.httpcomponents:httpclient"] == {"4.5.13"}
    assert found["com.google.code.gson:gson"] == {"2.8.9"}
    # <version>${jetty.version}</version>, a property of the parent
    assert found["org.eclipse.jetty:jetty-webapp"] == {"9.4.52.v20230823"}
    # the child's own property overrides nothing and resolves directly
    assert found["com.fasterxml.jackson.core:jackson-databind"] == {"2.12.6.1"}


def test_zeppelin_active_by_default_profile_overrides_parent_properties() -> None:
    inventory = parse_case("Maven", "zeppelin-server", "pom.xml")
    # profile hadoop3: artifactId ${hadoop-client-runtime.artifact}, version ${hadoop3.2.version}
    hadoop = only(inventory, "org.apache.hadoop:hadoop-client-runtime")
    assert hadoop.version == "3.2.4"
    assert hadoop.dev is False  # ${hadoop.deps.scope} = provided
    assert "org.apache.hadoop:hadoop-yarn-api" not in versions(inventory)
    assert inventory.warnings == [
        "profiles that are not active by default were not applied (their dependencies are "
        "not listed): hadoop2 (pom.xml)"
    ]


def test_zeppelin_test_scope_is_development_only() -> None:
    inventory = parse_case("Maven", "zeppelin-server", "pom.xml")
    dev = {c.name for c in inventory.components if c.dev}
    assert dev == {
        "org.junit.jupiter:junit-jupiter-engine",
        "org.hamcrest:hamcrest",
        "org.mockito:mockito-core",
        "org.seleniumhq.selenium:selenium-java",
        "xml-apis:xml-apis",
    }
    # zeppelin-zengine is also a compile dependency: its test-jar does not make it dev-only
    assert only(inventory, "org.apache.zeppelin:zeppelin-zengine").dev is False


def test_inherited_dependency_management_is_not_listed_as_components() -> None:
    found = versions(parse_case("Maven", "zeppelin-server", "pom.xml"))
    assert "org.apache.maven.plugin-tools:maven-plugin-annotations" not in found
    assert "org.apache.hadoop:hadoop-yarn-common" not in found


def test_interpolation_with_dotted_names_and_a_range_left_unresolved() -> None:
    inventory = parse_case("Maven", "interpolation", "pom.xml")
    assert versions(inventory) == {
        "org.mine:mypackage": {"1.0.0"},
        "org.mine:my.package": {"2.3.4"},
        "org.mine:ranged-package": {None},
    }
    ranged = only(inventory, "org.mine:ranged-package")
    assert ranged.purl == "pkg:maven/org.mine/ranged-package"
    assert inventory.warnings == [
        "version ranges (only a build resolves them) are listed without a version: "
        "org.mine:ranged-package [9.4.35.v20201120,9.5)"
    ]


def test_with_parent_uses_local_parent_and_reports_the_remote_grandparent() -> None:
    reads: list[str] = []
    inventory = parse_case("Maven", "with-parent", "pom.xml", reads=reads)
    assert versions(inventory) == {
        "org.alice:alice": {"1.0.0"},
        "org.bob:bob": {"2.0.0"},
        "org.chuck:chuck": {"3.0.0"},  # from the POM's own dependencyManagement
        "org.frank:frank": {None},
        "org.dave:dave": {"4.0.0"},  # a dependency declared by the parent is inherited
        "org.import:import": {"1.2.3"},  # an imported BOM, named in dependencyManagement
    }
    # the grandparent has no relativePath: ../pom.xml from parent/ is the child itself
    assert reads == ["parent/pom.xml", "pom.xml"]
    assert any(
        "org.upstream:parent-pom:1.0" in w and "pom.xml is com.mycompany.app:my-app:1.0" in w
        for w in inventory.warnings
    )
    assert any("org.frank:frank" in w and "without a version" in w for w in inventory.warnings)


def test_without_sibling_files_the_parent_is_reported_unavailable() -> None:
    inventory = parse_case("Maven", "with-parent", "pom.xml", siblings=False)
    assert "org.dave:dave" not in versions(inventory)
    assert any(
        "parent POM org.local:parent-pom:1.0" in w and "no sibling files" in w
        for w in inventory.warnings
    )


def test_malformed_xml_is_rejected_with_its_position() -> None:
    with pytest.raises(InputError) as err:
        parse_case("malformed", "Maven", "invalid-xml-name", "pom.xml")
    assert "is not well-formed XML (line 3, column 5)" in err.value.reason


# --- pom.xml: rules and hostile input ---------------------------------------------------------


def _pom(
    coordinates: str,
    *,
    parent: str | None = None,
    relative_path: str | None = None,
    body: str = "",
) -> str:
    group, artifact, version = coordinates.split(":")
    parent_xml = ""
    if parent is not None:
        pg, pa, pv = parent.split(":")
        rel = "" if relative_path is None else f"<relativePath>{relative_path}</relativePath>"
        parent_xml = (
            f"<parent><groupId>{pg}</groupId><artifactId>{pa}</artifactId>"
            f"<version>{pv}</version>{rel}</parent>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        f"{parent_xml}<groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{version}</version>{body}</project>"
    )


def _dep(coordinates: str, scope: str | None = None) -> str:
    parts = coordinates.split(":")
    version = f"<version>{parts[2]}</version>" if len(parts) > 2 else ""
    scope_xml = f"<scope>{scope}</scope>" if scope else ""
    return (
        f"<dependency><groupId>{parts[0]}</groupId><artifactId>{parts[1]}</artifactId>"
        f"{version}{scope_xml}</dependency>"
    )


def _parse_tree(files: dict[str, str], reads: list[str] | None = None) -> Inventory:
    def read(name: str) -> bytes:
        if reads is not None:
            reads.append(name)
        if name not in files:
            raise FileNotFoundError(name)
        return files[name].encode()

    return parse_inventory(files["pom.xml"].encode(), ParseContext("pom.xml", read_sibling=read))


def test_grandparent_properties_and_management_reach_the_child() -> None:
    files = {
        "pom.xml": _pom(
            "org.app:app:1.0",
            parent="org.app:mid:1.0",
            relative_path="../mid",
            body="<dependencies>"
            + _dep("org.lib:lib")
            + _dep("org.lib:other:${other.version}")
            + _dep("org.test:kit:1.0", "test")
            + "</dependencies>",
        ),
        "../mid/pom.xml": _pom(
            "org.app:mid:1.0",
            parent="org.app:root:1.0",
            relative_path="../root/pom.xml",
            body="<properties><other.version>${lib.version}-patched</other.version></properties>",
        ),
        "../root/pom.xml": _pom(
            "org.app:root:1.0",
            body="<properties><lib.version>2.5</lib.version></properties>"
            "<dependencyManagement><dependencies>"
            + _dep("org.lib:lib:${lib.version}")
            + "</dependencies></dependencyManagement>",
        ),
    }
    inventory = _parse_tree(files)
    assert versions(inventory) == {
        "org.lib:lib": {"2.5"},
        "org.lib:other": {"2.5-patched"},
        "org.test:kit": {"1.0"},
    }
    assert only(inventory, "org.test:kit").dev is True
    assert inventory.warnings == []


def test_exact_range_resolves_and_undefined_property_is_reported() -> None:
    body = (
        "<dependencies>"
        + _dep("a:exact:[1.2.3]")
        + _dep("a:undefined:${nowhere.version}")
        + _dep("a:env:${env.HOME}")
        + "</dependencies>"
    )
    inventory = parse_text("pom.xml", _pom("g:a:1", body=body))
    assert versions(inventory) == {"a:exact": {"1.2.3"}, "a:undefined": {None}, "a:env": {None}}
    assert any("a:undefined (${nowhere.version})" in w for w in inventory.warnings)


def test_property_cycle_and_expansion_bomb_stay_unresolved() -> None:
    bomb = "".join(f"<p{i}>${{p{i + 1}}}${{p{i + 1}}}</p{i}>" for i in range(40))
    body = (
        f"<properties><a>${{b}}</a><b>${{a}}</b>{bomb}<p40>xxxxxxxxxx</p40></properties>"
        "<dependencies>" + _dep("x:cycle:${a}") + _dep("x:bomb:${p0}") + "</dependencies>"
    )
    inventory = parse_text("pom.xml", _pom("g:a:1", body=body))
    assert versions(inventory) == {"x:cycle": {None}, "x:bomb": {None}}


def test_doctype_and_entities_are_refused() -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<project><groupId>&xxe;</groupId></project>"
    )
    with pytest.raises(InputError, match="DTD or entities"):
        parse_text("pom.xml", xxe)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><project>&lol2;</project>'
    )
    with pytest.raises(InputError, match="DTD or entities"):
        parse_text("pom.xml", laughs)


def test_parent_pom_with_a_doctype_is_not_used() -> None:
    files = {
        "pom.xml": _pom("g:child:1", parent="g:parent:1"),
        "../pom.xml": '<!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/passwd">]><project/>',
    }
    inventory = _parse_tree(files)
    assert any("parent POM g:parent:1" in w and "DTD" in w for w in inventory.warnings)


def test_parent_cycle_is_an_error() -> None:
    files = {
        "pom.xml": _pom("g:a:1", parent="g:b:1", relative_path="b/pom.xml"),
        "b/pom.xml": _pom("g:b:1", parent="g:a:1", relative_path="../pom.xml"),
    }
    with pytest.raises(
        InputError, match=re.escape("parent POMs form a cycle: pom.xml -> b/pom.xml -> pom.xml")
    ):
        _parse_tree(files)


def _endless_parents(reads: list[str]) -> Callable[[str], bytes]:
    """Every ../pom.xml exists and is the parent its child asks for, forever upward."""

    def read(name: str) -> bytes:
        reads.append(name)
        depth = name.count("..")
        return _pom(f"g:level{depth}:1", parent=f"g:level{depth + 1}:1").encode()

    return read


def test_relative_path_climbing_upward_forever_terminates() -> None:
    reads: list[str] = []
    child = _pom("g:level0:1", parent="g:level1:1").encode()
    with pytest.raises(InputError, match=f"deeper than {MAX_PARENT_DEPTH} levels"):
        parse_pom_xml(child, ParseContext("pom.xml", read_sibling=_endless_parents(reads)))
    assert len(reads) == MAX_PARENT_DEPTH
    assert reads[:2] == ["../pom.xml", "../../pom.xml"]
    assert all(posixpath.normpath(r) == r for r in reads)


def test_parent_that_cannot_be_read_or_is_too_large_is_a_warning() -> None:
    def denied(name: str) -> bytes:
        raise PermissionError(name)

    child = _pom("g:c:1", parent="g:p:1").encode()
    inventory = parse_pom_xml(child, ParseContext("pom.xml", read_sibling=denied))
    assert any("PermissionError" in w for w in inventory.warnings)

    big = parse_pom_xml(
        child, ParseContext("pom.xml", read_sibling=lambda _: b" " * 2048, max_bytes=1024)
    )
    assert any("larger than" in w for w in big.warnings)


def test_not_a_project_and_dependency_without_artifact_are_errors() -> None:
    with pytest.raises(InputError, match="root element is <settings>"):
        parse_text("pom.xml", "<settings/>")
    bad = _pom(
        "g:a:1", body="<dependencies><dependency><groupId>x</groupId></dependency></dependencies>"
    )
    with pytest.raises(InputError, match="dependency #1 \\(x\\) has no artifactId"):
        parse_text("pom.xml", bad)


def test_binary_garbage_pom_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not well-formed XML"):
        parse_text("pom.xml", bytes(range(256)) * 4)


# --- gradle.lockfile --------------------------------------------------------------------------


def test_gradle_lockfile_skips_junk_lines_with_a_warning() -> None:
    inventory = parse_case("Maven", "with-bad-lines", "gradle.lockfile")
    assert inventory.format == "gradle.lockfile"
    assert versions(inventory) == {
        "org.springframework.boot:spring-boot-autoconfigure": {"2.7.4"},
        "org.springframework.boot:spring-boot-configuration-processor": {"2.7.5"},
    }
    assert inventory.warnings == [
        "lines 3, 4, 9, 10 are not group:artifact:version=configurations entries and were skipped"
    ]


def test_gradle_packages_locked_only_for_tests_are_development_only() -> None:
    inventory = parse_text(
        "gradle.lockfile",
        "# This is a Gradle generated file for dependency locking.\n"
        "junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\n"
        "com.google.guava:guava:32.1.3-jre=compileClasspath,testCompileClasspath\n"
        "org.legacy:per-config:1.0\n"
        "empty=annotationProcessor\n",
    )
    assert [(c.name, c.version, c.dev) for c in inventory.components] == [
        ("junit:junit", "4.13.2", True),
        ("com.google.guava:guava", "32.1.3-jre", False),
        ("org.legacy:per-config", "1.0", False),
    ]


def test_gradle_lockfile_of_only_junk_is_rejected() -> None:
    with pytest.raises(InputError, match="no line is a group:artifact:version entry"):
        parse_text("gradle.lockfile", "hello\nworld\n")


# --- verification-metadata.xml ----------------------------------------------------------------


def test_verification_metadata_lists_every_component() -> None:
    inventory = parse_case("Maven", "odd-versions", "verification-metadata.xml")
    assert inventory.format == "verification-metadata.xml"
    assert len(inventory.components) == 28
    found = versions(inventory)
    assert found["com.google.guava:guava"] == {"32.0.0-jre", "32.1.3-jre"}
    assert found["com.google.errorprone:javac"] == {"9+181-r4173-1"}
    assert found["com.google.apis:google-api-services-androidpublisher"] == {"v3-rev20231115-2.0.0"}
    assert only(inventory, "junit:junit").purl == "pkg:maven/junit/junit@4.13.2"


def test_verification_metadata_component_without_version_is_rejected() -> None:
    text = (
        '<verification-metadata xmlns="https://schema.gradle.org/dependency-verification">'
        '<components><component group="a" name="b"/></components></verification-metadata>'
    )
    with pytest.raises(InputError, match="<component> #1 needs group, name and version"):
        parse_text("verification-metadata.xml", text)


# --- detection and fuzzing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        ("pom.xml", b"", "pom.xml"),
        ("lib-1.0.pom", b"", "pom.xml"),
        ("x.xml", b'<project xmlns="http://maven.apache.org/POM/4.0.0">', "pom.xml"),
        ("gradle.lockfile", b"", "gradle.lockfile"),
        ("buildscript-gradle.lockfile", b"", "gradle.lockfile"),
        ("gradle/verification-metadata.xml", b"", "verification-metadata.xml"),
        ("v.xml", b"<?xml version='1.0'?>\n<verification-metadata>", "verification-metadata.xml"),
    ],
)
def test_jvm_formats_detected(filename: str, head: bytes, expected: str) -> None:
    assert detect_format(filename, head).name == expected


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet="<>/=\"' projectdependencyversion${}.:[],()&#;!-\n"))
def test_arbitrary_xml_like_text_raises_nothing_but_input_error(text: str) -> None:
    for parse in (parse_pom_xml, parse_gradle_lockfile):
        with contextlib.suppress(InputError):
            parse(text.encode(), ParseContext("pom.xml"))


@pytest.mark.parametrize("filename", ["pom.xml", "gradle.lockfile", "verification-metadata.xml"])
def test_a_megabyte_of_random_bytes_is_an_input_error(filename: str) -> None:
    garbage = random.Random(filename).randbytes(1 << 20)
    with pytest.raises(InputError):
        parse_text(filename, garbage)


@pytest.mark.parametrize("filename", ["pom.xml", "gradle.lockfile", "verification-metadata.xml"])
def test_input_over_the_size_limit_is_refused_before_parsing(filename: str) -> None:
    with pytest.raises(InputTooLarge):
        parse_inventory(b"x" * 2048, ParseContext(filename, max_bytes=1024))
