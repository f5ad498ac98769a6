"""SPDX documents in: real documents from shared/data and the rules of the specification."""

from __future__ import annotations

import orjson
import pytest
import yaml

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import (
    Component,
    Inventory,
    ParseContext,
    detect_format,
    parse_inventory,
)
from clearinghouse.formats.spdx import parse_spdx
from tests.conftest import shared_path


def read(name: str) -> Inventory:
    path = shared_path("sbom", "spdx", name)
    return parse_inventory(path.read_bytes(), ParseContext(path.name))


def parse_text(text: str, name: str = "doc.spdx") -> Inventory:
    return parse_inventory(text.encode(), ParseContext(name))


def parse_json(doc: object, name: str = "doc.spdx.json") -> Inventory:
    return parse_inventory(orjson.dumps(doc), ParseContext(name))


def rejected(text: str, name: str = "doc.spdx") -> str:
    with pytest.raises(InputError) as caught:
        parse_spdx(text.encode(), ParseContext(name))
    return caught.value.reason


def by_purl(inventory: Inventory) -> dict[str, Component]:
    return {c.purl: c for c in inventory.components}


def package(spdx_id: str, name: str, *purls: str, **extra: object) -> dict[str, object]:
    refs = [
        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p}
        for p in purls
    ]
    return {"SPDXID": spdx_id, "name": name, "externalRefs": refs, **extra}


def document(*packages: dict[str, object], **extra: object) -> dict[str, object]:
    return {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "doc",
        "packages": list(packages),
        **extra,
    }


# Expected component counts per real document: one component per distinct package URL of a
# package. INDEX.md counts packages; the notes say why a count differs.
REAL_DOCUMENTS = [
    # No package has a purl (container image layers, files): all 177 named in a warning.
    ("chartmuseum-0.14.0.spdx-2.2.spdx", "SPDX 2.2 tag-value", 0),
    ("constellation-2.2.2.spdx-2.2.json", "SPDX 2.2 JSON", 1303),
    # INDEX counts 475 purl references on 460 packages (2 without a purl). 9 packages repeat a
    # purl under the same SPDXID once the percent-encoded '@' is read, leaving 466.
    ("fatbom-0.0.2.spdx-2.2.spdx", "SPDX 2.2 tag-value", 466),
    ("flux-0.26.3.spdx-2.2.json", "SPDX 2.2 JSON", 244),
    ("flux-0.26.3.spdx-2.2.spdx", "SPDX 2.2 tag-value", 244),
    # INDEX 1160 packages; 3 have no purl (the 1157 include one pkg:gem, beyond INDEX's top 4).
    ("grype-0.32.0.spdx-2.2.json", "SPDX 2.2 JSON", 1157),
    ("julia.spdx-2.2.json", "SPDX 2.2 JSON", 0),
    ("kubernetes-1.25.4-release.spdx-2.3.spdx", "SPDX 2.3 tag-value", 0),
    # INDEX 123 packages: the root has no purl and one "purl" is an https URL (skipped, warned).
    ("microsoft-sbom-tool.spdx-2.2.json", "SPDX 2.2 JSON", 121),
    # INDEX 331 packages: the root package has no purl.
    ("powershell-7.2.1-alpine.spdx-2.2.json", "SPDX 2.2 JSON", 330),
    ("spdx-examples-appbomination.spdx-2.2.json", "SPDX 2.2 JSON", 4),
    ("spdx-examples-example11.spdx-2.3.json", "SPDX 2.3 JSON", 4),
    ("spdx-examples-example11.spdx-3.0.jsonld", "SPDX 3.0.1 JSON-LD", 4),
    ("spdx-examples-example6-lib.spdx-2.2.spdx", "SPDX 2.2 tag-value", 0),
    ("spdx-spec-example.spdx-2.3.json", "SPDX 2.3 JSON", 1),
    ("spdx-spec-example.spdx-2.3.spdx", "SPDX 2.3 tag-value", 1),
    ("usbutils.spdx-2.1.spdx", "SPDX 2.1 tag-value", 0),
]


@pytest.mark.parametrize(("name", "fmt", "expected"), REAL_DOCUMENTS)
def test_real_documents_parse_with_expected_counts(name: str, fmt: str, expected: int) -> None:
    inventory = read(name)
    assert inventory.format == fmt
    assert len(inventory.components) == expected


