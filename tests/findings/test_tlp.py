"""TLP 2.0 markings: where a finding's comes from, a vulnerability's is its findings' most
restrictive (after joins, merges and splits), only CLEAR is published, re-marking is audited
and scoped like everything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from clearinghouse.audit import Actor, verify_chain
from clearinghouse.audit.models import AuditEvent
from clearinghouse.formats.tlp import Tlp, most_restrictive, parse_tlp
from clearinghouse.participants.models import Organization, OrganizationKind, Role
from clearinghouse.participants.service import issue_token
from clearinghouse.store import Database
from tests.conftest import POSTGRES_URL, _postgres_schema_url, shared_path
from tests.findings.test_api import _callers, _post
from tests.service_fixtures import Caller, add_caller

CSAF_WHITE = ("csaf", "real", "redhat", "rhsa-2015_0008.json")
"""A real Red Hat CSAF 2.0 advisory: ``document.distribution.tlp.label`` is WHITE."""


def _finding(title: str, cve: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "description": f"{title}: the parser trusts a length field from the input.",
        "package": {"purl": "pkg:pypi/example-archiver"},
        "affected": {"ranges": [{"introduced": "1.0.0", "fixed": "1.4.2"}]},
        "aliases": [cve],
        **extra,
    }


def _vulnerability(client: TestClient, desk: Caller, vulnerability_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/vulnerabilities/{vulnerability_id}", headers=desk.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _remark(client: TestClient, caller: Caller, finding_id: int, label: str) -> Any:
    return client.post(
        f"/api/v1/findings/{finding_id}/tlp",
        json={"tlp": label, "evidence": "submitter agreed on 2026-12-01 by signed mail"},
        headers=caller.headers,
    )


def test_labels_follow_tlp_2_0() -> None:
    assert parse_tlp("WHITE") is Tlp.clear  # CSAF 2.0 / TLP 1.0 spelling
    assert parse_tlp("tlp:amber+strict") is Tlp.amber_strict
    assert most_restrictive(["GREEN", "RED", "AMBER"]) is Tlp.red
    assert most_restrictive([Tlp.amber, Tlp.amber_strict]) is Tlp.amber_strict
    assert most_restrictive([]) is None
    with pytest.raises(ValueError, match="'PURPLE'"):
        parse_tlp("PURPLE")


def test_a_csaf_documents_marking_is_kept_and_an_explicit_one_wins(
    client: TestClient, db: Database
) -> None:
    lab, _, desk = _callers(db)
    csaf = shared_path(*CSAF_WHITE).read_bytes()
    assert json.loads(csaf)["document"]["distribution"]["tlp"]["label"] == "WHITE"
    first = _post(client, lab, csaf, format="csaf")
    assert first.status_code == 201, first.text
    finding = first.json()["findings"][0]
    assert finding["tlp"] == "CLEAR"
    stored = client.get(f"/api/v1/findings/{finding['id']}", headers=lab.headers).json()
    assert stored["tlp"] == "CLEAR"
    assert _vulnerability(client, desk, finding["vulnerability_id"])["tlp"] == "CLEAR"

    again = _post(client, lab, csaf, format="csaf", tlp="amber+strict").json()["findings"][0]
    assert again["tlp"] == "AMBER+STRICT"
    assert again["vulnerability_id"] == finding["vulnerability_id"]  # same CVE: joined
    assert _vulnerability(client, desk, finding["vulnerability_id"])["tlp"] == "AMBER+STRICT"


def test_the_native_report_states_its_marking_per_report_or_per_finding(
    client: TestClient, db: Database
) -> None:
    lab, _, _ = _callers(db)
    report = {
        "schema": "clearinghouse-finding/1",
        "tlp": "GREEN",
        "findings": [
            _finding("Overflow in header parsing", "CVE-2099-1001"),
            _finding("Overflow in footer parsing", "CVE-2099-1002", tlp="TLP:RED"),
            _finding("Overflow in index parsing", "CVE-2099-1003", tlp="PURPLE"),
        ],
    }
    body = _post(client, lab, report).json()
    assert [f["tlp"] for f in body["findings"]] == ["GREEN", "RED"]
    assert body["rejected"][0]["index"] == 2
    assert "'PURPLE' is not a TLP 2.0 label" in body["rejected"][0]["reason"]

    wrong = _post(client, lab, {**report, "tlp": "ORANGE"})
    assert wrong.status_code == 422
    assert "'ORANGE'" in wrong.json()["detail"]


def test_without_a_marking_a_finding_is_amber(client: TestClient, db: Database) -> None:
    lab, _, desk = _callers(db)
    sarif = shared_path("sarif", "examples", "sdk-docs-example.sarif").read_bytes()
    findings = _post(client, lab, sarif).json()["findings"]
    assert findings
    assert {f["tlp"] for f in findings} == {"AMBER"}
    native = _post(client, lab, {"findings": [_finding("Overflow", "CVE-2099-1101")]}).json()
    assert native["findings"][0]["tlp"] == "AMBER"
    queue = client.get("/api/v1/vulnerabilities", headers=desk.headers).json()
    assert {v["tlp"] for v in queue["vulnerabilities"]} == {"AMBER"}


def test_an_unknown_explicit_label_is_refused_and_nothing_stored(
    client: TestClient, db: Database
) -> None:
    lab, _, _ = _callers(db)
    refused = _post(client, lab, {"findings": [_finding("Overflow", "CVE-2099-1201")]}, tlp="BLUE")
    assert refused.status_code == 422
    assert "'BLUE' is not a TLP 2.0 label" in refused.json()["detail"]
    assert client.get("/api/v1/findings", headers=lab.headers).json()["total"] == 0


def test_a_vulnerability_is_as_restricted_as_its_strictest_finding(
    client: TestClient, db: Database
) -> None:
    lab, other, desk = _callers(db)
    green = _post(client, lab, {"findings": [_finding("Overflow", "CVE-2099-1301")]}, tlp="GREEN")
    green_finding = green.json()["findings"][0]
    vulnerability = green_finding["vulnerability_id"]
    assert _vulnerability(client, desk, vulnerability)["tlp"] == "GREEN"
    red = _post(client, other, {"findings": [_finding("Overflow", "CVE-2099-1301")]}, tlp="RED")
    red_finding = red.json()["findings"][0]
    assert red_finding["vulnerability_id"] == vulnerability  # joined by the shared CVE
    assert _vulnerability(client, desk, vulnerability)["tlp"] == "RED"
    # a third report, less restricted, does not lower it
    _post(client, lab, {"findings": [_finding("Overflow", "CVE-2099-1301")]}, tlp="CLEAR")
    view = _vulnerability(client, desk, vulnerability)
    assert view["tlp"] == "RED"
    assert sorted(f["tlp"] for f in view["findings"]) == ["CLEAR", "GREEN", "RED"]

    split = client.post(
        f"/api/v1/vulnerabilities/{vulnerability}/split",
        json={"finding_ids": [red_finding["id"]], "reason": "a different overflow"},
        headers=desk.headers,
    )
    assert split.status_code == 201, split.text
    assert split.json()["tlp"] == "RED"
    assert _vulnerability(client, desk, split.json()["id"])["tlp"] == "RED"
    assert _vulnerability(client, desk, vulnerability)["tlp"] == "GREEN"

    # an analyst's merge: the target takes the strictest of both
    merged = client.post(
        f"/api/v1/vulnerabilities/{split.json()['id']}/transitions",
        json={"to": "duplicate", "evidence": "same overflow", "duplicate_of": vulnerability},
        headers=desk.headers,
    )
    assert merged.status_code == 200, merged.text
    assert _vulnerability(client, desk, vulnerability)["tlp"] == "RED"


def _validated(client: TestClient, lab: Caller, desk: Caller, cve: str, **params: Any) -> Any:
    body = _post(client, lab, {"findings": [_finding("Overflow", cve)]}, **params).json()
    finding = body["findings"][0]
    for state in ("triaged", "validated"):
        moved = client.post(
            f"/api/v1/vulnerabilities/{finding['vulnerability_id']}/transitions",
            json={"to": state, "evidence": f"reproduced ({state})"},
            headers=desk.headers,
        )
        assert moved.status_code == 200, moved.text
    return finding


@pytest.mark.parametrize("label", ["AMBER", "RED"])
def test_publishing_needs_clear_and_re_marking_allows_it(
    client: TestClient, db: Database, label: str
) -> None:
    lab, _, desk = _callers(db)
    finding = _validated(client, lab, desk, "CVE-2099-1401", tlp=label)
    vulnerability = finding["vulnerability_id"]
    publish = {"to": "published", "evidence": "vendor fixed in 1.4.2"}
    url = f"/api/v1/vulnerabilities/{vulnerability}/transitions"
    refused = client.post(url, json=publish, headers=desk.headers)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"TLP:{label}" in detail
    assert f"{finding['id']} ({label})" in detail
    assert client.get(f"/v1/vulns/{vulnerability}").status_code == 404
    assert _vulnerability(client, desk, vulnerability)["state"] == "validated"

    remarked = _remark(client, desk, finding["id"], "CLEAR")
    assert remarked.status_code == 200, remarked.text
    assert remarked.json() | {"previous_tlp": label} == {
        "id": finding["id"],
        "tlp": "CLEAR",
        "previous_tlp": label,
        "changed": True,
        "vulnerability_id": vulnerability,
        "vulnerability_tlp": "CLEAR",
    }
    published = client.post(url, json=publish, headers=desk.headers)
    assert published.status_code == 200, published.text
    assert published.json()["tlp"] == "CLEAR"
    assert client.get(f"/v1/vulns/{vulnerability}").status_code == 200


def test_re_marking_is_audited_with_before_and_after(client: TestClient, db: Database) -> None:
    lab, _, desk = _callers(db)
    finding = _post(client, lab, {"findings": [_finding("Overflow", "CVE-2099-1501")]}).json()[
        "findings"
    ][0]
    assert _remark(client, desk, finding["id"], "GREEN").status_code == 200
    with db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "finding.tlp")).one()
        assert event.target_id == str(finding["id"])
        assert event.organization_id == lab.organization_id
        assert event.restricted
        assert event.before["tlp"] == "AMBER"
        assert event.before["vulnerability_tlp"] == "AMBER"
        assert event.after["tlp"] == "GREEN"
        assert event.after["vulnerability_tlp"] == "GREEN"
        assert event.after["evidence"].startswith("submitter agreed")
    assert verify_chain(db).broken_at is None
    unchanged = _remark(client, desk, finding["id"], "GREEN").json()
    assert unchanged["changed"] is False
    no_evidence = client.post(
        f"/api/v1/findings/{finding['id']}/tlp", json={"tlp": "RED"}, headers=desk.headers
    )
    assert no_evidence.status_code == 422
    unknown = _remark(client, desk, finding["id"], "MAGENTA")
    assert unknown.status_code == 422
    assert "'MAGENTA'" in unknown.json()["detail"]


def test_submitters_re_mark_their_own_findings_and_nobody_elses(
    client: TestClient, db: Database
) -> None:
    lab, other, _ = _callers(db)
    finding = _post(client, lab, {"findings": [_finding("Overflow", "CVE-2099-1601")]}).json()[
        "findings"
    ][0]
    assert _remark(client, lab, finding["id"], "RED").json()["tlp"] == "RED"
    assert _remark(client, lab, finding["id"], "CLEAR").json()["vulnerability_tlp"] == "CLEAR"
    assert _remark(client, other, finding["id"], "RED").status_code == 404
    assert _remark(client, other, 999_999, "RED").status_code == 404
    operator = add_caller(db, "Hospital", OrganizationKind.operator, Role.admin)
    assert _remark(client, operator, finding["id"], "RED").status_code == 404
    with db.session() as session:
        lab_org = session.get(Organization, lab.organization_id)
        assert lab_org is not None
        reader = Caller(
            lab.organization_id, issue_token(session, Actor.cli(), lab_org, Role.read_only).token
        )
    assert (
        client.get(f"/api/v1/findings/{finding['id']}", headers=reader.headers).status_code == 200
    )
    assert _remark(client, reader, finding["id"], "RED").status_code == 403
    assert client.get(f"/api/v1/findings/{finding['id']}", headers=lab.headers).json()["tlp"] == (
        "CLEAR"
    )
    with db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "finding.tlp")
        ).all()
    assert len(actions) == 2


def test_the_openapi_document_describes_the_markings(client: TestClient) -> None:
    document = client.get("/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert "post" in paths["/api/v1/findings/{finding_id}/tlp"]
    names = {p["name"] for p in paths["/api/v1/findings"]["post"]["parameters"]}
    assert "tlp" in names


def test_existing_rows_become_amber_on_upgrade(db: Database, tmp_path: Path) -> None:
    """The migration on a database holding findings from before markings existed."""
    from alembic import command

    from clearinghouse.store import Database as Store

    if db.url.startswith("sqlite"):
        old = Store(f"sqlite:///{tmp_path / 'old.db'}")
        schema = None
    else:
        import uuid

        from sqlalchemy import create_engine

        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        old = Store(_postgres_schema_url(schema))
    try:
        command.upgrade(old.alembic_config(), "findings_0001")
        now = "2026-01-01 00:00:00+00:00"
        with old.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organization (id, name, kind, sector, size, created_at) "
                    "VALUES (1, 'Lab', 'ai-developer', NULL, NULL, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO finding_submission (id, organization_id, actor, format, source,"
                    " received_at, accepted, rejected, rejections) VALUES"
                    " (1, 1, 'test', 'native', 'old', :now, 1, 0, '[]')"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO vulnerability (id, title, description, state, cwes, aliases,"
                    " cvss_vectors, affected, terms, finding_count, created_at, updated_at)"
                    " VALUES ('x_CHS-old', 'Old', '', 'new', '[]', '[]', '[]', '[]', '{}', 1,"
                    " :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO finding (submission_id, organization_id, vulnerability_id,"
                    " batch_index, format, title, description, affected, cwes, cvss_vectors,"
                    " aliases, found_by_ai, checks, dedup_method, dedup_score, dedup_reason,"
                    " raw, created_at) VALUES (1, 1, 'x_CHS-old', 0, 'native', 'Old', '',"
                    " '[]', '[]', '[]', '[]', false, '[]', 'new', 1.0, '', '{}', :now)"
                ),
                {"now": now},
            )
        old.upgrade()
        with old.engine.connect() as conn:
            assert conn.scalar(text("SELECT tlp FROM finding")) == "AMBER"
            assert conn.scalar(text("SELECT tlp FROM vulnerability")) == "AMBER"
    finally:
        old.dispose()
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
