"""The findings API: intake over HTTP, scoping (404 for what is not yours), the triage desk,
publication into the knowledge base (and the OSV API) only when an analyst publishes."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi.testclient import TestClient

from clearinghouse.audit import verify_chain
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.service_fixtures import Caller, add_caller

FINDING = {
    "title": "Path traversal in archive extraction",
    "description": "extract_all() joins member names to the target directory without "
    "normalising them, so ../ entries write outside it.",
    "package": {"purl": "pkg:pypi/example-archiver"},
    "affected": {"ranges": [{"introduced": "1.0.0", "fixed": "1.4.2"}]},
    "cwe": "CWE-22",
    "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "exploitation": "poc",
    "ai": {"found_by_ai": True, "model": "frontier-x"},
    "proof_of_concept": {
        "filename": "poc.py",
        "content_base64": base64.b64encode(b"import os").decode(),
    },
}


def _post(client: TestClient, caller: Caller, body: Any, **params: Any) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        "/api/v1/findings",
        content=data,
        params=params,
        headers={**caller.headers, "Content-Type": "application/json"},
    )


def _callers(db: Database) -> tuple[Caller, Caller, Caller]:
    lab = add_caller(db, "Lab", OrganizationKind.ai_developer, Role.member)
    other = add_caller(db, "Other lab", OrganizationKind.ai_developer, Role.member)
    desk = add_caller(db, "Clearinghouse", OrganizationKind.coordinator, Role.analyst)
    return lab, other, desk


def test_submitters_see_only_their_own_findings(client: TestClient, db: Database) -> None:
    lab, other, desk = _callers(db)
    response = _post(client, lab, {"findings": [FINDING, {"nope": 1}]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert body["rejected"] == [{"index": 1, "reason": "title is required"}]
    assert "dedup" not in body["findings"][0]
    finding_id = body["findings"][0]["id"]

    mine = client.get(f"/api/v1/findings/{finding_id}", headers=lab.headers)
    assert mine.status_code == 200
    assert mine.json()["state"] == "new"
    assert mine.json()["ai"] == {"found_by_ai": True, "model": "frontier-x"}
    assert client.get(f"/api/v1/findings/{finding_id}", headers=other.headers).status_code == 404
    assert client.get("/api/v1/findings", headers=other.headers).json()["total"] == 0
    assert (
        client.get(
            f"/api/v1/findings/{finding_id}/proof-of-concept", headers=other.headers
        ).status_code
        == 404
    )
    seen = client.get(f"/api/v1/findings/{finding_id}?raw=true", headers=desk.headers).json()
    assert seen["dedup"]["method"] == "new"
    assert seen["raw"]["proof_of_concept"]["sha256"]

    poc = client.get(f"/api/v1/findings/{finding_id}/proof-of-concept", headers=lab.headers)
    assert poc.status_code == 200
    assert poc.content == b"import os"
    assert poc.headers["content-type"] == "application/octet-stream"
    assert poc.headers["x-content-type-options"] == "nosniff"
    assert poc.headers["content-disposition"].startswith("attachment;")
    assert client.get("/api/v1/vulnerabilities", headers=lab.headers).status_code == 404


def test_atomic_submission_stores_nothing_and_names_the_bad_finding(
    client: TestClient, db: Database
) -> None:
    lab, _, _ = _callers(db)
    response = _post(
        client, lab, {"findings": [FINDING, {"title": "x", "cwe": "nope"}]}, atomic="true"
    )
    assert response.status_code == 422
    assert response.json()["rejected"] == [
        {"index": 1, "reason": "cwe 'nope' is not a CWE id (CWE-79)"}
    ]
    assert client.get("/api/v1/findings", headers=lab.headers).json()["total"] == 0


def test_unreadable_reports_are_4xx_with_the_reason(client: TestClient, db: Database) -> None:
    lab, _, _ = _callers(db)
    assert _post(client, lab, b"{").status_code == 422
    assert _post(client, lab, {"something": "else"}).status_code == 415
    assert _post(client, lab, b"").status_code == 422
    reader = add_caller(db, "Reader", OrganizationKind.operator, Role.read_only)
    assert _post(client, reader, {"findings": [FINDING]}).status_code == 403


def test_sarif_and_csaf_go_through_http(client: TestClient, db: Database) -> None:
    lab, _, _ = _callers(db)
    sarif = shared_path("sarif", "examples", "semmle-ql-results.sarif").read_bytes()
    response = _post(client, lab, sarif, source="results.sarif")
    assert response.status_code == 201
    assert response.json()["accepted"] == 80
    csaf = shared_path("csaf", "real", "redhat", "rhsa-2015_0008.json").read_bytes()
    assert _post(client, lab, csaf, format="csaf").json()["format"] == "csaf"


def _publishable(client: TestClient, lab: Caller, desk: Caller) -> str:
    body = _post(client, lab, {"findings": [FINDING]}, tlp="CLEAR").json()
    vulnerability = body["findings"][0]["vulnerability_id"]
    for state in ("triaged", "validated"):
        moved = client.post(
            f"/api/v1/vulnerabilities/{vulnerability}/transitions",
            json={"to": state, "evidence": f"reproduced the PoC ({state})"},
            headers=desk.headers,
        )
        assert moved.status_code == 200, moved.text
    return str(vulnerability)


def test_the_queue_explains_each_rank(client: TestClient, db: Database) -> None:
    lab, other, desk = _callers(db)
    _post(client, lab, {"findings": [FINDING]})
    _post(
        client,
        other,
        {
            "findings": [
                {
                    "title": "Low impact info leak",
                    "cvss": "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
                }
            ]
        },
    )
    queue = client.get("/api/v1/vulnerabilities?order=priority", headers=desk.headers).json()
    assert queue["total"] == 2
    first, second = queue["vulnerabilities"]
    assert (first["rank"], second["rank"]) == (1, 2)
    assert first["title"] == FINDING["title"]
    factors = first["factors"]
    assert factors["cvss"]["v3.1"]["score"] == 9.8
    assert factors["ssvc"]["exploitation"] == "public poc"
    assert factors["ssvc"]["automatable"] == "yes"
    assert factors["ssvc"]["technical_impact"] == "total"
    assert factors["ssvc"]["mission_and_well_being"] == "low"
    assert factors["ssvc"]["decision"] == "Track"
    assert first["score"] > second["score"]
    assert set(first["score_parts"]) == {
        "ssvc",
        "kev",
        "epss",
        "cvss",
        "operators",
        "systems",
        "reporters",
    }


def test_triage_moves_need_an_analyst_evidence_and_the_allowed_order(
    client: TestClient, db: Database
) -> None:
    lab, _other, desk = _callers(db)
    vulnerability = _post(client, lab, {"findings": [FINDING]}).json()["findings"][0][
        "vulnerability_id"
    ]
    url = f"/api/v1/vulnerabilities/{vulnerability}/transitions"
    assert (
        client.post(url, json={"to": "triaged", "evidence": "x"}, headers=lab.headers).status_code
        == 404
    )
    skip = client.post(url, json={"to": "published", "evidence": "x"}, headers=desk.headers)
    assert skip.status_code == 409
    assert "can move to" in skip.json()["detail"]
    assert (
        client.post(url, json={"to": "triaged", "evidence": ""}, headers=desk.headers).status_code
        == 422
    )
    assert (
        client.post(
            url, json={"to": "triaged", "evidence": "read it"}, headers=desk.headers
        ).json()["state"]
        == "triaged"
    )
    history = client.get(f"/api/v1/vulnerabilities/{vulnerability}", headers=desk.headers).json()[
        "history"
    ]
    assert [(h["from"], h["to"]) for h in history] == [(None, "new"), ("new", "triaged")]
    assert history[1]["evidence"] == "read it"
    assert history[1]["actor"].startswith("token:")


def test_publishing_creates_the_osv_record_and_only_then(client: TestClient, db: Database) -> None:
    lab, _, desk = _callers(db)
    vulnerability = _publishable(client, lab, desk)
    assert client.get(f"/v1/vulns/{vulnerability}").status_code == 404
    published = client.post(
        f"/api/v1/vulnerabilities/{vulnerability}/transitions",
        json={"to": "published", "evidence": "vendor fixed in 1.4.2"},
        headers=desk.headers,
    )
    assert published.status_code == 200, published.text
    assert published.json()["published_advisory_id"] == vulnerability
    record = client.get(f"/v1/vulns/{vulnerability}")
    assert record.status_code == 200
    osv = record.json()
    assert osv["id"] == vulnerability
    assert osv["affected"][0]["package"]["name"] == "example-archiver"
    assert osv["severity"] == [{"type": "CVSS_V3", "score": FINDING["cvss"]}]
    assert "proof_of_concept" not in json.dumps(osv)
    assert verify_chain(db).broken_at is None


def test_an_analyst_merge_can_be_split_again(client: TestClient, db: Database) -> None:
    lab, other, desk = _callers(db)
    a = _post(client, lab, {"findings": [FINDING]}).json()["findings"][0]
    b = _post(client, other, {"findings": [{"title": "Unrelated crash in the CLI"}]}).json()[
        "findings"
    ][0]
    for target in (a, b):
        client.post(
            f"/api/v1/vulnerabilities/{target['vulnerability_id']}/transitions",
            json={"to": "triaged", "evidence": "seen"},
            headers=desk.headers,
        )
    merged = client.post(
        f"/api/v1/vulnerabilities/{b['vulnerability_id']}/transitions",
        json={"to": "duplicate", "evidence": "same bug", "duplicate_of": a["vulnerability_id"]},
        headers=desk.headers,
    )
    assert merged.json()["state"] == "duplicate"
    moved = client.get(f"/api/v1/findings/{b['id']}", headers=desk.headers).json()
    assert moved["vulnerability_id"] == a["vulnerability_id"]
    assert moved["dedup"]["method"] == "analyst"
    split = client.post(
        f"/api/v1/vulnerabilities/{a['vulnerability_id']}/split",
        json={"finding_ids": [b["id"]], "reason": "different root cause"},
        headers=desk.headers,
    )
    assert split.status_code == 201, split.text
    fresh = split.json()["id"]
    assert (
        client.get(f"/api/v1/findings/{b['id']}", headers=desk.headers).json()["vulnerability_id"]
        == fresh
    )
    whole = client.post(
        f"/api/v1/vulnerabilities/{a['vulnerability_id']}/split",
        json={"finding_ids": [a["id"]], "reason": "all of it"},
        headers=desk.headers,
    )
    assert whole.status_code == 409
    assert verify_chain(db).broken_at is None


def test_exposed_operators_and_systems_drive_mission_and_well_being(
    client: TestClient, db: Database
) -> None:
    from clearinghouse.participants.models import Sector

    lab, _, desk = _callers(db)
    hospital = add_caller(db, "Rural Hospital", role=Role.member, sector=Sector.healthcare)
    upload = client.post(
        "/api/v1/inventories",
        files={
            "file": (
                "Pipfile.lock",
                shared_path("lockfiles", "PyPI", "clusterfuzz-src", "Pipfile.lock").read_bytes(),
            )
        },
        data={"system": "pharmacy", "criticality": "safety-critical"},
        headers=hospital.headers,
    )
    assert upload.status_code == 201, upload.text
    exposed = {
        "title": "Heap overflow in the bcrypt hashpw() salt parser",
        "package": {"purl": "pkg:pypi/bcrypt"},
        "affected": {"ranges": [{"introduced": "4.0.0", "fixed": "4.2.0"}]},
        "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "exploitation": "active",
    }
    not_exposed = {**exposed, "title": "Older bcrypt bug", "affected": {"versions": ["3.1.0"]}}
    _post(client, lab, {"findings": [not_exposed]})
    _post(client, lab, {"findings": [exposed]})
    queue = client.get("/api/v1/vulnerabilities", headers=desk.headers).json()["vulnerabilities"]
    top, other = queue
    assert top["title"] == exposed["title"]
    assert top["factors"]["exposure"]["operators"] == 1
    assert top["factors"]["exposure"]["systems"] == 1
    assert top["factors"]["exposure"]["sectors"] == ["healthcare"]
    ssvc = top["factors"]["ssvc"]
    assert ssvc["mission_and_well_being"] == "high"
    assert ssvc["decision"] == "Act"
    assert other["factors"]["exposure"]["operators"] == 0
    assert other["factors"]["ssvc"]["decision"] == "Attend"
