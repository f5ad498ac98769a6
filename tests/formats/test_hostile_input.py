"""Hostile and broken SBOMs (CycloneDX, SPDX) through the public ``parse_inventory``.

Every rejection is an :class:`InputError` with a reason a user can act on; nothing else
escapes, and nothing reaches the catch-all in ``parse_inventory`` that hides parser bugs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.formats.cyclonedx import parse_cyclonedx
from clearinghouse.formats.errors import InputError, InputTooLarge, UnknownFormat
from clearinghouse.formats.inventory import Inventory, ParseContext, parse_inventory
from clearinghouse.formats.spdx import parse_spdx
from tests.conftest import shared_path

CATCH_ALL = "could not be read as"
"""What ``parse_inventory`` says when a parser let an unexpected exception escape."""


def refused(data: bytes, name: str, **context: int) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_inventory(data, ParseContext(name, **context))  # type: ignore[arg-type]
    assert CATCH_ALL not in caught.value.reason
    return caught.value


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE bom [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library">
<name>&lol9;</name><purl>pkg:npm/a@1</purl></component></components></bom>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY passwd SYSTEM "file:///etc/passwd">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library">
<name>&passwd;</name><purl>pkg:npm/a@1</purl></component></components></bom>
"""


@pytest.mark.parametrize("name", ["bom.xml", "upload"])
def test_billion_laughs_is_refused(name: str) -> None:
    error = refused(BILLION_LAUGHS, name)
    assert "XML declares a DTD or entities, which are refused" in error.reason


def test_external_entity_is_refused_without_reading_the_file() -> None:
    error = refused(EXTERNAL_ENTITY, "app.cdx.xml")
    assert "XML declares a DTD or entities, which are refused" in error.reason
    assert "root:" not in str(error)


@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": ', "bom.json"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": ', "sbom.spdx.json"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": ', "upload"),
    ],
)
def test_deeply_nested_json_is_refused_with_the_depth(prefix: bytes, name: str) -> None:
    depth = 100_000
    data = prefix + b"[" * depth + b"]" * depth + b"}"
    error = refused(data, name)
    assert error.reason == "JSON is nested deeper than 1024 levels"


def test_deeply_nested_xml_components_are_refused_with_the_depth() -> None:
    depth = 10_000
    data = (
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>'
        + b'<component type="library"><name>x</name><components>' * depth
        + b"</components></component>" * depth
        + b"</components></bom>"
    )
    error = refused(data, "bom.xml")
    assert error.reason.endswith("components are nested more than 256 levels deep")
    assert error.reason.startswith("/bom/components/component[1]/components/component[1]/")


def test_truncated_cyclonedx_json_says_truncated_with_position() -> None:
    data = shared_path("sbom", "cyclonedx", "juice-shop-via-npm-flat.cdx-1.4.json").read_bytes()
    error = refused(data[: len(data) // 2], "bom.json")
    assert error.reason.startswith("JSON is truncated (unexpected end of data: line ")
    assert "column" in error.reason


def test_truncated_spdx_json_says_truncated_with_position() -> None:
    data = shared_path("sbom", "spdx", "grype-0.32.0.spdx-2.2.json").read_bytes()
    error = refused(data[:100_000], "grype.spdx.json")
    assert error.reason.startswith("JSON is truncated (unexpected end of data: line ")


def test_truncated_xml_says_not_well_formed_with_position() -> None:
    data = shared_path("sbom", "cyclonedx", "dropwizard-1.3.15.cdx-1.2.xml").read_bytes()
    error = refused(data[:50_000], "bom.xml")
    assert error.reason.startswith("is not well-formed XML (line ")
    assert "column" in error.reason


def test_truncated_tag_value_inside_a_text_block_says_truncated() -> None:
    data = shared_path("sbom", "spdx", "fatbom-0.0.2.spdx-2.2.spdx").read_bytes()
    cut = data.index(b"PackageCopyrightText: <text>") + len(b"PackageCopyrightText: <text>") + 2
    error = refused(data[:cut], "fatbom.spdx")
    assert error.reason.endswith("is never closed with </text> (the file may be truncated)")
    assert error.reason.startswith("line ")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (BILLION_LAUGHS, "bom.xml"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}', "bom.json"),
        (b"SPDXVersion: SPDX-2.3\n" + b"# padding\n" * 200, "doc.spdx"),
    ],
)
def test_oversized_input_is_refused_by_size_before_parsing(data: bytes, name: str) -> None:
    error = refused(data, name, max_bytes=64)
    assert isinstance(error, InputTooLarge)
    assert error.status == 413
    assert error.reason.endswith(
        "is larger than the 64 bytes limit (CLEARINGHOUSE_MAX_INPUT_BYTES)"
    )


@pytest.mark.parametrize("parse", [parse_cyclonedx, parse_spdx])
def test_format_parsers_check_the_size_themselves(
    parse: Callable[[bytes, ParseContext], Inventory],
) -> None:
    with pytest.raises(InputTooLarge):
        parse(b"{" + b" " * 100 + b"}", ParseContext("x", max_bytes=10))


