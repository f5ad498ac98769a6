"""CycloneDX BOMs in: real BOMs from shared/data and the rules of the specification."""

from __future__ import annotations

import orjson
import pytest

from clearinghouse.formats.cyclonedx import parse_cyclonedx
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import (
    Component,
    Inventory,
    ParseContext,
    detect_format,
    parse_inventory,
)
from tests.conftest import shared_path


def read(name: str) -> Inventory:
    path = shared_path("sbom", "cyclonedx", name)
    return parse_inventory(path.read_bytes(), ParseContext(path.name))


def parse_json(doc: dict[str, object], name: str = "bom.json") -> Inventory:
    return parse_inventory(orjson.dumps(doc), ParseContext(name))


def parse_xml(text: str, name: str = "bom.xml") -> Inventory:
    return parse_inventory(text.encode(), ParseContext(name))


def bom(*components: dict[str, object], **extra: object) -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": list(components), **extra}


def by_purl(inventory: Inventory) -> dict[str, Component]:
    return {c.purl: c for c in inventory.components}


# Expected component counts per real BOM. INDEX.md counts every component entry; we count the
# entries with a package URL, plus metadata.component when it is a library with its own purl.
REAL_BOMS = [
    # 8 cryptographic assets, none with a purl: nothing to match, all named in a warning.
    ("cbom-protocol.cdx-1.6.json", "CycloneDX 1.6 JSON", 0),
    # INDEX 43: metadata.component is a library with a purl, so it is the 44th.
    ("cern-lhc-vdm-editor.cdx-1.2.json", "CycloneDX 1.2 JSON", 44),
    # INDEX 167 for JSON, 168 for XML: the XML count includes metadata.component (a library).
    ("dropwizard-1.3.15.cdx-1.2.json", "CycloneDX 1.2 JSON", 168),
    ("dropwizard-1.3.15.cdx-1.2.xml", "CycloneDX 1.2 XML", 168),
    # INDEX 705; the 109 Go packages nested in metadata.component are the application's own.
    ("harp-darwin-amd64.cdx-1.4.json", "CycloneDX 1.4 JSON", 705),
    # INDEX 1116 counts metadata.component, an application: not a dependency.
    ("juice-shop-via-npm-bare.cdx-1.4.xml", "CycloneDX 1.4 XML", 1115),
    ("juice-shop-via-npm-flat.cdx-1.4.json", "CycloneDX 1.4 JSON", 1115),
    ("keycloak-10.0.2.cdx-1.2.json", "CycloneDX 1.2 JSON", 903),
    ("laravel-7.12.0.cdx-1.1.xml", "CycloneDX 1.1 XML", 62),
    # INDEX 197 counts metadata.component (a container) and the operating system, which has no
    # purl; 98 composer + 97 alpine purls remain.
    ("mediawiki-image.cdx-1.4.xml", "CycloneDX 1.4 XML", 195),
    ("obsidian-sailboat.cdx-1.2.json", "CycloneDX 1.2 JSON", 141),
    # INDEX 202 counts metadata.component, an application.
    ("proton-bridge-1.6.3.cdx-1.2.xml", "CycloneDX 1.2 XML", 201),
    # INDEX 883: metadata.component is a library with a purl, so it is the 884th.
    ("protonmail-webclient-v4.cdx-1.2.json", "CycloneDX 1.2 JSON", 884),
    ("redis-commander.cdx-1.4.json", "CycloneDX 1.4 JSON", 514),
    ("saasbom-apigateway.cdx-1.4.json", "CycloneDX 1.4 JSON", 0),
]


@pytest.mark.parametrize(("name", "fmt", "expected"), REAL_BOMS)
def test_real_boms_parse_with_expected_counts(name: str, fmt: str, expected: int) -> None:
    inventory = read(name)
    assert inventory.format == fmt
    assert len(inventory.components) == expected


def test_every_real_bom_is_in_the_table() -> None:
    folder = shared_path("sbom", "cyclonedx")
    assert sorted(p.name for p in folder.iterdir()) == sorted(row[0] for row in REAL_BOMS)


@pytest.mark.parametrize(
    ("name", "purl", "ecosystem", "package", "version"),
    [
        (
            "keycloak-10.0.2.cdx-1.2.json",
            "pkg:maven/org.keycloak/keycloak-core@10.0.2?type=jar",
            "Maven",
            "org.keycloak:keycloak-core",
            "10.0.2",
        ),
        (
            "mediawiki-image.cdx-1.4.xml",
            "pkg:composer/wikimedia/less.php@v3.1.0",
            "Packagist",
            "wikimedia/less.php",
            "v3.1.0",
        ),
        (
            "obsidian-sailboat.cdx-1.2.json",
            "pkg:nuget/Newtonsoft.Json@11.0.2",
            "NuGet",
            "Newtonsoft.Json",
            "11.0.2",
        ),
        (
            "proton-bridge-1.6.3.cdx-1.2.xml",
            "pkg:golang/github.com/google/uuid@v1.1.1",
            "Go",
            "github.com/google/uuid",
            "1.1.1",
        ),
    ],
)
def test_real_components_map_to_osv_packages(
    name: str, purl: str, ecosystem: str, package: str, version: str
) -> None:
    found = by_purl(read(name))[purl]
    assert (found.ecosystem, found.name, found.version) == (ecosystem, package, version)


