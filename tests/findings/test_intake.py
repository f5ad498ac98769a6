"""Intake end to end on SQLite and PostgreSQL: every format, dedup, checks, atomic, embargo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from clearinghouse.advisories.models import Advisory
from clearinghouse.audit import verify_chain
from clearinghouse.findings.intake import BatchRejected
from clearinghouse.findings.models import Finding, FindingAttachment, Vulnerability
from clearinghouse.findings.text import TextModel
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.findings._helpers import import_advisories, native, osv_record, principal, send

AIRFLOW_XSS = {
    "title": "Reflected XSS through the origin parameter of /trigger",
    "description": "The origin parameter passed to endpoints like /trigger is not escaped "
    "and is reflected into the page, allowing cross-site scripting in the Airflow web UI.",
    "package": {"purl": "pkg:pypi/apache-airflow"},
    "affected": {"ranges": [{"introduced": "2.0.0", "fixed": "2.0.2"}]},
    "cwe": "CWE-79",
}


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_resubmitted_sarif_log_joins_the_same_vulnerabilities_exactly(db: Database) -> None:
    lab = principal(db, "Lab")
    data = shared_path("sarif", "examples", "codeql-output.sarif").read_bytes()
    first = send(db, lab, data, source="codeql.sarif")
    vulnerabilities = _count(db, Vulnerability)
    second = send(db, lab, data, source="codeql.sarif")
    assert first.format == "sarif"
    assert len(first.accepted) == len(second.accepted) == 72
    assert second.new_vulnerabilities == 0
    assert {o.method for o in second.accepted} == {"exact"}
    assert [o.vulnerability_id for o in first.accepted] == [
        o.vulnerability_id for o in second.accepted
    ]
    assert _count(db, Vulnerability) == vulnerabilities
    with db.session() as session:
        counts = session.scalars(select(Vulnerability.finding_count)).all()
    assert sum(counts) == 144


def test_one_rule_at_two_lines_stays_two_vulnerabilities(db: Database) -> None:
    lab = principal(db, "Lab")
    result = {"ruleId": "py/sql-injection", "message": {"text": "Query built from user input."}}
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "CodeQL"}},
                "results": [
                    {
                        **result,
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "app.py"},
                                    "region": {"startLine": line},
                                }
                            }
                        ],
                    }
                    for line in (10, 11)
                ],
            }
        ],
    }
    report = send(db, lab, log)
    assert report.new_vulnerabilities == 2


def test_the_alias_graph_joins_vulnerabilities_a_later_finding_links(db: Database) -> None:
    lab, other = principal(db, "Lab"), principal(db, "Other lab")
    first = send(
        db, lab, native({"title": "Heap overflow in parser", "aliases": ["CVE-2099-0001"]})
    )
    second = send(
        db, other, native({"title": "Crash on long header", "aliases": ["GHSA-2222-3333-4444"]})
    )
    a, b = first.accepted[0].vulnerability_id, second.accepted[0].vulnerability_id
    assert a != b
    bridge = send(
        db,
        other,
        native({"title": "Same bug", "aliases": ["GHSA-2222-3333-4444", "CVE-2099-0001"]}),
    )
    assert bridge.accepted[0].method == "alias"
    assert bridge.merged_vulnerabilities == [(b, a)]
    with db.session() as session:
        assert session.get(Vulnerability, b).state == "duplicate"  # type: ignore[union-attr]
        assert session.get(Vulnerability, b).duplicate_of == a  # type: ignore[union-attr]
        owners = set(session.scalars(select(Finding.vulnerability_id)))
    assert owners == {a}
    later = send(db, lab, native({"title": "again", "aliases": ["GHSA-2222-3333-4444"]}))
    assert later.accepted[0].vulnerability_id == a
    assert verify_chain(db).broken_at is None


def test_a_near_duplicate_joins_and_a_different_bug_in_the_package_does_not(db: Database) -> None:
    lab, other = principal(db, "Lab"), principal(db, "Other lab")
    first = send(db, lab, native(AIRFLOW_XSS))
    rephrased = {
        **AIRFLOW_XSS,
        "title": "XSS via origin query argument on /trigger in Apache Airflow",
        "description": "Apache Airflow reflects the origin parameter of the /trigger endpoint "
        "without escaping: cross-site scripting in the web UI.",
        "package": {"ecosystem": "PyPI", "name": "Apache_Airflow"},
        "affected": {"versions": ["2.0.1"]},
    }
    different = {
        **AIRFLOW_XSS,
        "title": "SQL injection in the DAG run list filter",
        "description": "The execution_date filter of the DAG runs list is concatenated into a "
        "SQL query, allowing SQL injection by authenticated users.",
        "cwe": "CWE-89",
    }
    second = send(db, other, native(rephrased, different))
    near, new = second.accepted
    assert near.method == "near"
    assert near.vulnerability_id == first.accepted[0].vulnerability_id
    assert "same package" in near.reason
    assert "same CWE-79" in near.reason
    assert new.method == "new"


def test_disjoint_affected_versions_keep_same_text_findings_apart(db: Database) -> None:
    lab = principal(db, "Lab")
    old = {**AIRFLOW_XSS, "affected": {"ranges": [{"introduced": "1.0.0", "fixed": "1.10.15"}]}}
    report = send(db, lab, native(AIRFLOW_XSS, old))
    assert [o.method for o in report.accepted] == ["new", "new"]


def test_a_rephrased_report_finds_its_bug_among_many_of_one_package(db: Database) -> None:
    # A corpus large enough for rare terms: the words every report here shares are common,
    # the function and parameter names are rare (only the candidates sharing one are read)
    common = "cross-site scripting in the handler: its parameter is rendered without escaping"
    model = TextModel.from_texts(f"{common} advisory{i}" for i in range(600))
    lab = principal(db, "Lab")

    def bug(number: int, title: str = "Cross-site scripting in") -> dict[str, Any]:
        return {
            **AIRFLOW_XSS,
            "title": f"{title} handler_{number}()",
            "description": f"The param_{number} parameter of handler_{number}() is rendered "
            "without escaping.",
        }

    stored = send(db, lab, native(*(bug(n) for n in range(40))), text_model=model)
    assert {o.method for o in stored.accepted} == {"new"}
    again = send(
        db,
        principal(db, "Other lab"),
        native(bug(7, "Re-report: XSS in"), bug(99)),
        text_model=model,
    )
    rephrased, other = again.accepted
    assert rephrased.method == "near"
    assert rephrased.vulnerability_id == stored.accepted[7].vulnerability_id
    assert other.method == "new"


def test_a_finding_restating_a_knowledge_base_advisory_is_known(db: Database) -> None:
    import_advisories(db, osv_record("PyPI", "PYSEC-2021-4"))
    lab = principal(db, "Lab")
    by_alias = send(db, lab, native({"title": "XSS", "aliases": ["CVE-2021-28359"]}))
    outcome = by_alias.accepted[0]
    assert outcome.method == "known"
    assert "PYSEC-2021-4" in outcome.reason
    record = osv_record("PyPI", "PYSEC-2021-4")
    by_text = send(
        db,
        principal(db, "Other lab"),
        native(
            {
                "title": "origin parameter XSS",
                "description": record["details"],
                "package": {"purl": "pkg:pypi/apache-airflow"},
                "affected": {"versions": ["2.0.1"]},
            }
        ),
    )
    assert by_text.accepted[0].method == "known"
    assert by_text.accepted[0].vulnerability_id == outcome.vulnerability_id
    with db.session() as session:
        vuln = session.get(Vulnerability, outcome.vulnerability_id)
        assert vuln is not None
        assert (vuln.state, vuln.known_advisory_id) == ("known", "PYSEC-2021-4")


def test_malformed_findings_are_rejected_by_index_unless_atomic(db: Database) -> None:
    lab = principal(db, "Lab")
    batch = native(AIRFLOW_XSS, {"description": "no title"}, AIRFLOW_XSS)
    with pytest.raises(BatchRejected) as caught:
        send(db, lab, batch, atomic=True)
    assert [(r.index, r.reason) for r in caught.value.rejected] == [(1, "title is required")]
    assert _count(db, Finding) == 0
    report = send(db, lab, batch)
    assert [r.index for r in report.rejected] == [1]
    assert [o.index for o in report.accepted] == [0, 2]
    assert _count(db, Finding) == 2


def test_intake_checks_are_stored_on_the_finding(db: Database) -> None:
    lab = principal(db, "Lab")
    report = send(
        db,
        lab,
        native(
            {
                "title": "bad data",
                "package": {"purl": "pkg:pypi/no-such-package-anywhere"},
                "affected": {
                    "ranges": [{"introduced": "2.0", "fixed": "1.0"}],
                    "versions": ["not a version!"],
                },
                "cvss": "CVSS:3.1/AV:X",
            }
        ),
    )
    with db.session() as session:
        finding = session.get(Finding, report.accepted[0].finding_id)
        assert finding is not None
        checks = {c["check"]: c for c in finding.checks}
    assert checks["package_known"]["status"] == "fail"
    assert checks["versions_parse"]["status"] == "fail"
    assert "'not a version!' is not a PEP 440 version" in checks["versions_parse"]["detail"]
    assert checks["ranges_ordered"] == {
        "check": "ranges_ordered",
        "status": "fail",
        "detail": "introduced 2.0 is not before 1.0",
    }
    assert checks["cvss_valid"]["status"] == "fail"


def test_a_proof_of_concept_is_stored_once_by_hash(db: Database) -> None:
    import base64

    lab = principal(db, "Lab")
    poc = {"filename": "poc.sh", "content_base64": base64.b64encode(b"rm -rf /").decode()}
    report = send(
        db,
        lab,
        native({**AIRFLOW_XSS, "proof_of_concept": poc}, {"title": "x", "proof_of_concept": poc}),
    )
    assert len(report.accepted) == 2
    assert _count(db, FindingAttachment) == 1
    with db.session() as session:
        finding = session.get(Finding, report.accepted[0].finding_id)
        assert finding is not None
        assert json.loads(finding.raw)["proof_of_concept"]["size"] == 8
        assert "content_base64" not in finding.raw


def test_findings_never_reach_the_knowledge_base(db: Database) -> None:
    lab = principal(db, "Lab")
    send(db, lab, osv_record("PyPI", "PYSEC-2021-4"))
    send(db, lab, shared_path("csaf", "real", "redhat", "rhsa-2024_6220.json").read_bytes())
    assert _count(db, Advisory) == 0


@pytest.mark.parametrize(
    "parts",
    [
        *[
            ("sarif", "examples", p.name)
            for p in sorted(Path(shared_path("sarif", "examples")).glob("*.sarif"))
        ],
        ("csaf", "real", "redhat", "rhsa-2024_4420.json"),
        ("csaf", "examples", "2.0", "csaf", "cisco-sa-20180328-smi2.json"),
        ("csaf", "examples", "2.0", "csaf", "csaf_vex", "2022-evd-uc-03-ms-001.json"),
    ],
    ids=lambda parts: parts[-1],
)
def test_every_sample_format_goes_through_intake(
    sqlite_db: Database, parts: tuple[str, ...]
) -> None:
    lab = principal(sqlite_db, "Lab")
    data = shared_path(*parts).read_bytes()
    report = send(sqlite_db, lab, data, source=parts[-1])
    assert report.rejected == []
    assert len(report.accepted) == sum(1 for _ in report.accepted)
    assert _count(sqlite_db, Finding) == len(report.accepted)