def test_500_mb_file_is_refused_from_a_read_one_byte_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.cdx.json"
    with path.open("wb") as sparse:
        sparse.write(b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [')
        sparse.truncate(500 * 1024 * 1024)
    limit = 1024 * 1024
    with path.open("rb") as upload:
        data = upload.read(limit + 1)
    with pytest.raises(InputTooLarge) as caught:
        parse_inventory(data, ParseContext(path.name, max_bytes=limit))
    assert caught.value.status == 413


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"hello, world\n", "notes.txt"),
        (b'{"name": "not an sbom", "version": 1}', "data.json"),
        (b"<html><body>not a bom</body></html>", "index.html"),
    ],
)
def test_unknown_format(data: bytes, name: str) -> None:
    error = refused(data, name)
    assert isinstance(error, UnknownFormat)
    assert error.status == 415
    assert "is not a format Clearinghouse reads" in error.reason


@pytest.mark.parametrize("name", ["bom.json", "doc.spdx", "sbom.spdx.json"])
def test_empty_input(name: str) -> None:
    assert refused(b" \n\t", name).reason == "is empty"


def test_invalid_utf8_tag_value_names_the_byte() -> None:
    error = refused(b"SPDXVersion: SPDX-2.3\nDocumentName: \xff\xfe\n", "doc.spdx")
    assert error.reason.startswith("is not valid UTF-8 text (byte 36")


def test_yaml_aliases_are_refused() -> None:
    data = b"spdxVersion: SPDX-2.3\na: &a [x, x, x]\nb: [*a, *a, *a]\n"
    assert "YAML aliases are refused" in refused(data, "doc.spdx.yaml").reason


def cyclonedx(components: object) -> bytes:
    return orjson.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components})


@pytest.mark.parametrize(
    ("components", "reason"),
    [
        ("pkg:npm/a@1", "components must be an array, found a string"),
        ([{"purl": "pkg:npm/a@1"}, 7], "components[1] must be an object, found a number"),
        (
            [{"purl": "pkg:npm/a@1"}, {"bom-ref": "b", "purl": 12}],
            "components[1] (bom-ref 'b'): purl must be a string, found a number",
        ),
        ([{"purl": ["pkg:npm/a@1"]}], "components[0]: purl must be a string, found an array"),
        (
            [{"bom-ref": "a", "components": [{"name": "b"}, {"name": "c", "version": 2}]}],
            "components[0].components[1]: version must be a string, found a number",
        ),
        ([{"bom-ref": 5}], "components[0]: bom-ref must be a string, found a number"),
        (
            [{"purl": "pkg:npm/a@1", "components": "none"}],
            "components[0].components must be an array, found a string",
        ),
        (
            [{"bom-ref": "x", "properties": {"cdx:npm:package:development": "true"}}],
            "components[0] (bom-ref 'x'): properties must be an array, found an object",
        ),
    ],
)
def test_wrong_types_in_cyclonedx_name_the_entry(components: object, reason: str) -> None:
    assert refused(cyclonedx(components), "bom.json").reason == reason


def test_invalid_purl_in_cyclonedx_is_named_in_a_warning() -> None:
    data = cyclonedx([{"purl": "pkg:npm/a@1"}, {"bom-ref": "odd", "purl": "pkg:/no-type@1"}])
    inventory = parse_inventory(data, ParseContext("bom.json"))
    assert [c.purl for c in inventory.components] == ["pkg:npm/a@1"]
    assert inventory.warnings[0].startswith(
        "1 component skipped: the package URL is not valid: components[1] (bom-ref 'odd'): "
        "'pkg:/no-type@1'"
    )


@pytest.mark.parametrize(
    ("packages", "reason"),
    [
        ({"name": "a"}, "packages must be an array, found an object"),
        (
            [{"SPDXID": "SPDXRef-a", "externalRefs": [{"referenceType": 3}]}],
            "packages[0] (SPDXRef-a): externalRefs[0]: referenceType must be a string, "
            "found a number",
        ),
        (
            [{"SPDXID": ["SPDXRef-a"]}],
            "packages[0]: SPDXID must be a string, found an array",
        ),
        (
            [
                {
                    "SPDXID": "SPDXRef-a",
                    "externalRefs": [
                        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl"}
                    ],
                }
            ],
            "packages[0] (SPDXRef-a): externalRefs[0]: referenceLocator is missing",
        ),
    ],
)
def test_wrong_types_in_spdx_name_the_entry(packages: object, reason: str) -> None:
    data = orjson.dumps({"spdxVersion": "SPDX-2.3", "packages": packages})
    assert refused(data, "doc.spdx.json").reason == reason


# Fuzzing: whatever the bytes, the answer is an inventory or a precise InputError.

