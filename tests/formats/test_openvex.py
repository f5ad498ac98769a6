"""OpenVEX 0.2.0: statements read in CISA's vocabulary; every malformed part named precisely."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.openvex import VexStatus, parse_openvex

LIMIT = 1 << 20


def _document(*statements: dict[str, Any], **extra: Any) -> bytes:
    document: dict[str, Any] = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://openvex.dev/docs/public/vex-2e67563e128250cbcb3e98930df948dd053e43271d",
        "author": "Spring Builds <spring-builds@users.noreply.github.com>",
        "role": "Project Release Bot",
        "timestamp": "2023-01-16T19:07:16.853479631-06:00",
        "version": 1,
        "statements": list(statements),
    }
    document.update(extra)
    return json.dumps(document).encode()


SPRING = {
    "vulnerability": {
        "@id": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
        "name": "CVE-2021-44228",
        "description": "Remote code injection in Log4j",
        "aliases": ["GHSA-jfh8-c2jp-5v3q"],
    },
    "products": [
        {
            "@id": "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3",
            "identifiers": {"purl": "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3"},
            "hashes": {
                "sha-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            },
        }
    ],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path",
    "impact_statement": "Only applications using log4j-core and user input in messages.",
}


def test_the_specification_example_reads_with_its_timestamp_in_utc() -> None:
    document = parse_openvex(_document(SPRING), "spring.openvex.json", LIMIT)
    assert document.format == "OpenVEX 0.2.0"
    [statement] = document.statements
    assert statement.vulnerability == "CVE-2021-44228"
    assert statement.aliases == ("GHSA-jfh8-c2jp-5v3q",)
    assert statement.status is VexStatus.not_affected
    assert statement.justification == "vulnerable_code_not_in_execute_path"
    [product] = statement.products
    assert product.purl == "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3"
    # nanoseconds and a -06:00 offset, as Go tools write them
    assert statement.timestamp == datetime(2023, 1, 17, 1, 7, 16, 853479, tzinfo=UTC)


def test_subcomponents_are_the_targets_and_statement_time_overrides_the_document() -> None:
    statement = {
        "vulnerability": {"name": "CVE-2023-12345"},
        "timestamp": "2023-02-01T00:00:00Z",
        "products": [
            {
                "@id": "pkg:oci/wolfi-base@sha256%3Aabc",
                "subcomponents": [
                    {"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"},
                    {"identifiers": {"purl": "pkg:pypi/jinja2@3.1.2"}},
                ],
            }
        ],
        "status": "affected",
        "action_statement": "Upgrade git to 2.39.1",
    }
    [read] = parse_openvex(_document(statement), "doc.json", LIMIT).statements
    assert [p.purl for p in read.products] == [
        "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
        "pkg:pypi/jinja2@3.1.2",
    ]
    assert read.action_statement == "Upgrade git to 2.39.1"
    assert read.timestamp == datetime(2023, 2, 1, tzinfo=UTC)


def test_a_product_known_only_by_hash_is_a_subject_for_the_importer() -> None:
    statement = {
        "vulnerability": {"name": "CVE-2023-1"},
        "products": [{"hashes": {"sha-256": "00" * 32}}],
        "status": "under_investigation",
    }
    [read] = parse_openvex(_document(statement), "doc.json", LIMIT).statements
    assert read.products[0].is_subject


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"@context": "https://openvex.dev/ns"}, "only OpenVEX 0.2.0"),
        ({"author": ""}, "author is required"),
        ({"version": "1"}, "version is required"),
        ({"timestamp": "yesterday"}, "timestamp 'yesterday' is not an RFC 3339"),
        ({"statements": []}, "statements must be a non-empty array"),
    ],
)
def test_document_defects_are_named(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        parse_openvex(_document(SPRING, **change), "doc.json", LIMIT)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({**SPRING, "status": "exploitable"}, r"statements\[0\]\.status is 'exploitable'"),
        (
            {k: v for k, v in SPRING.items() if k not in ("justification", "impact_statement")},
            r"statements\[0\] is not_affected but gives neither a justification",
        ),
        ({**SPRING, "justification": "code_not_reachable"}, "is not a VEX justification"),
        (
            {**SPRING, "status": "affected", "justification": None, "impact_statement": None},
            "is affected but has no action_statement",
        ),
        ({**SPRING, "vulnerability": "CVE-2021-44228"}, r"vulnerability must be an object"),
        (
            {**SPRING, "products": [{"@id": "pkg:maven"}]},
            r"statements\[0\]\.products\[0\]\.@id 'pkg:maven' is not a valid package URL",
        ),
        (
            {**SPRING, "products": [{"@id": "x", "subcomponents": [{"@id": "https://a/b"}]}]},
            r"subcomponents\[0\] names no package URL",
        ),
    ],
)
def test_statement_defects_are_named_with_their_place(
    statement: dict[str, Any], expected: str
) -> None:
    with pytest.raises(InputError, match=expected):
        parse_openvex(_document(statement), "doc.json", LIMIT)


def test_not_json_and_oversize_are_refused() -> None:
    with pytest.raises(InputError, match="JSON is truncated"):
        parse_openvex(b'{"@context": ', "doc.json", LIMIT)
    with pytest.raises(InputError, match="not valid JSON"):
        parse_openvex(b'{"@context": nope}', "doc.json", LIMIT)
    with pytest.raises(InputError, match="larger than") as caught:
        parse_openvex(_document(SPRING), "doc.json", 100)
    assert caught.value.status == 413
