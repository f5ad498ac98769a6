"""CSAF 2.0 documents as findings: schema-valid documents go through, others are refused."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import pytest

from clearinghouse.formats.csaf import CSAF_SCHEMA_FILES, csaf_schema_errors, parse_csaf
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import ReportedFinding
from tests.conftest import shared_path


def test_vendored_csaf_and_cvss_schemas_are_upstreams() -> None:
    shared = {
        "csaf_json_schema.json": shared_path("schemas", "csaf", "2.0", "csaf_json_schema.json"),
        "cvss-v2.0.json": shared_path("schemas", "cvss", "cvss-v2.0.json"),
        "cvss-v3.0.json": shared_path("schemas", "cvss", "cvss-v3.0.json"),
        "cvss-v3.1.json": shared_path("schemas", "cvss", "cvss-v3.1.json"),
    }
    assert set(shared) == set(CSAF_SCHEMA_FILES)
    for name, upstream in shared.items():
        vendored = resources.files("clearinghouse.formats").joinpath(f"schemas/{name}")
        assert vendored.read_bytes() == upstream.read_bytes(), name


def _documents() -> list[Path]:
    root = shared_path("csaf")
    return sorted(
        [
            *root.glob("examples/2.0/csaf/**/*.json"),
            *root.glob("real/redhat/*.json"),
            *root.glob("gocsaf-testdata/csaf-documents/valid/*.json"),
        ]
    )


def test_every_csaf_2_0_document_yields_one_finding_per_vulnerability() -> None:
    documents = _documents()
    assert len(documents) >= 20
    for path in documents:
        document = json.loads(path.read_bytes())
        assert csaf_schema_errors(document) == [], path.name
        parsed = list(parse_csaf(path.name, path.read_bytes(), max_findings=10_000))
        assert len(parsed) == len(document.get("vulnerabilities") or []), path.name
        assert all(isinstance(f, ReportedFinding) for f in parsed), path.name
        for finding, vulnerability in zip(
            parsed, document.get("vulnerabilities") or [], strict=True
        ):
            assert isinstance(finding, ReportedFinding)
            if "cve" in vulnerability:
                assert finding.aliases[0] == vulnerability["cve"]


def test_red_hat_products_resolve_to_rpm_packages_with_fixed_versions() -> None:
    path = shared_path("csaf", "real", "redhat", "rhsa-2024_4420.json")
    (finding,) = parse_csaf(path.name, path.read_bytes(), max_findings=10)
    assert isinstance(finding, ReportedFinding)
    assert finding.aliases == ("CVE-2024-4467",)
    assert finding.cwes == ("CWE-400",)
    assert finding.cvss_vectors == ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",)
    hivex = next(e for e in finding.affected if e["package"]["name"] == "hivex")
    assert hivex["package"]["ecosystem"] == "Red Hat"
    events = hivex["ranges"][0]["events"]
    assert events[0] == {"introduced": "0"}
    assert {"fixed": "1.3.18-23.module+el8.9.0+18724+20190c23"} in events


def test_a_document_breaking_the_schema_is_refused_with_the_path() -> None:
    path = shared_path("csaf", "examples", "2.0", "csaf", "bsi-2022-0001.json")
    document = json.loads(path.read_bytes())
    broken = copy.deepcopy(document)
    del broken["document"]["tracking"]
    with pytest.raises(InputError, match=r"CSAF 2\.0 schema: document"):
        list(parse_csaf("broken", json.dumps(broken).encode(), max_findings=10))


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        (
            (
                "csaf",
                "gocsaf-testdata",
                "csaf-documents",
                "trailing-garbage-data",
                "avendor-advisory-0004.json",
            ),
            "JSON",
        ),
        (("csaf", "examples", "2.1-draft", "csaf", "bsi-2022-0001.json"), r"only 2\.0"),
        (
            ("csaf", "examples", "2.0", "ROLIE", "example-01-feed-tlp-white.json"),
            "not a CSAF document",
        ),
        (
            ("csaf", "examples", "2.0", "provider-metadata", "example-01-provider-metadata.json"),
            "not a CSAF document",
        ),
    ],
)
def test_what_is_not_a_csaf_2_0_document_is_refused(parts: tuple[str, ...], reason: str) -> None:
    path = shared_path(*parts)
    with pytest.raises(InputError, match=reason):
        list(parse_csaf(path.name, path.read_bytes(), max_findings=10))