def test_every_real_document_is_in_the_table() -> None:
    folder = shared_path("sbom", "spdx")
    assert sorted(p.name for p in folder.iterdir()) == sorted(row[0] for row in REAL_DOCUMENTS)


def test_json_and_tag_value_of_the_same_document_agree() -> None:
    for stem in ("flux-0.26.3.spdx-2.2", "spdx-spec-example.spdx-2.3"):
        from_json = read(f"{stem}.json")
        from_tag_value = read(f"{stem}.spdx")
        assert sorted((c.purl, c.ref) for c in from_json.components) == sorted(
            (c.purl, c.ref) for c in from_tag_value.components
        )
        assert from_json.name == from_tag_value.name


def test_spec_example_reads_the_purl_of_its_only_maven_package() -> None:
    inventory = read("spdx-spec-example.spdx-2.3.spdx")
    [jena] = inventory.components
    assert (jena.ecosystem, jena.name, jena.version, jena.ref) == (
        "Maven",
        "org.apache.jena:apache-jena",
        "3.12.0",
        "SPDXRef-fromDoap-0",
    )
    assert inventory.name == "SPDX-Tools-v2.0"
    assert any(w.startswith("3 packages without a package URL") for w in inventory.warnings)


def test_spdxid_is_kept_as_ref() -> None:
    components = by_purl(read("powershell-7.2.1-alpine.spdx-2.2.json"))
    assert components["pkg:npm/read-pkg@1.1.0"].ref == (
        "SPDXRef-Package-read-pkg-1.1.0-30839A4052AC42B4E1CAB4B52EBC7DE7B94BB36D"
    )
    assert components["pkg:npm/read-pkg@1.1.0"].ecosystem == "npm"


def test_same_purl_under_different_spdxids_stays() -> None:
    inventory = read("constellation-2.2.2.spdx-2.2.json")
    assert len({c.ref for c in inventory.components}) == 1303
    assert len({c.purl for c in inventory.components}) == 375


def test_percent_encoded_version_separator_is_read_when_the_version_confirms_it() -> None:
    inventory = read("fatbom-0.0.2.spdx-2.2.spdx")
    difflib = by_purl(inventory)["pkg:golang/github.com/pmezard/go-difflib@v1.0.0"]
    assert (difflib.ecosystem, difflib.name, difflib.version) == (
        "Go",
        "github.com/pmezard/go-difflib",
        "1.0.0",
    )
    assert any(w.startswith("458 package URLs had the '@'") for w in inventory.warnings)


def test_percent_encoded_at_without_a_matching_version_is_left_alone() -> None:
    inventory = parse_json(
        document(package("SPDXRef-a", "a", "pkg:golang/x.org/a%40v1.0.0", versionInfo="v2.0.0"))
    )
    [component] = inventory.components
    assert component.version is None
    assert not any("percent-encoded" in w for w in inventory.warnings)


def test_invalid_purl_is_skipped_with_a_warning_naming_the_package() -> None:
    inventory = read("microsoft-sbom-tool.spdx-2.2.json")
    assert inventory.name == "SBOMTool 1.1.2"
    assert {c.ecosystem for c in inventory.components} == {"NuGet"}
    assert inventory.warnings[0].startswith(
        "1 package reference skipped: the package URL is not valid: packages[61] "
        "(SPDXRef-Package-6BB06E323455FB76491FCC60C2AA5D61E3CA023EA504A1F3CEA5B7390AACC285) "
        "externalRefs[0]: 'https://github.com/actions/virtual-environments'"
    )


def test_test_dependency_relationship_marks_dev() -> None:
    inventory = read("spdx-examples-appbomination.spdx-2.2.json")
    assert inventory.name == "App-BOM-ination 1.0"
    assert [c.ref for c in inventory.components if c.dev] == ["SPDXRef-22"]


