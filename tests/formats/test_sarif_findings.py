"""SARIF 2.1.0 logs as findings: every shared sample goes through, one finding per result."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import RejectedFinding, ReportedFinding
from clearinghouse.formats.sarif_findings import parse_sarif_findings
from tests.conftest import shared_path


def _examples() -> list[Path]:
    return sorted(shared_path("sarif", "examples").glob("*.sarif"))


def _results(path: Path) -> int:
    log = json.loads(path.read_bytes().decode("utf-8-sig"))
    return sum(len(run.get("results") or []) for run in log.get("runs") or [])


def test_every_shared_sample_yields_one_finding_per_result() -> None:
    examples = _examples()
    assert len(examples) >= 15
    for path in examples:
        parsed = list(parse_sarif_findings(path.name, path.read_bytes(), max_findings=10_000))
        assert all(isinstance(f, ReportedFinding) for f in parsed), path.name
        assert len(parsed) == _results(path), path.name
        assert [f.index for f in parsed] == list(range(len(parsed)))
        assert all(f.title and f.format == "sarif" for f in parsed)


def _one(name: str, position: int = 0) -> ReportedFinding:
    path = shared_path("sarif", "examples", name)
    found = list(parse_sarif_findings(name, path.read_bytes(), max_findings=10_000))[position]
    assert isinstance(found, ReportedFinding)
    return found


def test_codeql_result_keeps_rule_location_fingerprint_and_cwe_from_tags() -> None:
    finding = _one("codeql-output.sarif")
    assert finding.rule_id == "py/empty-except"
    assert finding.location == "good/db_init.py:39"
    assert finding.tool_name == "CodeQL"
    assert any(k.startswith("partialFingerprints/") for k in finding.fingerprints)
    assert finding.cwes == ("CWE-390",)


def test_message_by_id_is_formatted_with_its_arguments() -> None:
    finding = _one("spotbugs.sarif")
    assert "Boot.main(String[])" in finding.title
    assert "{0}" not in finding.title


def test_artifact_index_resolves_the_location_uri() -> None:
    finding = _one("fortify-one-result-two-traces.sarif")
    assert finding.location == "Helpers/DBHelper.cs:146"


def test_logical_location_purl_becomes_the_affected_package() -> None:
    finding = _one("dependency-track-expected-all.sarif")
    assert finding.affected[0]["package"] == {
        "ecosystem": "Maven",
        "name": "org.acme:component1",
        "purl": "pkg:maven/org.acme/component1",
    }
    assert finding.affected[0]["versions"] == ["1.1.4"]
    assert finding.cwes == ("CWE-80",)


def test_vulnerability_ids_in_rule_ids_become_aliases() -> None:
    assert _one("govulncheck.sarif").aliases == ("GO-2026-4864",)


def _log(results: list[object], **run: object) -> bytes:
    return orjson.dumps(
        {
            "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "t"}}, "results": results, **run}],
        }
    )


def test_a_result_without_any_text_is_rejected_with_its_index() -> None:
    data = _log([{"ruleId": "x", "message": {"text": "ok"}}, {"ruleId": "y"}, "junk"])
    parsed = list(parse_sarif_findings("log", data, max_findings=10))
    assert isinstance(parsed[0], ReportedFinding)
    assert parsed[1] == RejectedFinding(
        1, "runs[0].results[1] has no message text and no rule description"
    )
    assert isinstance(parsed[2], RejectedFinding)
    assert parsed[2].index == 2


def test_repository_provenance_is_kept_for_location_scoping() -> None:
    data = _log(
        [{"ruleId": "x", "message": {"text": "bug"}}],
        versionControlProvenance=[{"repositoryUri": "https://github.com/o/r"}],
    )
    (finding,) = parse_sarif_findings("log", data, max_findings=10)
    assert isinstance(finding, ReportedFinding)
    assert finding.repository == "https://github.com/o/r"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{", "truncated"),
        (b'{"version": "2.0.0", "runs": []}', "only 2.1.0"),
        (b'{"version": "2.1.0"}', "no runs"),
        (b"[" * 5000 + b"]" * 5000, "nested deeper"),
    ],
)
def test_hostile_or_wrong_logs_are_input_errors(data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        list(parse_sarif_findings("log", data, max_findings=10))


def test_more_results_than_the_batch_limit_are_refused_whole() -> None:
    data = _log([{"ruleId": "x", "message": {"text": "m"}}] * 11)
    with pytest.raises(InputError, match="at most 10") as caught:
        list(parse_sarif_findings("log", data, max_findings=10))
    assert caught.value.status == 413
