"""Tokens: shown once, stored hashed, scoped to one organization and role, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from clearinghouse.audit import Actor
from clearinghouse.participants.models import ApiToken, OrganizationKind, Role
from clearinghouse.participants.service import authenticate, find_organization, issue_token
from clearinghouse.participants.tokens import token_hash
from clearinghouse.store import Database, utcnow
from tests.service_fixtures import add_caller


def test_tokens_are_stored_only_as_hashes(db: Database) -> None:
    caller = add_caller(db, "Rural Hospital")
    with db.session() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.token_hash == token_hash(caller.token)
        assert caller.token not in (stored.token_hash, stored.prefix, stored.name)
        assert caller.token.startswith(stored.prefix)
        assert len(stored.prefix) < 12


def test_expired_and_revoked_tokens_do_not_authenticate(db: Database) -> None:
    add_caller(db, "Community Bank")
    with db.session() as session:
        org = find_organization(session, "community bank")
        short = issue_token(session, Actor.cli(), org, Role.member, expires_in=timedelta(hours=1))
        assert authenticate(session, short.token) is not None
        assert authenticate(session, short.token, now=utcnow() + timedelta(hours=2)) is None
        assert authenticate(session, "chs_not-a-real-token") is None


def test_me_and_role_checks_over_http(client: TestClient, db: Database) -> None:
    admin = add_caller(db, "Local Utility")
    reader = add_caller(db, "Reader Org", role=Role.read_only)

    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    me = client.get("/api/v1/me", headers=admin.headers).json()
    assert me["organization"]["name"] == "Local Utility"
    assert me["role"] == "admin"

    assert client.get("/api/v1/tokens", headers=reader.headers).status_code == 403

    created = client.post(
        "/api/v1/tokens", json={"name": "ci", "role": "member"}, headers=admin.headers
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/v1/tokens", headers=admin.headers).json()
    assert all("token" not in t for t in listed)  # the secret is never shown again
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )

    token_id = created.json()["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=reader.headers).status_code == 403
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=admin.headers).status_code == 204
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_another_organizations_token_gets_404_not_403(client: TestClient, db: Database) -> None:
    mine = add_caller(db, "Water District")
    theirs = add_caller(db, "Other Utility")
    created = client.post("/api/v1/tokens", json={"name": "x"}, headers=mine.headers).json()
    response = client.delete(f"/api/v1/tokens/{created['id']}", headers=theirs.headers)
    assert response.status_code == 404


def test_only_coordinators_register_organizations(client: TestClient, db: Database) -> None:
    operator = add_caller(db, "Hospital A")
    coordinator = add_caller(db, "Clearinghouse Staff", kind=OrganizationKind.coordinator)
    body = {"name": "Hospital B", "kind": "operator", "sector": "healthcare", "size": "small"}
    assert (
        client.post("/api/v1/organizations", json=body, headers=operator.headers).status_code == 403
    )
    created = client.post("/api/v1/organizations", json=body, headers=coordinator.headers)
    assert created.status_code == 201
    assert created.json()["sector"] == "healthcare"
    again = client.post("/api/v1/organizations", json=body, headers=coordinator.headers)
    assert again.status_code == 409
