"""CVE JSON 5.x records as findings (records written here from the CVE schema's rules)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from clearinghouse.formats.cve5 import parse_cve5
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import RejectedFinding, ReportedFinding


def record(cve: str = "CVE-2024-12345", **cna: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "providerMetadata": {"orgId": "00000000-0000-4000-8000-000000000000"},
        "descriptions": [
            {"lang": "fr", "value": "Une injection SQL."},
            {"lang": "en", "value": "SQL injection in QuerySet.order_by of examplepkg."},
        ],
        "affected": [
            {
                "vendor": "example",
                "product": "examplepkg",
                "collectionURL": "https://pypi.org",
                "packageName": "examplepkg",
                "defaultStatus": "unaffected",
                "versions": [
                    {
                        "version": "4.0",
                        "lessThan": "4.0.6",
                        "status": "affected",
                        "versionType": "python",
                    },
                    {
                        "version": "0",
                        "lessThanOrEqual": "3.2.14",
                        "status": "affected",
                        "versionType": "python",
                    },
                    {"version": "5.0", "status": "affected"},
                    {"version": "4.0.6", "status": "unaffected"},
                ],
            }
        ],
        "problemTypes": [
            {
                "descriptions": [
                    {"type": "CWE", "cweId": "CWE-89", "lang": "en", "description": "SQLi"}
                ]
            }
        ],
        "metrics": [
            {
                "cvssV3_1": {
                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    "baseScore": 9.8,
                }
            }
        ],
        "references": [{"url": "https://example.org/advisory"}],
    }
    container.update(cna)
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": cve, "state": "PUBLISHED", "assignerShortName": "example"},
        "containers": {"cna": container},
    }


def _parse(data: Any) -> list[ReportedFinding | RejectedFinding]:
    return list(parse_cve5("cve", orjson.dumps(data), max_findings=100))


def test_a_record_becomes_a_finding_with_osv_ranges() -> None:
    (finding,) = _parse(record())
    assert isinstance(finding, ReportedFinding)
    assert finding.aliases == ("CVE-2024-12345",)
    assert finding.description == "SQL injection in QuerySet.order_by of examplepkg."
    assert finding.cwes == ("CWE-89",)
    assert finding.cvss_vectors == ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",)
    (entry,) = finding.affected
    assert entry["package"] == {"ecosystem": "PyPI", "name": "examplepkg"}
    assert entry["ranges"][0]["events"] == [
        {"introduced": "4.0"},
        {"fixed": "4.0.6"},
        {"introduced": "0"},
        {"last_affected": "3.2.14"},
    ]
    assert entry["versions"] == ["5.0"]


def test_an_array_and_json_lines_of_records_are_read_in_order() -> None:
    records = [record("CVE-2024-0001"), record("CVE-2024-0002")]
    assert [f.external_id for f in _parse(records)] == ["CVE-2024-0001", "CVE-2024-0002"]  # type: ignore[union-attr]
    lines = b"\n".join(orjson.dumps(r) for r in records)
    parsed = list(parse_cve5("cve", lines, max_findings=10))
    assert [f.external_id for f in parsed] == ["CVE-2024-0001", "CVE-2024-0002"]  # type: ignore[union-attr]


def test_products_without_a_package_registry_are_not_guessed() -> None:
    product = {
        "vendor": "acme",
        "product": "router",
        "versions": [{"version": "1.0", "status": "affected"}],
    }
    (finding,) = _parse(record(affected=[product]))
    assert isinstance(finding, ReportedFinding)
    assert finding.affected == ()


def test_rejected_and_malformed_records_are_refused_with_their_index() -> None:
    rejected = record("CVE-2024-0003")
    rejected["cveMetadata"]["state"] = "REJECTED"
    old = record("CVE-2024-0004")
    old["dataVersion"] = "4.0"
    parsed = _parse([record(), rejected, old, {"dataType": "CVE_RECORD"}])
    assert isinstance(parsed[0], ReportedFinding)
    assert parsed[1] == RejectedFinding(1, "CVE-2024-0003 is a REJECTED CVE record")
    assert parsed[2] == RejectedFinding(2, "CVE record dataVersion '4.0' is not 5.x")
    assert isinstance(parsed[3], RejectedFinding)
    assert parsed[3].index == 3


def test_too_many_records_are_refused_whole() -> None:
    with pytest.raises(InputError, match="at most 1"):
        list(parse_cve5("cve", orjson.dumps([record(), record()]), max_findings=1))