def test_json_and_xml_of_the_same_bom_agree() -> None:
    json_bom = read("dropwizard-1.3.15.cdx-1.2.json")
    xml_bom = read("dropwizard-1.3.15.cdx-1.2.xml")
    assert [(c.purl, c.ref) for c in json_bom.components] == [
        (c.purl, c.ref) for c in xml_bom.components
    ]
    assert json_bom.name == xml_bom.name == "io.dropwizard/dropwizard-parent 1.3.15"


def test_nested_components_are_read_in_document_order() -> None:
    inventory = read("juice-shop-via-npm-bare.cdx-1.4.xml")
    flat = read("juice-shop-via-npm-flat.cdx-1.4.json")
    assert sorted(c.purl for c in inventory.components) == sorted(c.purl for c in flat.components)
    assert inventory.name == "juice-shop 14.1.1"


def test_bom_ref_is_kept_and_duplicates_with_distinct_refs_stay() -> None:
    inventory = read("juice-shop-via-npm-flat.cdx-1.4.json")
    refs = [c.ref for c in inventory.components]
    assert None not in refs
    assert len(set(refs)) == len(refs) == 1115
    assert len({c.purl for c in inventory.components}) == 978


def test_npm_development_property_marks_dev_components() -> None:
    inventory = read("redis-commander.cdx-1.4.json")
    dev = [c for c in inventory.components if c.dev]
    assert len(dev) == 362
    components = by_purl(inventory)
    assert components["pkg:npm/%40cyclonedx/bom@4.0.2"].dev
    assert not components["pkg:npm/async@3.2.4"].dev


def test_excluded_scope_marks_dev_components() -> None:
    inventory = read("obsidian-sailboat.cdx-1.2.json")
    assert sum(c.dev for c in inventory.components) == 15


def test_components_without_purl_are_counted_in_a_warning() -> None:
    inventory = read("cbom-protocol.cdx-1.6.json")
    assert inventory.name == "my application 1.0"
    [warning] = inventory.warnings
    assert warning.startswith("8 components without a package URL (purl) skipped")
    assert "cryptographic-asset: 8" in warning
    assert "'TLSv1.2'" in warning


def test_older_syft_alpine_purls_map_to_the_osv_alpine_release() -> None:
    # Older syft wrote pkg:alpine/NAME@V?distro=alpine-3.16.0; OSV's ecosystem is Alpine:v3.16.
    inventory = read("mediawiki-image.cdx-1.4.xml")
    alpine = [c for c in inventory.components if c.purl.startswith("pkg:alpine/")]
    assert len(alpine) == 97
    assert {c.ecosystem for c in alpine} == {"Alpine:v3.16"}
    assert any("operating-system: 1" in w and "'alpine 3.16.0'" in w for w in inventory.warnings)


def test_services_only_bom_is_an_empty_inventory_with_warnings() -> None:
    inventory = read("saasbom-apigateway.cdx-1.4.json")
    assert inventory.components == []
    assert "the BOM lists no components" in inventory.warnings
    assert any(w.startswith("6 services not read") for w in inventory.warnings)


def test_metadata_component_library_with_purl_is_a_component() -> None:
    inventory = parse_json(
        bom(
            {"type": "library", "name": "b", "purl": "pkg:npm/b@2.0.0"},
            metadata={
                "component": {
                    "type": "library",
                    "bom-ref": "root",
                    "name": "a",
                    "version": "1.0.0",
                    "purl": "pkg:npm/a@1.0.0",
                }
            },
        )
    )
    assert [(c.purl, c.ref) for c in inventory.components] == [
        ("pkg:npm/a@1.0.0", "root"),
        ("pkg:npm/b@2.0.0", None),
    ]
    assert inventory.name == "a 1.0.0"


def test_metadata_component_application_names_the_inventory_only() -> None:
    inventory = parse_json(
        bom(
            metadata={
                "component": {
                    "type": "application",
                    "group": "com.example",
                    "name": "shop",
                    "purl": "pkg:maven/com.example/shop@3",
                    "components": [{"type": "library", "name": "x", "purl": "pkg:npm/x@1"}],
                }
            },
        )
    )
    assert inventory.components == []
    assert inventory.name == "com.example/shop"
    assert any("1 component nested in metadata.component not read" in w for w in inventory.warnings)


