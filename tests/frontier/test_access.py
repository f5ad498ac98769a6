"""Trusted partners and defensive access: catalogue, application, verification, grant,
access log, revocation, and who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from clearinghouse.frontier.access import DEFAULT_BLOCKED_USES
from clearinghouse.store import utcnow
from tests.frontier.conftest import Program, register_version
from tests.service_fixtures import Caller

API = "/api/v1/frontier"


def _iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat().replace("+00:00", "Z")


def covered_entry(client: TestClient, program: Program) -> dict[str, Any]:
    _, version_id = register_version(client, program)
    not_yet = client.post(
        f"{API}/catalogue",
        json={"kind": "covered-model", "name": "Atlas early access", "version_id": version_id},
        headers=program.developer.headers,
    )
    assert not_yet.status_code == 422  # not designated covered
    client.post(
        f"{API}/versions/{version_id}/designation",
        json={"outcome": "covered", "rationale": "r"},
        headers=program.official.headers,
    )
    entry = client.post(
        f"{API}/catalogue",
        json={
            "kind": "covered-model",
            "name": "Atlas early access",
            "version_id": version_id,
            "capabilities": ["vulnerability discovery", "patch suggestion"],
        },
        headers=program.developer.headers,
    )
    assert entry.status_code == 201, entry.text
    return entry.json()  # type: ignore[no-any-return]


def apply(client: TestClient, caller: Caller, entry_id: int) -> Any:
    return client.post(
        f"{API}/catalogue/{entry_id}/applications",
        json={
            "tier": "defensive",
            "intended_use": "find vulnerabilities in our EHR integration before attackers do",
            "scope_statement": "ehr.ruralhospital.example and 10.20.0.0/16, which we own",
        },
        headers=caller.headers,
    )


def test_apply_verify_grant_log_revoke(client: TestClient, program: Program) -> None:
    entry = covered_entry(client, program)
    listed = client.get(f"{API}/catalogue", headers=program.operator.headers).json()
    assert [e["id"] for e in listed] == [entry["id"]]
    application = apply(client, program.operator, entry["id"])
    assert application.status_code == 201
    app_id = application.json()["id"]
    assert apply(client, program.operator, entry["id"]).status_code == 409

    # verification is the clearinghouse's: not the provider's, not the applicant's
    body = {"method": "sector-registry", "note": "member of the state hospital ISAC"}
    for caller in (program.developer, program.operator):
        refused = client.post(
            f"{API}/applications/{app_id}/verification", json=body, headers=caller.headers
        )
        assert refused.status_code == 403
    verified = client.post(
        f"{API}/applications/{app_id}/verification", json=body, headers=program.coordinator.headers
    )
    assert verified.json()["status"] == "verified"

    grant_body = {
        "tier": "defensive",
        "starts_at": _iso(timedelta(hours=-1)),
        "ends_at": _iso(timedelta(days=90)),
        "blocked_uses": ["automated exploitation of production medical devices"],
    }
    assert (
        client.post(
            f"{API}/applications/{app_id}/grants", json=grant_body, headers=program.operator.headers
        )
    ).status_code == 403
    grant = client.post(
        f"{API}/applications/{app_id}/grants", json=grant_body, headers=program.developer.headers
    )
    assert grant.status_code == 201, grant.text
    granted = grant.json()
    assert granted["status"] == "active"
    assert granted["verified_partner"] is True
    assert granted["scope_statement"].startswith("ehr.ruralhospital.example")
    assert granted["blocked_uses"][: len(DEFAULT_BLOCKED_USES)] == list(DEFAULT_BLOCKED_USES)
    assert granted["blocked_uses"][-1] == "automated exploitation of production medical devices"
    gid = granted["id"]

    used = client.post(
        f"{API}/grants/{gid}/access-log",
        json={"event": "used", "detail": "scan of ehr staging"},
        headers=program.operator.headers,
    )
    assert used.json()["within_grant"] is True
    early = client.post(
        f"{API}/grants/{gid}/access-log",
        json={"event": "used", "at": _iso(timedelta(days=-5))},
        headers=program.operator.headers,
    )
    assert early.json()["within_grant"] is False

    revoked = client.post(
        f"{API}/grants/{gid}/revoke",
        json={"note": "scope exceeded"},
        headers=program.developer.headers,
    )
    assert revoked.json()["status"] == "revoked"
    after = client.post(
        f"{API}/grants/{gid}/access-log", json={"event": "used"}, headers=program.operator.headers
    )
    assert after.json()["within_grant"] is False
    log = client.get(f"{API}/grants/{gid}/access-log", headers=program.operator.headers).json()
    assert [e["event"] for e in log] == ["used", "granted", "used", "revoked", "used"]
    assert (
        client.post(
            f"{API}/grants/{gid}/revoke", json={"note": "again"}, headers=program.developer.headers
        ).status_code
        == 409
    )


def test_unverified_partners_may_be_granted_and_it_shows(
    client: TestClient, program: Program
) -> None:
    entry = covered_entry(client, program)
    app_id = apply(client, program.operator, entry["id"]).json()["id"]
    grant = client.post(
        f"{API}/applications/{app_id}/grants",
        json={
            "tier": "evaluation",
            "starts_at": _iso(timedelta(days=1)),
            "ends_at": _iso(timedelta(days=8)),
        },
        headers=program.developer.headers,
    ).json()
    assert grant["verified_partner"] is False
    assert grant["status"] == "scheduled"


def test_grants_are_bounded(client: TestClient, program: Program) -> None:
    entry = covered_entry(client, program)
    app_id = apply(client, program.operator, entry["id"]).json()["id"]
    for starts, ends in (
        (timedelta(days=2), timedelta(days=1)),
        (timedelta(0), timedelta(days=400)),
    ):
        response = client.post(
            f"{API}/applications/{app_id}/grants",
            json={"tier": "evaluation", "starts_at": _iso(starts), "ends_at": _iso(ends)},
            headers=program.developer.headers,
        )
        assert response.status_code == 422


def test_applications_are_seen_by_applicant_provider_and_coordinators(
    client: TestClient, program: Program
) -> None:
    entry = covered_entry(client, program)
    app_id = apply(client, program.operator, entry["id"]).json()["id"]
    for caller, code in (
        (program.operator, 200),
        (program.developer, 200),
        (program.coordinator, 200),
        (program.other_developer, 404),
        (program.evaluator, 404),
    ):
        assert (
            client.get(f"{API}/applications/{app_id}", headers=caller.headers).status_code == code
        )
    # only operators apply; the applicant may withdraw; a declined one needs a reason
    assert apply(client, program.other_developer, entry["id"]).status_code == 403
    declined = client.post(
        f"{API}/applications/{app_id}/decline",
        json={"note": "capacity"},
        headers=program.developer.headers,
    )
    assert declined.json()["status"] == "declined"
    assert (
        client.post(
            f"{API}/applications/{app_id}/withdraw", headers=program.operator.headers
        ).status_code
        == 409
    )


def test_defensive_tools_and_closed_entries(client: TestClient, program: Program) -> None:
    tool = client.post(
        f"{API}/catalogue",
        json={"kind": "defensive-tool", "name": "PatchPilot", "url": "https://patchpilot.example"},
        headers=program.coordinator.headers,
    ).json()
    assert (
        client.post(
            f"{API}/catalogue",
            json={"kind": "defensive-tool", "name": "x"},
            headers=program.operator.headers,
        ).status_code
        == 403
    )
    closed = client.patch(
        f"{API}/catalogue/{tool['id']}", json={"open": False}, headers=program.coordinator.headers
    )
    assert closed.json()["open"] is False
    assert (
        client.get(f"{API}/catalogue/{tool['id']}", headers=program.operator.headers).status_code
        == 404
    )
    assert apply(client, program.operator, tool["id"]).status_code == 404