SEEDS = {
    "bom.json": cyclonedx(
        [
            {
                "type": "library",
                "bom-ref": "a",
                "purl": "pkg:npm/%40scope/a@1.0.0",
                "components": [{"type": "library", "purl": "pkg:pypi/b@2"}],
                "properties": [{"name": "cdx:npm:package:development", "value": "true"}],
            }
        ]
    ),
    "bom.xml": (
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><metadata><component type="library">'
        b"<name>m</name><purl>pkg:maven/g/m@1</purl></component></metadata><components>"
        b'<component type="library" bom-ref="a"><name>a</name><purl>pkg:golang/x.io/a@v1.0.0'
        b"</purl><components><component><purl>pkg:deb/debian/c@1?distro=debian-12</purl>"
        b"</component></components></component></components></bom>"
    ),
    "doc.spdx": (
        b"SPDXVersion: SPDX-2.3\nDocumentName: d\nRelationship: SPDXRef-DOCUMENT DESCRIBES "
        b"SPDXRef-a\nPackageName: a\nSPDXID: SPDXRef-a\nPackageVersion: v1.0.0\n"
        b"ExternalRef: PACKAGE_MANAGER purl pkg:golang/x.io/a%40v1.0.0\n"
        b"PackageComment: <text>multi\nline</text>\nFileName: f\n"
    ),
    "doc.spdx.json": orjson.dumps(
        {
            "spdxVersion": "SPDX-2.3",
            "name": "d",
            "documentDescribes": ["SPDXRef-a"],
            "packages": [
                {
                    "SPDXID": "SPDXRef-a",
                    "name": "a",
                    "versionInfo": "1.0",
                    "externalRefs": [
                        {
                            "referenceCategory": "PACKAGE-MANAGER",
                            "referenceType": "purl",
                            "referenceLocator": "pkg:rpm/redhat/a@1.0?epoch=1&distro=rhel-9",
                        }
                    ],
                }
            ],
            "relationships": [
                {
                    "spdxElementId": "SPDXRef-a",
                    "relationshipType": "DEV_DEPENDENCY_OF",
                    "relatedSpdxElement": "SPDXRef-DOCUMENT",
                }
            ],
        }
    ),
    "doc.spdx3.json": orjson.dumps(
        {
            "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
            "@graph": [
                {"type": "CreationInfo", "specVersion": "3.0.1"},
                {
                    "type": "software_Package",
                    "spdxId": "urn:a",
                    "software_packageUrl": "pkg:apk/alpine/a@1-r0?distro=3.18.4",
                },
            ],
        }
    ),
}


def accepted_or_precisely_refused(data: bytes, name: str) -> None:
    try:
        result = parse_inventory(data, ParseContext(name))
    except InputError as error:
        reason = error.reason
    else:
        assert isinstance(result, Inventory)
        return
    assert CATCH_ALL not in reason, reason


FUZZ = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(
    name=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 2), st.binary(max_size=4)),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_documents(name: str, edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(SEEDS[name])
    for position, action, chunk in edits:
        at = position % (len(data) + 1)
        if action == 0:
            data[at : at + len(chunk)] = chunk
        elif action == 1:
            data[at:at] = chunk
        else:
            del data[at : at + len(chunk) + 1]
    accepted_or_precisely_refused(bytes(data), name)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        "bom-ref",
        "type",
        "name",
        "group",
        "version",
        "purl",
        "scope",
        "components",
        "properties",
        "SPDXID",
        "versionInfo",
        "externalRefs",
        "referenceCategory",
        "referenceType",
        "referenceLocator",
    ]
)
entries = st.dictionaries(keys, json_values | st.just("pkg:npm/a@1") | st.just("purl"), max_size=6)


@FUZZ
@given(components=st.lists(entries, max_size=4), metadata=json_values)
def test_structured_cyclonedx(components: list[dict[str, object]], metadata: object) -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": metadata}
    doc["components"] = components
    accepted_or_precisely_refused(orjson.dumps(doc), "bom.json")


@FUZZ
@given(
    packages=st.lists(
        entries | st.fixed_dictionaries({"externalRefs": st.lists(entries, max_size=3)}),
        max_size=4,
    ),
    relationships=json_values,
    describes=json_values,
)
def test_structured_spdx(
    packages: list[dict[str, object]], relationships: object, describes: object
) -> None:
    doc = {
        "spdxVersion": "SPDX-2.3",
        "packages": packages,
        "relationships": relationships,
        "documentDescribes": describes,
    }
    accepted_or_precisely_refused(orjson.dumps(doc), "doc.spdx.json")


tag_lines = st.one_of(
    st.sampled_from(
        [
            "PackageName: p",
            "SPDXID: SPDXRef-p",
            "PackageVersion: 1",
            "ExternalRef: PACKAGE-MANAGER purl pkg:npm/p@1",
            "ExternalRef: PACKAGE_MANAGER purl pkg:golang/a/b%401",
            "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-p",
            "Relationship: SPDXRef-p DEV_DEPENDENCY_OF SPDXRef-DOCUMENT",
            "FileName: f",
            "SnippetSPDXID: s",
            "PackageComment: <text>",
            "</text>",
            "# comment",
            "",
        ]
    ),
    st.text(max_size=30).filter(lambda s: "\n" not in s and "\r" not in s),
)


@FUZZ
@given(lines=st.lists(tag_lines, max_size=12))
def test_structured_tag_value(lines: list[str]) -> None:
    text = "SPDXVersion: SPDX-2.2\n" + "\n".join(lines)
    accepted_or_precisely_refused(text.encode("utf-8", "surrogatepass"), "doc.spdx")
