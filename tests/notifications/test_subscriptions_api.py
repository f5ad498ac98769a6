"""Webhook and email subscriptions over HTTP: secrets sealed and never shown, SSRF refused,
each organization sees only its own, every change audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clearinghouse.api.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.notifications.events import publish_exposure_events
from clearinghouse.notifications.models import Delivery, Subscription
from clearinghouse.notifications.sealing import sealer_for
from clearinghouse.participants.models import Role
from clearinghouse.store import Database
from tests.notifications.factories import SECRET, exposure_event, notification_settings
from tests.service_fixtures import add_caller

HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """The API with loopback webhooks allowed (as in local testing)."""
    app = create_app(notification_settings(tmp_path, db), db=db)
    with TestClient(app) as test_client:
        yield test_client


def test_webhook_secret_is_sealed_at_rest_and_never_returned(
    api: TestClient, db: Database, tmp_path: Path
) -> None:
    admin = add_caller(db, "Rural Hospital")
    created = api.post(
        "/api/v1/webhooks",
        json={"url": HOOK, "secret": SECRET, "min_severity": "high", "kev_only": True},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert SECRET not in created.text
    assert body["url"] == HOOK
    assert body["min_severity"] == "HIGH"
    assert body["kev_only"] is True
    assert body["events"] == ["exposure.new", "exposure.kev"]
    listed = api.get("/api/v1/webhooks", headers=admin.headers)
    assert SECRET not in listed.text
    assert [w["id"] for w in listed.json()] == [body["id"]]

    with db.session() as session:
        stored = session.get(Subscription, body["id"])
        assert stored is not None
        assert stored.sealed_secret is not None
        assert SECRET not in stored.sealed_secret
        settings = notification_settings(tmp_path, db)
        assert sealer_for(settings).open(stored.sealed_secret) == SECRET
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "webhook_subscription.create")
        ).one()
        assert audit.organization_id == admin.organization_id
        assert SECRET not in str(audit.after)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/hook", "http and https"),
        ("https://user:pw@example.org/hook", "credentials"),
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://0.0.0.0/hook", "not a unicast"),
        ("http:///hook", "no host"),
        ("http://localhost/hook", "loopback"),
    ],
)
def test_webhooks_to_internal_addresses_are_refused_by_default(
    client: TestClient, db: Database, url: str, reason: str
) -> None:
    admin = add_caller(db, "Community Bank")
    answer = client.post(
        "/api/v1/webhooks", json={"url": url, "secret": SECRET}, headers=admin.headers
    )
    assert answer.status_code == 422
    assert reason in answer.json()["detail"]
    with db.session() as session:
        assert session.scalars(select(Subscription)).all() == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"secret": "short"}, "secret"),
        ({"events": ["exposure.exploded"]}, "unknown event type"),
        ({"events": []}, "at least one event"),
        ({"min_severity": "severe"}, "min_severity"),
    ],
)
def test_invalid_webhook_requests_are_rejected(
    api: TestClient, db: Database, payload: dict[str, object], reason: str
) -> None:
    admin = add_caller(db, "Water District")
    answer = api.post(
        "/api/v1/webhooks", json={"url": HOOK, "secret": SECRET, **payload}, headers=admin.headers
    )
    assert answer.status_code == 422
    assert reason in str(answer.json()["detail"])


def test_only_admins_manage_subscriptions(api: TestClient, db: Database) -> None:
    member = add_caller(db, "Clinic", role=Role.member)
    answer = api.post(
        "/api/v1/webhooks", json={"url": HOOK, "secret": SECRET}, headers=member.headers
    )
    assert answer.status_code == 403
    assert api.get("/api/v1/email-subscriptions", headers=member.headers).status_code == 403


def test_another_organizations_subscriptions_are_invisible(api: TestClient, db: Database) -> None:
    hospital = add_caller(db, "Hospital")
    bank = add_caller(db, "Bank")
    hook = api.post(
        "/api/v1/webhooks", json={"url": HOOK, "secret": SECRET}, headers=hospital.headers
    ).json()
    mail = api.post(
        "/api/v1/email-subscriptions",
        json={"address": "soc@hospital.example"},
        headers=hospital.headers,
    ).json()
    assert api.get("/api/v1/webhooks", headers=bank.headers).json() == []
    assert api.get("/api/v1/email-subscriptions", headers=bank.headers).json() == []
    assert api.delete(f"/api/v1/webhooks/{hook['id']}", headers=bank.headers).status_code == 404
    assert (
        api.delete(f"/api/v1/email-subscriptions/{mail['id']}", headers=bank.headers).status_code
        == 404
    )
    # a webhook is not an email subscription, even for its owner
    assert (
        api.delete(
            f"/api/v1/email-subscriptions/{hook['id']}", headers=hospital.headers
        ).status_code
        == 404
    )
    assert len(api.get("/api/v1/webhooks", headers=hospital.headers).json()) == 1


def test_deleting_a_webhook_cancels_its_pending_deliveries_and_is_audited(
    api: TestClient, db: Database
) -> None:
    admin = add_caller(db, "Utility")
    hook = api.post(
        "/api/v1/webhooks", json={"url": HOOK, "secret": SECRET}, headers=admin.headers
    ).json()
    with db.session() as session:
        assert publish_exposure_events(session, [exposure_event(admin.organization_id, 1)]) == 1
    assert api.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin.headers).status_code == 204
    assert api.get("/api/v1/webhooks", headers=admin.headers).json() == []
    assert api.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin.headers).status_code == 404

    deliveries = api.get("/api/v1/deliveries", headers=admin.headers).json()
    assert [d["state"] for d in deliveries] == ["cancelled"]
    with db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "webhook_subscription.delete")
        ).one()
        assert event.after["cancelled_deliveries"] == 1
        # nothing new is queued for a deleted subscription
        assert publish_exposure_events(session, [exposure_event(admin.organization_id, 2)]) == 0


def test_email_subscriptions(api: TestClient, db: Database) -> None:
    admin = add_caller(db, "County 911")
    created = api.post(
        "/api/v1/email-subscriptions",
        json={"address": "SOC@County.Example", "min_severity": "critical"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["address"] == "SOC@county.example"
    for bad in ("not-an-address", "a@b", "two@@county.example", "x@-bad-.example", "a b@c.example"):
        answer = api.post(
            "/api/v1/email-subscriptions", json={"address": bad}, headers=admin.headers
        )
        assert answer.status_code == 422, bad
    listed = api.get("/api/v1/email-subscriptions", headers=admin.headers).json()
    assert [s["address"] for s in listed] == ["SOC@county.example"]
    sub_id = listed[0]["id"]
    assert (
        api.delete(f"/api/v1/email-subscriptions/{sub_id}", headers=admin.headers).status_code
        == 204
    )
    with db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("email_subscription.%"))
        ).all()
        assert sorted(actions) == ["email_subscription.create", "email_subscription.delete"]


def test_deliveries_are_listed_per_organization_and_filtered(api: TestClient, db: Database) -> None:
    hospital = add_caller(db, "Hospital")
    bank = add_caller(db, "Bank")
    for caller in (hospital, bank):
        api.post("/api/v1/webhooks", json={"url": HOOK, "secret": SECRET}, headers=caller.headers)
    with db.session() as session:
        publish_exposure_events(
            session,
            [exposure_event(hospital.organization_id, i) for i in range(3)]
            + [exposure_event(bank.organization_id, 100)],
        )
    mine = api.get("/api/v1/deliveries", headers=hospital.headers).json()
    assert len(mine) == 3
    assert all(d["state"] == "pending" for d in mine)
    assert [d["id"] for d in mine] == sorted((d["id"] for d in mine), reverse=True)
    assert api.get("/api/v1/deliveries?state=dead", headers=hospital.headers).json() == []
    assert api.get("/api/v1/deliveries?state=bogus", headers=hospital.headers).status_code == 422
    page = api.get(
        f"/api/v1/deliveries?limit=2&before={mine[0]['id']}", headers=hospital.headers
    ).json()
    assert [d["id"] for d in page] == [d["id"] for d in mine[1:3]]

    detail = api.get(f"/api/v1/deliveries/{mine[0]['id']}", headers=hospital.headers).json()
    assert detail["payload"]["id"] == detail["idempotency_key"]
    assert detail["payload"]["data"]["system"]["name"] == "patient-portal"
    with db.session() as session:
        bank_delivery = session.scalars(
            select(Delivery.id).where(Delivery.organization_id == bank.organization_id)
        ).one()
    for path in (
        f"/api/v1/deliveries/{bank_delivery}",
        f"/api/v1/deliveries/{bank_delivery}/retry",
    ):
        method = api.post if path.endswith("retry") else api.get
        assert method(path, headers=hospital.headers).status_code == 404


def test_a_201_means_committed_a_failed_commit_is_an_error(db: Database, tmp_path: Path) -> None:
    """The request's transaction commits before the response leaves: a client told 201 can use
    what it made at once (from any server), and a commit that fails is never a false 201."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    admin = add_caller(db, "Rural Hospital")
    app = create_app(notification_settings(tmp_path, db), db=db)

    armed = False

    def refuse(session: Session) -> None:
        if armed:
            raise RuntimeError("the database refused the commit")

    event.listen(Session, "before_commit", refuse)
    try:
        with TestClient(app, raise_server_exceptions=False) as api:
            armed = True
            answer = api.post(
                "/api/v1/webhooks", json={"url": HOOK, "secret": SECRET}, headers=admin.headers
            )
            armed = False
    finally:
        event.remove(Session, "before_commit", refuse)
    assert answer.status_code == 500
    with db.session() as session:
        assert session.scalars(select(Subscription)).all() == []
