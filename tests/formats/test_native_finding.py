"""The native clearinghouse-finding/1 report: rules, per-finding rejection, PoC limits."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson
import pytest

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import (
    RejectedFinding,
    ReportedFinding,
    parse_native,
)


def _parse(document: Any, limit: int = 1024) -> list[ReportedFinding | RejectedFinding]:
    return list(
        parse_native("report", orjson.dumps(document), max_findings=100, max_attachment_bytes=limit)
    )


GOOD = {
    "title": "SQL injection in order_by",
    "description": "A crafted alias reaches raw SQL.",
    "package": {"purl": "pkg:pypi/Django@4.0.1"},
    "affected": {"ranges": [{"introduced": "4.0", "fixed": "4.0.6"}], "versions": ["3.2.1"]},
    "cwe": ["CWE-89", 79],
    "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "exploitation": "poc",
    "ai": {"found_by_ai": True, "model": "frontier-x", "version": "2026-05"},
    "proof_of_concept": {
        "filename": "../poc.py",
        "content_base64": base64.b64encode(b"print(1)").decode(),
    },
}


def test_a_finding_names_package_versions_cwe_cvss_ai_and_its_poc_by_hash() -> None:
    (finding,) = _parse({"tool": {"name": "labscan", "version": "2"}, "findings": [GOOD]})
    assert isinstance(finding, ReportedFinding)
    assert finding.affected == (
        {
            "package": {"ecosystem": "PyPI", "name": "django", "purl": "pkg:pypi/Django"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "4.0"}, {"fixed": "4.0.6"}]}
            ],
            "versions": ["3.2.1"],
        },
    )
    assert finding.cwes == ("CWE-89", "CWE-79")
    assert finding.found_by_ai
    assert finding.ai_model == "frontier-x 2026-05"
    assert (finding.tool_name, finding.tool_version) == ("labscan", "2")
    assert finding.exploitation == "poc"
    assert finding.attachment is not None
    assert finding.attachment.sha256 == hashlib.sha256(b"print(1)").hexdigest()
    assert finding.attachment.filename == ".._poc.py"
    assert finding.raw["proof_of_concept"] == {
        "filename": ".._poc.py",
        "media_type": "application/octet-stream",
        "sha256": finding.attachment.sha256,
        "size": 8,
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": ""}, "title must not be empty"),
        ({"title": None}, "title is required"),
        ({"package": {"purl": "not a purl"}}, "not a package URL"),
        ({"package": {"purl": "pkg:generic/thing"}}, "names no OSV ecosystem"),
        ({"package": {"ecosystem": "Nope", "name": "x"}}, "not an OSV ecosystem"),
        ({"cwe": "XSS"}, "not a CWE id"),
        ({"exploitation": "maybe"}, "none, poc or active"),
        (
            {"affected": {"ranges": [{"introduced": "1", "fixed": "2", "last_affected": "3"}]}},
            "both fixed",
        ),
        ({"affected": {"ranges": [{"start": "1"}]}}, "unknown keys"),
        ({"proof_of_concept": {"content_base64": "@@@"}}, "not valid base64"),
        (
            {"proof_of_concept": {"content_base64": base64.b64encode(b"x" * 2000).decode()}},
            "larger than the 1024-byte limit",
        ),
        ({"found_by_ai": "yes", "ai": None}, "true or false"),
    ],
)
def test_a_bad_finding_is_rejected_with_its_index_and_the_rest_accepted(
    change: dict[str, Any], reason: str
) -> None:
    bad = {**GOOD, **change}
    parsed = _parse({"findings": [GOOD, bad, GOOD]})
    assert isinstance(parsed[0], ReportedFinding)
    assert isinstance(parsed[2], ReportedFinding)
    assert isinstance(parsed[1], RejectedFinding)
    assert parsed[1].index == 1
    assert reason in parsed[1].reason


def test_json_lines_are_read_line_by_line_and_a_broken_line_is_rejected_alone() -> None:
    data = orjson.dumps(GOOD) + b"\n{broken\n" + orjson.dumps(GOOD) + b"\n"
    parsed = list(parse_native("report.jsonl", data, max_findings=10))
    assert isinstance(parsed[0], ReportedFinding)
    assert isinstance(parsed[2], ReportedFinding)
    assert isinstance(parsed[1], RejectedFinding)
    assert parsed[1].reason.startswith("line 2:")


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([GOOD], "must be a JSON object"),
        ({"schema": "other/1", "findings": []}, "is not 'clearinghouse-finding/1'"),
        ({"findings": {"a": 1}}, "findings must be a list"),
        ({"findings": [GOOD] * 101}, "at most 100"),
    ],
)
def test_document_level_defects_refuse_the_report(document: Any, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        _parse(document)
