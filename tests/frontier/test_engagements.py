"""Pre-release engagements: every state, short notice, withdrawal, release from any step, and
no transition that waits on the government."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clearinghouse.api.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.frontier.engagements import Term, engagement_view
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.participants.service import Principal
from clearinghouse.settings import Settings
from clearinghouse.store import Database, utcnow
from tests.frontier.conftest import Program, register_version
from tests.service_fixtures import Caller

API = "/api/v1/frontier"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def open_engagement(
    client: TestClient, program: Program, version_id: int, release_in: timedelta | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"version_id": version_id}
    if release_in is not None:
        body["planned_partner_release_at"] = _iso(utcnow() + release_in)
    response = client.post(f"{API}/engagements", json=body, headers=program.developer.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def move(client: TestClient, caller: Caller, engagement_id: int, to: str, note: str = "") -> Any:
    return client.post(
        f"{API}/engagements/{engagement_id}/transitions",
        json={"to": to, "note": note},
        headers=caller.headers,
    )


def designate(client: TestClient, program: Program, version_id: int, outcome: str) -> None:
    response = client.post(
        f"{API}/versions/{version_id}/designation",
        json={"outcome": outcome, "rationale": "recorded for the test"},
        headers=program.official.headers,
    )
    assert response.status_code == 201, response.text


def test_an_engagement_walks_every_state_to_release(
    client: TestClient, db: Database, program: Program
) -> None:
    _, version_id = register_version(client, program)
    engagement = open_engagement(client, program, version_id, timedelta(days=60))
    eid = engagement["id"]
    assert engagement["state"] == "inquiry"
    assert engagement["schedule"]["short_notice"] is False
    assert engagement["schedule"]["window_days"] == 30
    assert move(client, program.developer, eid, "designation_pending").json()["state"] == (
        "designation_pending"
    )
    # covered follows the official's designation; the developer cannot declare it
    assert move(client, program.developer, eid, "covered").status_code == 422
    designate(client, program, version_id, "covered")
    view = client.get(f"{API}/engagements/{eid}", headers=program.developer.headers).json()
    assert view["state"] == "covered"
    assert move(client, program.developer, eid, "access_agreement").is_success

    refused = move(client, program.developer, eid, "government_access")
    assert refused.status_code == 422
    assert "insider_risk" in refused.json()["detail"]
    for term in Term:
        acked = client.post(
            f"{API}/engagements/{eid}/terms/{term.value}", headers=program.developer.headers
        )
        assert acked.status_code == 200
    countersigned = client.post(
        f"{API}/engagements/{eid}/terms/confidentiality", headers=program.coordinator.headers
    ).json()
    assert set(countersigned["terms"]["confidentiality"]) == {"developer", "government"}
    assert countersigned["terms_missing"] == []

    for state in ("government_access", "partner_access", "released"):
        response = move(client, program.developer, eid, state)
        assert response.status_code == 200, response.text
        assert response.json()["state"] == state

    final = client.get(f"{API}/engagements/{eid}", headers=program.developer.headers).json()
    assert [h["to"] for h in final["history"]] == [
        "inquiry",
        "designation_pending",
        "covered",
        "access_agreement",
        "government_access",
        "partner_access",
        "released",
    ]
    assert final["next_states"] == []
    assert final["schedule"]["government_access_days"] is not None
    assert move(client, program.developer, eid, "withdrawn").status_code == 409
    with db.session() as session:
        audited = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "frontier.engagement.transition",
                AuditEvent.target_id == str(eid),
            )
        ).all()
    assert [e.after["state"] for e in audited] == [h["to"] for h in final["history"][1:]]


def test_not_covered_then_released(client: TestClient, program: Program) -> None:
    _, version_id = register_version(client, program)
    designate(client, program, version_id, "not_covered")
    eid = open_engagement(client, program, version_id, timedelta(days=40))["id"]
    # a designation recorded earlier is followed at once
    after = move(client, program.developer, eid, "designation_pending").json()
    assert after["state"] == "not_covered"
    assert after["next_states"] == ["released", "withdrawn"]
    assert move(client, program.developer, eid, "access_agreement").status_code == 422
    assert move(client, program.developer, eid, "released").json()["state"] == "released"


def test_short_notice_is_flagged_never_refused(client: TestClient, program: Program) -> None:
    _, version_id = register_version(client, program)
    engagement = open_engagement(client, program, version_id, timedelta(days=10))
    schedule = engagement["schedule"]
    assert schedule["short_notice"] is True
    assert 9.9 < schedule["notice_days"] <= 10
    opens = datetime.fromisoformat(schedule["window_opens_at"])
    assert opens < utcnow()
    deadline = {d["name"]: d for d in schedule["deadlines"]}
    assert deadline["government_access_window_opens"]["passed"] is True
    assert deadline["planned_partner_release"]["passed"] is False
    # the engagement goes on as any other
    assert move(client, program.developer, engagement["id"], "designation_pending").is_success
    # a later date given now is no longer short notice
    later = client.put(
        f"{API}/engagements/{engagement['id']}/planned-partner-release",
        json={"planned_partner_release_at": _iso(utcnow() + timedelta(days=45))},
        headers=program.developer.headers,
    ).json()
    assert later["schedule"]["short_notice"] is False


def test_withdrawal_with_a_reason(client: TestClient, program: Program) -> None:
    _, version_id = register_version(client, program)
    eid = open_engagement(client, program, version_id, timedelta(days=35))["id"]
    move(client, program.developer, eid, "designation_pending")
    designate(client, program, version_id, "covered")
    move(client, program.developer, eid, "access_agreement")
    withdrawn = move(client, program.developer, eid, "withdrawn", "model shelved")
    assert withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["withdrawal_reason"] == "model shelved"
    assert move(client, program.developer, eid, "released").status_code == 409
    # a new engagement may be opened for the version once the old one is over
    assert open_engagement(client, program, version_id, None)["state"] == "inquiry"


@pytest.mark.parametrize(
    "stop_at",
    ["inquiry", "designation_pending", "covered", "access_agreement", "government_access"],
)
def test_the_developer_may_release_at_any_step(
    client: TestClient, program: Program, stop_at: str
) -> None:
    """Nothing waits on the government: release works even while the designation is pending."""
    _, version_id = register_version(client, program)
    eid = open_engagement(client, program, version_id, timedelta(days=31))["id"]
    path = ["designation_pending", "covered", "access_agreement", "government_access"]
    for state in path[: path.index(stop_at) + 1 if stop_at in path else 0]:
        if state == "covered":
            designate(client, program, version_id, "covered")
            continue
        if state == "government_access":
            for term in Term:
                client.post(
                    f"{API}/engagements/{eid}/terms/{term}", headers=program.developer.headers
                )
        assert move(client, program.developer, eid, state).is_success
    assert (
        client.get(f"{API}/engagements/{eid}", headers=program.developer.headers).json()["state"]
        == stop_at
    )
    released = move(client, program.developer, eid, "released")
    assert released.status_code == 200
    assert released.json()["state"] == "released"


def test_who_may_see_and_move(client: TestClient, db: Database, program: Program) -> None:
    _, version_id = register_version(client, program)
    eid = open_engagement(client, program, version_id, timedelta(days=31))["id"]
    for caller in (program.other_developer, program.operator, program.evaluator):
        assert client.get(f"{API}/engagements/{eid}", headers=caller.headers).status_code == 404
        assert move(client, caller, eid, "released").status_code == 404
        assert client.get(f"{API}/engagements", headers=caller.headers).json() == []
    assert client.get(f"{API}/engagements/{eid}", headers=program.coordinator.headers).is_success
    assert move(client, program.coordinator, eid, "released").status_code == 403
    assert move(client, program.developer_reader, eid, "released").status_code == 403
    # another organization's version cannot be engaged
    other = client.post(
        f"{API}/engagements",
        json={"version_id": version_id},
        headers=program.other_developer.headers,
    )
    assert other.status_code == 404
    again = client.post(
        f"{API}/engagements", json={"version_id": version_id}, headers=program.developer.headers
    )
    assert again.status_code == 409


def test_deadlines_and_reminders_follow_the_window(
    client: TestClient, db: Database, program: Program
) -> None:
    _, version_id = register_version(client, program)
    eid = open_engagement(client, program, version_id, timedelta(days=50))["id"]
    move(client, program.developer, eid, "designation_pending")
    designate(client, program, version_id, "covered")
    move(client, program.developer, eid, "access_agreement")
    developer = Principal(
        program.developer.organization_id, OrganizationKind.ai_developer, Role.admin, "test"
    )
    with db.session() as session:
        view = engagement_view(session, developer, eid)
    schedule = view["schedule"]
    release = schedule["planned_partner_release_at"]
    assert schedule["window_opens_at"] == release - timedelta(days=30)
    [ack] = [
        r
        for r in schedule["reminders"]
        if r["audience"] == "developer" and "acknowledge" in r["message"]
    ]
    assert ack["due_at"] == release - timedelta(days=30)
    assert ack["status"] == "upcoming"
    for term in Term:
        client.post(f"{API}/engagements/{eid}/terms/{term}", headers=program.developer.headers)
    move(client, program.developer, eid, "government_access")
    with db.session() as session:
        later = engagement_view(session, developer, eid, now=release - timedelta(days=3))
    government = [r for r in later["schedule"]["reminders"] if r["audience"] == "government"]
    assert [(r["due_at"], r["status"]) for r in government] == [
        (release - timedelta(days=7), "due"),
        (release - timedelta(days=1), "upcoming"),
    ]


def test_the_window_length_is_a_setting(db: Database, program: Program, settings: Settings) -> None:
    with TestClient(create_app(replace(settings, government_access_days=45), db=db)) as client:
        _, version_id = register_version(client, program)
        engagement = open_engagement(client, program, version_id, timedelta(days=40))
    assert engagement["schedule"]["window_days"] == 45
    assert engagement["schedule"]["short_notice"] is True


def test_states_never_include_a_gate() -> None:
    from clearinghouse.frontier.engagements import State

    assert {s.value for s in State} == {
        "inquiry",
        "designation_pending",
        "covered",
        "not_covered",
        "access_agreement",
        "government_access",
        "partner_access",
        "released",
        "withdrawn",
    }
