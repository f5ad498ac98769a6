"""Reading CycloneDX VEX: the CISA and CycloneDX use cases, state and justification mapping,
BOM-Links, vers ranges, and precise refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.formats.cyclonedx_vex import (
    bom_identity,
    parse_cyclonedx_vex,
    parse_vers,
    version_matches,
)
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.openvex import VexStatus
from tests.conftest import shared_path

LIMIT = 1 << 24


def _read(*parts: str) -> Any:
    path = shared_path("sbom", "cyclonedx-vex", *parts)
    return parse_cyclonedx_vex(path.read_bytes(), str(path), LIMIT)


def test_every_real_vex_sample_reads() -> None:
    root = shared_path("sbom", "cyclonedx-vex")
    read = 0
    for path in sorted(root.rglob("*.json")):
        if path.name.startswith("bom"):
            continue
        document = parse_cyclonedx_vex(path.read_bytes(), str(path), LIMIT)
        assert document.statements, path
        read += 1
    assert read == 25  # 11 CISA documents, 13 CycloneDX use cases, the top-level example


@pytest.mark.parametrize(
    ("name", "status", "justification"),
    [
        ("vex-affected.json", VexStatus.affected, None),
        ("vex-fixed.json", VexStatus.fixed, None),
        ("vex-not_affected.json", VexStatus.not_affected, "vulnerable_code_not_present"),
        ("vex-under_investigation.json", VexStatus.under_investigation, None),
    ],
)
def test_cisa_case_1_states_map_to_vex_statuses(
    name: str, status: VexStatus, justification: str | None
) -> None:
    [statement] = _read("CISA-Use-Cases", "Case-1", name).statements
    assert statement.vulnerability == "CVE-2021-44228"
    assert statement.status is status
    assert statement.justification == justification
    [product] = statement.products
    assert product.is_subject  # metadata.component: the product itself


def test_originals_are_kept_beside_the_mapped_vocabulary() -> None:
    [statement] = _read("CISA-Use-Cases", "Case-1", "vex-not_affected.json").statements
    assert statement.original["state"] == "not_affected"
    assert statement.original["justification"] == "code_not_present"
    assert statement.original["response"] == ["will_not_fix"]
    assert statement.impact_statement is not None
    assert "removed before shipping" in statement.impact_statement


def test_mitigating_control_maps_to_inline_mitigations() -> None:
    statements = _read("Use-Cases", "Case-12", "vex.json").statements
    by_id = {s.vulnerability: s for s in statements}
    assert by_id["CVE-2020-14195"].justification == "inline_mitigations_already_exist"
    assert by_id["CVE-2020-25649"].justification == "vulnerable_code_not_in_execute_path"
    assert by_id["CVE-2020-35491"].status is VexStatus.affected
    assert by_id["CVE-2020-35491"].action_statement == "Response: will not fix, update"


def test_bom_links_name_the_bom_and_the_component() -> None:
    [statement] = _read("vex.json").statements
    [product] = statement.products
    assert product.bom_serial == "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    assert product.purl == "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"
    assert statement.aliases == ("SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302",)
    first, second = _read("Use-Cases", "Case-13", "vex.json").statements
    assert [p.ref for p in first.products] == ["acme-product-1", "acme-product-2"]
    assert second.products[0].bom_serial == "urn:uuid:240b5b0b-917d-4f48-816c-97e1944d8079"


def test_version_ranges_are_kept_as_constraints() -> None:
    affected, unaffected = _read("CISA-Use-Cases", "Case-6", "vex.json").statements
    assert affected.products[0].versions == ("2.4", "2.6", "vers:generic/>=2.9|<=4.1")
    constraints = unaffected.products[0].versions
    assert constraints is not None
    assert version_matches(constraints, "4.2", None)
    assert version_matches(constraints, "2.0", None)
    assert not version_matches(constraints, "2.6", None)
    assert not version_matches(constraints, "3.0", None)


def test_vers_ranges_follow_the_specification() -> None:
    # unsorted constraints, as the CycloneDX samples write them
    assert version_matches(["vers:semver/<7.0.0|>=1.5.0"], "6.9.9", None)
    assert not version_matches(["vers:semver/<7.0.0|>=1.5.0"], "7.0.0", None)
    outside = ["vers:semver/<1.5.0|>=7.0.0"]
    assert version_matches(outside, "1.4.9", None)
    assert version_matches(outside, "7.0.0", None)
    assert not version_matches(outside, "3.0.0", None)
    assert version_matches(["vers:pypi/!=2.0"], "2.1", "PyPI")
    assert not version_matches(["vers:pypi/!=2.0"], "2.0.0", "PyPI")  # PEP 440: 2.0 == 2.0.0
    assert version_matches(["vers:generic/*"], "anything", None)
    with pytest.raises(ValueError, match="starts with 'vers:'"):
        parse_vers(">=1.0")
    with pytest.raises(ValueError, match="has no version"):
        parse_vers("vers:npm/>=")


def test_bom_identity_reads_serial_and_subject_from_json_and_xml() -> None:
    path = shared_path("sbom", "cyclonedx-vex", "Use-Cases", "Case-13", "bom-3.json")
    identity = bom_identity(path.read_bytes(), str(path))
    assert identity.serial == "urn:uuid:240b5b0b-917d-4f48-816c-97e1944d8079"
    assert identity.subject_ref == "acme-product-3"
    xml = shared_path("sbom", "cyclonedx", "dropwizard-1.3.15.cdx-1.2.xml")
    from_xml = bom_identity(xml.read_bytes(), str(xml))
    assert from_xml.serial is not None
    assert from_xml.serial.startswith("urn:uuid:")


def _vex(**vulnerability: Any) -> bytes:
    entry = {
        "id": "CVE-2020-25649",
        "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
        "affects": [{"ref": "pkg:pypi/requests@2.21.0"}],
    }
    entry.update(vulnerability)
    return json.dumps(
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [entry]}
    ).encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_vex(analysis={"state": "broken"}), r"vulnerabilities\[0\]\.analysis\.state is 'broken'"),
        (
            _vex(analysis={"state": "not_affected", "justification": "because"}),
            "'because' is not a CycloneDX justification",
        ),
        (_vex(analysis={"state": "false_positive"}), "neither analysis.justification nor"),
        (_vex(affects=[{"ref": "nowhere"}]), r"affects\[0\]\.ref 'nowhere' is not a package URL"),
        (
            _vex(affects=[{"ref": "pkg:pypi/x", "versions": [{"version": "1", "range": "v"}]}]),
            r"versions\[0\] needs exactly one of version and range",
        ),
        (
            _vex(affects=[{"ref": "pkg:pypi/x", "versions": [{"range": ">=1.0"}]}]),
            r"versions\[0\]\.range '>=1.0': a vers range starts with 'vers:'",
        ),
        (_vex(affects=[{"ref": "urn:cdx:nope"}]), "is not a BOM-Link"),
        (_vex(id=None), r"vulnerabilities\[0\]\.id is required"),
        (
            json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.3"}).encode(),
            "specVersion '1.3'",
        ),
        (b"<bom/>", "is read as JSON"),
    ],
)
def test_malformed_vex_is_refused_precisely(data: bytes, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        parse_cyclonedx_vex(data, "vex.json", LIMIT)


def test_vulnerabilities_without_analysis_are_reported_not_guessed(tmp_path: Path) -> None:
    data = json.loads(_vex())
    data["vulnerabilities"].append({"id": "CVE-2024-1", "affects": [{"ref": "pkg:pypi/x"}]})
    document = parse_cyclonedx_vex(json.dumps(data).encode(), "vex.json", LIMIT)
    assert len(document.statements) == 1
    assert document.warnings == [
        "vulnerabilities[1] ('CVE-2024-1') has no analysis: not a VEX statement"
    ]