def test_dev_dependency_that_is_also_a_runtime_dependency_is_not_dev() -> None:
    inventory = parse_json(
        document(
            package("SPDXRef-app", "app"),
            package("SPDXRef-a", "a", "pkg:npm/a@1"),
            package("SPDXRef-b", "b", "pkg:npm/b@1"),
            relationships=[
                {
                    "spdxElementId": "SPDXRef-a",
                    "relationshipType": "DEV_DEPENDENCY_OF",
                    "relatedSpdxElement": "SPDXRef-app",
                },
                {
                    "spdxElementId": "SPDXRef-b",
                    "relationshipType": "dev_dependency_of",
                    "relatedSpdxElement": "SPDXRef-app",
                },
                {
                    "spdxElementId": "SPDXRef-app",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": "SPDXRef-a",
                },
            ],
            documentDescribes=["SPDXRef-app"],
        )
    )
    assert [(c.name, c.dev) for c in inventory.components] == [("a", False), ("b", True)]
    assert inventory.name == "app"


def test_spdx3_json_ld_packages_and_identifiers() -> None:
    inventory = read("spdx-examples-example11.spdx-3.0.jsonld")
    assert sorted((c.ecosystem or "", c.name, c.version or "") for c in inventory.components) == [
        ("Debian", "libselinux1-dev", "3.1-3"),
        ("crates.io", "hyper", "0.14"),
        ("crates.io", "pretty_env_logger", "0.4.0"),
        ("crates.io", "tokio", "1.19.2"),
    ]
    assert all(
        c.ref and c.ref.startswith("https://spdx.org/spdxdocs/") for c in inventory.components
    )
    assert inventory.name == "SBOM-SPDX-2d85f548-12fa-46d5-87ce-5e78e5e111f4"


def test_spdx3_external_identifier_and_development_scope() -> None:
    context = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    doc = {
        "@context": context,
        "@graph": [
            {"type": "CreationInfo", "@id": "_:c", "specVersion": "3.0.1"},
            {"type": "SpdxDocument", "spdxId": "urn:doc", "name": "d", "rootElement": ["urn:a"]},
            {"type": "software_Package", "spdxId": "urn:a", "name": "app"},
            {
                "type": "software_Package",
                "spdxId": "urn:b",
                "name": "b",
                "externalIdentifier": [
                    {
                        "type": "ExternalIdentifier",
                        "externalIdentifierType": "cpe23",
                        "identifier": "x",
                    },
                    {
                        "type": "ExternalIdentifier",
                        "externalIdentifierType": "packageUrl",
                        "identifier": "pkg:pypi/requests@2.31.0",
                    },
                ],
            },
            {
                "type": "LifecycleScopedRelationship",
                "from": "urn:a",
                "relationshipType": "dependsOn",
                "scope": "development",
                "to": ["urn:b"],
            },
        ],
    }
    inventory = parse_json(doc, name="doc.spdx3.json")
    assert inventory.format == "SPDX 3.0.1 JSON-LD"
    assert inventory.name == "app"
    assert [(c.ecosystem, c.name, c.ref, c.dev) for c in inventory.components] == [
        ("PyPI", "requests", "urn:b", True)
    ]


def test_json_ld_that_is_not_spdx3_is_refused() -> None:
    doc = {"@context": "https://schema.org", "@graph": []}
    with pytest.raises(InputError) as caught:
        parse_spdx(orjson.dumps(doc), ParseContext("x.spdx.json"))
    assert caught.value.reason.startswith("is JSON-LD but not SPDX 3")


def test_yaml_reads_like_json() -> None:
    path = shared_path("sbom", "spdx", "spdx-spec-example.spdx-2.3.json")
    as_yaml = yaml.safe_dump(orjson.loads(path.read_bytes()), sort_keys=False)
    inventory = parse_inventory(as_yaml.encode(), ParseContext("upload"))
    assert inventory.format == "SPDX 2.3 YAML"
    assert [c.purl for c in inventory.components] == [
        "pkg:maven/org.apache.jena/apache-jena@3.12.0"
    ]


