"""publish_exposure_events: outbox rows in the caller's transaction, filtered, never duplicated."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from clearinghouse.notifications.events import idempotency_key, publish_exposure_events
from clearinghouse.notifications.models import Delivery
from clearinghouse.store import Database
from tests.notifications.factories import (
    add_email,
    add_webhook,
    exposure_event,
    notification_settings,
)
from tests.service_fixtures import add_caller

HOOK = "http://127.0.0.1:9/hook"


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Delivery)) or 0


def test_one_row_per_subscription_and_event_with_a_stable_key(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db)
    org = add_caller(db, "Hospital").organization_id
    hook = add_webhook(db, settings, org, HOOK)
    mail = add_email(db, org, "soc@hospital.example")
    events = [exposure_event(org, 1), exposure_event(org, 2)]
    with db.session() as session:
        assert publish_exposure_events(session, events) == 4
    with db.session() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        keys = {(r.subscription_id, r.subject): r.idempotency_key for r in rows}
        assert keys == {
            (sub, f"exposure/{n}"): idempotency_key(sub, "exposure.new", f"exposure/{n}")
            for sub in (hook, mail)
            for n in (1, 2)
        }
        assert all(r.state == "pending" and r.attempts == 0 for r in rows)
        body = orjson.loads(rows[0].payload)
        assert body["id"] == rows[0].idempotency_key
        assert body["type"] == "exposure.new"
        assert body["subscription_id"] == rows[0].subscription_id
        assert body["data"]["advisory"] == {
            "id": "GHSA-test-0001",
            "aliases": ["CVE-2026-00001"],
            "summary": "Remote code execution in the template engine",
            "severity": {"rating": "CRITICAL", "score": 9.8},
            "kev": True,
        }
        assert body["data"]["remediation"] == "upgrade to 3.1.6"


def test_a_replay_writes_nothing_new(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db)
    org = add_caller(db, "Hospital").organization_id
    add_webhook(db, settings, org, HOOK)
    events = [exposure_event(org, n) for n in range(5)]
    with db.session() as session:
        assert publish_exposure_events(session, events) == 5
    with db.session() as session:
        assert publish_exposure_events(session, events + events) == 0
        assert publish_exposure_events(session, [exposure_event(org, 5)] * 3) == 1
    assert _count(db) == 6


def test_rows_commit_or_roll_back_with_the_publisher(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db)
    org = add_caller(db, "Hospital").organization_id
    add_webhook(db, settings, org, HOOK)

    def failing_import() -> None:
        with db.session() as session:
            assert publish_exposure_events(session, [exposure_event(org, 1)]) == 1
            raise RuntimeError("the exposure import failed")

    with pytest.raises(RuntimeError):
        failing_import()
    assert _count(db) == 0


def test_filters_severity_kev_and_event_type(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db)
    org = add_caller(db, "Bank").organization_id
    high = add_webhook(db, settings, org, HOOK, min_severity="HIGH")
    kev = add_webhook(db, settings, org, HOOK, kev_only=True)
    resolved = add_webhook(db, settings, org, HOOK, events=("exposure.resolved",))
    everything = add_webhook(db, settings, org, HOOK)
    events = [
        exposure_event(org, 1, severity_rating="CRITICAL", kev=False),
        exposure_event(org, 2, severity_rating="MEDIUM", kev=True),
        exposure_event(org, 3, severity_rating=None, severity_score=None, kev=False),
        exposure_event(org, 4, event_type="exposure.resolved"),
    ]
    with db.session() as session:
        publish_exposure_events(session, events)
        got = {
            (sub, subject)
            for sub, subject in session.execute(select(Delivery.subscription_id, Delivery.subject))
        }
    assert got == {
        (high, "exposure/1"),
        (kev, "exposure/2"),
        (resolved, "exposure/4"),
        (everything, "exposure/1"),
        (everything, "exposure/2"),
        (everything, "exposure/3"),
    }


def test_events_reach_only_their_own_organization(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db)
    hospital = add_caller(db, "Hospital").organization_id
    bank = add_caller(db, "Bank").organization_id
    hospital_hook = add_webhook(db, settings, hospital, HOOK)
    add_webhook(db, settings, bank, HOOK)
    with db.session() as session:
        assert publish_exposure_events(session, [exposure_event(hospital, 1)]) == 1
        row = session.scalars(select(Delivery)).one()
        assert (row.organization_id, row.subscription_id) == (hospital, hospital_hook)


def test_thousands_of_events_in_one_call(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db)
    org = add_caller(db, "Utility").organization_id
    add_webhook(db, settings, org, HOOK)
    add_email(db, org, "ops@utility.example")
    events = [exposure_event(org, n) for n in range(2500)]
    with db.session() as session:
        assert publish_exposure_events(session, events) == 5000
    with db.session() as session:
        assert publish_exposure_events(session, events[:1200]) == 0
    assert _count(db) == 5000