def test_nested_json_components_are_read_depth_first() -> None:
    inventory = parse_json(
        bom(
            {
                "type": "library",
                "name": "outer",
                "purl": "pkg:pypi/outer@1",
                "components": [
                    {
                        "type": "library",
                        "name": "inner",
                        "purl": "pkg:pypi/inner@2",
                        "components": [{"type": "library", "purl": "pkg:pypi/innermost@3"}],
                    }
                ],
            },
            {"type": "library", "purl": "pkg:pypi/next@4"},
        )
    )
    assert [c.name for c in inventory.components] == ["outer", "inner", "innermost", "next"]


def test_exact_repeats_are_dropped() -> None:
    entry: dict[str, object] = {"type": "library", "bom-ref": "r", "purl": "pkg:npm/a@1"}
    inventory = parse_json(bom(entry, entry, {"type": "library", "purl": "pkg:npm/a@1"}))
    assert [(c.purl, c.ref) for c in inventory.components] == [
        ("pkg:npm/a@1", "r"),
        ("pkg:npm/a@1", None),
    ]


def test_invalid_purl_is_skipped_with_a_warning_naming_the_entry() -> None:
    inventory = parse_json(
        bom(
            {"type": "library", "purl": "pkg:npm/ok@1"},
            {"type": "library", "bom-ref": "bad-one", "purl": "npm:left-pad@1.0.0"},
        )
    )
    assert [c.purl for c in inventory.components] == ["pkg:npm/ok@1"]
    assert inventory.warnings[0].startswith(
        "1 component skipped: the package URL is not valid: "
        "components[1] (bom-ref 'bad-one'): 'npm:left-pad@1.0.0'"
    )


XML_15 = """<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <metadata>
    <component type="application"><name>app</name><version>2.0</version></component>
  </metadata>
  <components>
    <component type="library" bom-ref="a">
      <group>org.example</group><name>a</name><version>1.0</version>
      <purl> pkg:maven/org.example/a@1.0 </purl>
      <scope>excluded</scope>
      <components>
        <component type="library" bom-ref="b"><name>b</name><purl>pkg:npm/b@2.0.0</purl></component>
      </components>
    </component>
    <component type="file"><name>README</name></component>
  </components>
  <vulnerabilities>
    <vulnerability bom-ref="v1"><id>CVE-2021-44228</id></vulnerability>
  </vulnerabilities>
</bom>
"""


def test_xml_components_nested_scope_and_embedded_vex() -> None:
    inventory = parse_xml(XML_15)
    assert inventory.format == "CycloneDX 1.5 XML"
    assert inventory.name == "app 2.0"
    assert [(c.purl, c.ref, c.dev) for c in inventory.components] == [
        ("pkg:maven/org.example/a@1.0", "a", True),
        ("pkg:npm/b@2.0.0", "b", False),
    ]
    assert any("file: 1" in w and "'README'" in w for w in inventory.warnings)
    assert any("1 vulnerability (embedded VEX)" in w for w in inventory.warnings)


@pytest.mark.parametrize("minor", range(8))
def test_xml_spec_version_comes_from_the_namespace(minor: int) -> None:
    inventory = parse_xml(XML_15.replace("bom/1.5", f"bom/1.{minor}"))
    assert inventory.format == f"CycloneDX 1.{minor} XML"
    assert not any("newer" in w for w in inventory.warnings)


def test_newer_minor_version_is_read_with_a_warning() -> None:
    inventory = parse_json(
        {**bom({"type": "library", "purl": "pkg:npm/a@1"}), "specVersion": "1.8"}
    )
    assert inventory.format == "CycloneDX 1.8 JSON"
    assert inventory.warnings[0].startswith("CycloneDX 1.8 is newer than 1.7")


def test_vex_only_document_is_refused_as_an_inventory() -> None:
    path = shared_path("sbom", "cyclonedx-vex", "vex.json")
    with pytest.raises(InputError) as caught:
        parse_inventory(path.read_bytes(), ParseContext(path.name))
    assert caught.value.reason.startswith(
        "is a CycloneDX VEX document (1 vulnerability, no components)"
    )