TAG_VALUE = """\
# leading comment
SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: example
DocumentComment: <text>one line</text>
Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app

PackageName: app
SPDXID: SPDXRef-app
PackageVersion: 3.0
PackageDescription: <text>A description that spans lines
PackageName: not-a-package
ExternalRef: PACKAGE-MANAGER purl pkg:npm/not-a-ref@1
# not a comment either
</text>

PackageName: left-pad
SPDXID: SPDXRef-left-pad
PackageVersion: 1.3.0
ExternalRef: SECURITY cpe23Type cpe:2.3:a:left-pad:left-pad:1.3.0:*:*:*:*:*:*:*
ExternalRef: PACKAGE_MANAGER purl pkg:npm/left-pad@1.3.0
ExternalRef: PACKAGE-MANAGER purl pkg:github/left-pad/left-pad@v1.3.0
ExternalRefComment: <text>the same package on GitHub</text>
Relationship: SPDXRef-left-pad DEV_DEPENDENCY_OF SPDXRef-app

FileName: ./index.js
SPDXID: SPDXRef-file
FileChecksum: SHA1: 85ed0817af83a24ad8da68c2b5094de69833983c

SnippetSPDXID: SPDXRef-snippet
SnippetFromFileSPDXID: SPDXRef-file
SnippetByteRange: 1:20

LicenseID: LicenseRef-1
ExtractedText: <text>
PackageName: inside extracted text
</text>
"""


def test_tag_value_text_blocks_comments_relationships_files_and_snippets() -> None:
    inventory = parse_text(TAG_VALUE)
    assert inventory.format == "SPDX 2.3 tag-value"
    assert inventory.name == "app 3.0"
    assert [(c.purl, c.ecosystem, c.ref, c.dev) for c in inventory.components] == [
        ("pkg:npm/left-pad@1.3.0", "npm", "SPDXRef-left-pad", True),
        ("pkg:github/left-pad/left-pad@v1.3.0", "GitHub Actions", "SPDXRef-left-pad", True),
    ]
    assert inventory.warnings == [
        "1 package without a package URL (purl external reference) skipped, as no ecosystem "
        "can be derived without one: 'app 3.0'"
    ]


def test_tag_value_with_crlf_line_ends() -> None:
    inventory = parse_text(TAG_VALUE.replace("\n", "\r\n"))
    assert inventory.components[0].purl == "pkg:npm/left-pad@1.3.0"
    assert inventory.name == "app 3.0"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "SPDXVersion: SPDX-2.3\nthis is not a tag\n",
            "line 2: expected 'Tag: value', found 'this is not a tag'",
        ),
        (
            "SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>never closed\nmore\n",
            "line 3: the <text> value of PackageComment is never closed with </text> "
            "(the file may be truncated)",
        ),
        (
            "SPDXVersion: SPDX-2.3\nExternalRef: PACKAGE-MANAGER purl pkg:npm/a@1\n",
            "line 2: ExternalRef outside a package section",
        ),
        (
            "SPDXVersion: SPDX-2.3\nPackageName: a\nFileName: f\nPackageVersion: 1\n",
            "line 4: PackageVersion outside a package section",
        ),
        (
            "SPDXVersion: SPDX-2.3\nPackageName: a\nExternalRef: PACKAGE-MANAGER pkg:npm/a@1\n",
            "line 3: ExternalRef needs 'CATEGORY type locator', found "
            "'PACKAGE-MANAGER pkg:npm/a@1'",
        ),
        (
            "SPDXVersion: SPDX-2.3\nRelationship: SPDXRef-DOCUMENT DESCRIBES\n",
            "line 2: Relationship needs 'element TYPE related-element', found "
            "'SPDXRef-DOCUMENT DESCRIBES'",
        ),
        (
            "SPDXVersion: SPDX-2.3\nSPDXVersion: SPDX-2.3\n",
            "line 2: a second SPDXVersion: one document per file",
        ),
        (
            "DataLicense: CC0-1.0\nSPDXVersion: SPDX-2.3\n",
            "line 1: DataLicense before SPDXVersion, which must come first",
        ),
        (
            "SPDXVersion: SPDX-1.2\n",
            "SPDXVersion 'SPDX-1.2' is not an SPDX version this reader knows "
            "(SPDX-2.1 to SPDX-2.3, or SPDX 3 JSON-LD)",
        ),
        (
            "PackageName: a\n",
            "is not an SPDX document: no SPDXVersion (tag-value) or spdxVersion (YAML) found; "
            "SPDX RDF/XML is not read, export JSON or tag-value instead",
        ),
    ],
)
def test_tag_value_errors_name_the_line(text: str, reason: str) -> None:
    assert rejected(text) == reason


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([], "is not an SPDX document: the top level is an array, not an object"),
        (
            {"bomFormat": "CycloneDX"},
            "is not an SPDX document: spdxVersion is missing (it looks like CycloneDX)",
        ),
        (
            {"spdxVersion": "SPDX-3.0"},
            "spdxVersion 'SPDX-3.0' is not an SPDX version this reader knows "
            "(SPDX-2.1 to SPDX-2.3, or SPDX 3 JSON-LD)",
        ),
        (document(packages="none"), "packages must be an array, found a string"),
        (
            {**document(), "packages": ["x"]},
            "packages[0] must be an object, found a string",
        ),
        (
            document(
                {
                    "SPDXID": "SPDXRef-a",
                    "externalRefs": [
                        {
                            "referenceCategory": "PACKAGE-MANAGER",
                            "referenceType": "purl",
                            "referenceLocator": 42,
                        }
                    ],
                }
            ),
            "packages[0] (SPDXRef-a): externalRefs[0]: referenceLocator must be a string, "
            "found a number",
        ),
        (
            document({"SPDXID": "SPDXRef-a", "externalRefs": {"purl": "pkg:npm/a@1"}}),
            "packages[0] (SPDXRef-a): externalRefs must be an array, found an object",
        ),
        (
            document(package("SPDXRef-a", "a"), relationships=[["a", "DESCRIBES", "b"]]),
            "relationships[0] must be an object, found an array",
        ),
    ],
)
def test_json_errors_name_the_entry(doc: object, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_spdx(orjson.dumps(doc), ParseContext("doc.spdx.json"))
    assert caught.value.reason == reason


def test_other_external_reference_categories_are_not_purls() -> None:
    doc = document(
        {
            "SPDXID": "SPDXRef-a",
            "name": "a",
            "externalRefs": [
                {"referenceCategory": "OTHER", "referenceType": "purl", "referenceLocator": "x"},
                {
                    "referenceCategory": "package_manager",
                    "referenceType": "http://spdx.org/rdf/references/purl",
                    "referenceLocator": "pkg:cargo/serde@1.0.0",
                },
            ],
        }
    )
    assert [c.purl for c in parse_json(doc).components] == ["pkg:cargo/serde@1.0.0"]


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("sbom.spdx.json", "SPDX JSON"),
        ("sbom.spdx3.json", "SPDX JSON"),
        ("sbom.spdx", "SPDX tag-value"),
        ("SBOM.SPDX", "SPDX tag-value"),
        ("sbom.spdx.yaml", "SPDX YAML"),
        ("sbom.spdx.yml", "SPDX YAML"),
    ],
)
def test_detected_by_file_name(filename: str, fmt: str) -> None:
    assert detect_format(filename, b"").name == fmt


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b'{\n  "spdxVersion": "SPDX-2.3",', "SPDX JSON"),
        (b'{"files": [{"fileName": "a", "SPDXID": "SPDXRef-File-1"}', "SPDX JSON"),
        (b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"', "SPDX JSON"),
        (b"## Document\nSPDXVersion: SPDX-2.2\n", "SPDX tag-value"),
        (b"spdxVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\n", "SPDX YAML"),
        (b"---\nspdxVersion: 'SPDX-2.2'\n", "SPDX YAML"),
    ],
)
def test_detected_by_content(head: bytes, fmt: str) -> None:
    assert detect_format("upload", head).name == fmt


def test_every_real_document_is_detected_by_content_alone() -> None:
    for name, _, _ in REAL_DOCUMENTS:
        data = shared_path("sbom", "spdx", name).read_bytes()
        assert detect_format("upload", data[:65536]).name.startswith("SPDX"), name


def test_yaml_with_spdx_version_after_a_long_package_list_is_read() -> None:
    packages = [package(f"SPDXRef-{i}", f"p{i}", f"pkg:pypi/p{i}@1.0") for i in range(600)]
    text = yaml.safe_dump({"packages": packages, "spdxVersion": "SPDX-2.2"}, sort_keys=False)
    assert len(text) > 65536
    inventory = parse_inventory(text.encode(), ParseContext("sbom.spdx.yaml"))
    assert inventory.format == "SPDX 2.2 YAML"
    assert len(inventory.components) == 600