def test_bom_with_vex_sibling_reads_the_bom() -> None:
    path = shared_path("sbom", "cyclonedx-vex", "bom.json")
    inventory = parse_inventory(path.read_bytes(), ParseContext(path.name))
    assert inventory.format == "CycloneDX 1.3 JSON"
    assert len(inventory.components) == 4


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("bom.json", "CycloneDX JSON"),
        ("BOM.XML", "CycloneDX XML"),
        ("app.cdx.json", "CycloneDX JSON"),
        ("app.cdx.xml", "CycloneDX XML"),
        ("app.cyclonedx.json", "CycloneDX JSON"),
        ("dir/app.cyclonedx.xml", "CycloneDX XML"),
        ("app.bom.json", "CycloneDX JSON"),
    ],
)
def test_detected_by_file_name(filename: str, fmt: str) -> None:
    assert detect_format(filename, b"").name == fmt


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6"}', "CycloneDX JSON"),
        (b'{"$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json"}', "CycloneDX JSON"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.3" version="1">', "CycloneDX XML"),
        (
            b"<cdx:bom xmlns:cdx='http://cyclonedx.org/schema/bom/1.4'>",
            "CycloneDX XML",
        ),
        ('{"bomFormat":"CycloneDX"}'.encode("utf-16"), "CycloneDX JSON"),
    ],
)
def test_detected_by_content(head: bytes, fmt: str) -> None:
    assert detect_format("upload", head).name == fmt


def test_json_content_under_an_xml_name_is_read_as_json() -> None:
    inventory = parse_json(bom({"type": "library", "purl": "pkg:npm/a@1"}), name="bom.xml")
    assert inventory.format == "CycloneDX 1.5 JSON"


def test_prefixed_xml_namespace_is_read() -> None:
    text = (
        "<c:bom xmlns:c='http://cyclonedx.org/schema/bom/1.4'><c:components>"
        "<c:component type='library'><c:name>a</c:name><c:purl>pkg:gem/a@1</c:purl>"
        "</c:component></c:components></c:bom>"
    )
    assert [c.ecosystem for c in parse_xml(text).components] == ["RubyGems"]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"specVersion": "1.5"}, "is not a CycloneDX BOM: bomFormat is missing"),
        (
            {"spdxVersion": "SPDX-2.3"},
            "is not a CycloneDX BOM: bomFormat is missing (it looks like SPDX JSON)",
        ),
        ({"bomFormat": "CycloneDX"}, "is not a CycloneDX BOM: specVersion is missing"),
        (
            {"bomFormat": "CycloneDX", "specVersion": 1.4},
            "specVersion must be a string such as '1.6', found a number",
        ),
        (
            {"bomFormat": "CycloneDX", "specVersion": "2.0"},
            "specVersion '2.0' is not a CycloneDX version this reader knows (1.0 to 1.7)",
        ),
        (
            {"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": []},
            "metadata must be an object, found an array",
        ),
    ],
)
def test_json_document_errors(doc: dict[str, object], reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_cyclonedx(orjson.dumps(doc), ParseContext("bom.json"))
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "<bom version='1'/>",
            "is not a CycloneDX BOM: the XML root element is <bom> in no namespace, expected "
            "<bom> in namespace http://cyclonedx.org/schema/bom/1.x",
        ),
        (
            "<project xmlns='http://maven.apache.org/POM/4.0.0'/>",
            "is not a CycloneDX BOM: the XML root element is <project>, expected <bom> in "
            "namespace http://cyclonedx.org/schema/bom/1.x",
        ),
        (
            "<bom xmlns='http://cyclonedx.org/schema/bom/2.0'/>",
            "the XML namespace version '2.0' is not a CycloneDX version this reader knows "
            "(1.0 to 1.7)",
        ),
    ],
)
def test_xml_document_errors(text: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_cyclonedx(text.encode(), ParseContext("bom.xml"))
    assert caught.value.reason == reason


def test_not_json_nor_xml() -> None:
    with pytest.raises(InputError) as caught:
        parse_cyclonedx(b"name,version\n", ParseContext("bom.json"))
    assert caught.value.reason == "is not a CycloneDX BOM: expected JSON or XML, found 'n' first"


def test_long_leading_whitespace_is_not_mistaken_for_an_empty_file() -> None:
    data = b"\n" * 10_000 + orjson.dumps(bom({"type": "library", "purl": "pkg:npm/a@1"}))
    inventory = parse_inventory(data, ParseContext("bom.json"))
    assert [c.purl for c in inventory.components] == ["pkg:npm/a@1"]


def test_every_real_bom_is_detected_by_content_alone() -> None:
    for name, fmt, _ in REAL_BOMS:
        data = shared_path("sbom", "cyclonedx", name).read_bytes()
        expected = "CycloneDX XML" if "XML" in fmt else "CycloneDX JSON"
        assert detect_format("upload", data[:65536]).name == expected, name


def test_vex_examples_are_refused_and_their_boms_read() -> None:
    folder = shared_path("sbom", "cyclonedx-vex")
    documents = sorted(folder.rglob("*.json"))
    assert len(documents) == 39
    for path in documents:
        data = path.read_bytes()
        if path.name.startswith("vex"):
            with pytest.raises(InputError, match="is a CycloneDX VEX document"):
                parse_inventory(data, ParseContext(path.name))
        else:
            assert parse_inventory(data, ParseContext(path.name)).format.startswith("CycloneDX")
