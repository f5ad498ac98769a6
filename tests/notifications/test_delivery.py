"""Delivering webhooks to a real receiver on loopback: signatures, retries with backoff,
dead letters, leases. The clock and the random source are fixed, so every retry time is known."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clearinghouse.api.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.notifications import outbox
from clearinghouse.notifications.dispatch import Dispatcher
from clearinghouse.notifications.events import publish_exposure_events
from clearinghouse.notifications.models import Delivery
from clearinghouse.notifications.webhooks import verify_signature
from clearinghouse.settings import Settings
from clearinghouse.store import Database, utcnow
from tests.notifications.factories import (
    SECRET,
    add_webhook,
    exposure_event,
    notification_settings,
)
from tests.notifications.receivers import WebhookReceiver, webhook_receiver
from tests.service_fixtures import add_caller


class Clock:
    def __init__(self) -> None:
        self.now = (utcnow() + timedelta(seconds=1)).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)


def _publish(db: Database, org: int, *exposures: int) -> None:
    with db.session() as session:
        publish_exposure_events(session, [exposure_event(org, n) for n in exposures])


def _deliveries(db: Database) -> list[Delivery]:
    with db.session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def _setup(
    db: Database, tmp_path: Path, receiver: WebhookReceiver, **overrides: Any
) -> tuple[Settings, int]:
    settings = notification_settings(tmp_path, db, **overrides)
    org = add_caller(db, "Rural Hospital").organization_id
    add_webhook(db, settings, org, receiver.url)
    return settings, org


def test_signature_verifies_with_the_secret_over_the_exact_body(
    db: Database, tmp_path: Path
) -> None:
    with webhook_receiver() as receiver:
        settings, org = _setup(db, tmp_path, receiver)
        _publish(db, org, 1)
        clock = Clock()
        report = Dispatcher(db, settings, clock=clock).run_until_idle()
        assert report.delivered == 1
    (request,) = receiver.requests
    headers, body = request.headers, request.body
    assert verify_signature(SECRET, body, headers["x-clearinghouse-signature"])
    assert not verify_signature(
        "another-secret-entirely", body, headers["x-clearinghouse-signature"]
    )
    assert not verify_signature(SECRET, body + b" ", headers["x-clearinghouse-signature"])
    assert not verify_signature(
        SECRET, orjson.dumps(orjson.loads(body)) + b"\n", headers["x-clearinghouse-signature"]
    )
    assert headers["content-type"] == "application/json"
    assert headers["x-clearinghouse-event"] == "exposure.new"
    assert headers["x-clearinghouse-timestamp"] == str(int(clock.now.timestamp()))
    (delivery,) = _deliveries(db)
    assert headers["idempotency-key"] == delivery.idempotency_key == orjson.loads(body)["id"]
    assert body == delivery.payload.encode()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 204)


def test_failures_back_off_exponentially_then_dead_letter(db: Database, tmp_path: Path) -> None:
    with webhook_receiver(WebhookReceiver(failures=100, failure_status=503)) as receiver:
        settings, org = _setup(
            db,
            tmp_path,
            receiver,
            delivery_backoff_seconds=30.0,
            delivery_backoff_max_seconds=100.0,
            delivery_max_attempts=4,
        )
        _publish(db, org, 1)
        clock = Clock()
        dispatcher = Dispatcher(db, settings, clock=clock, rng=random.Random(42))
        expected_rng = random.Random(42)
        for attempt, ceiling in enumerate((30.0, 60.0, 100.0), start=1):
            assert dispatcher.run_batch().retrying == 1
            (delivery,) = _deliveries(db)
            delay = (delivery.next_attempt_at - clock.now).total_seconds()
            assert delay == pytest.approx(outbox.retry_delay(attempt, 30.0, 100.0, expected_rng))
            assert ceiling / 2 <= delay <= ceiling
            assert delivery.attempts == attempt
            assert delivery.last_error == "HTTP 503: no"
            # not due yet: nothing is sent early
            clock.now = delivery.next_attempt_at - timedelta(seconds=1)
            assert dispatcher.run_batch().claimed == 0
            clock.advance_to(delivery.next_attempt_at)
        assert dispatcher.run_batch().dead == 1
        clock.now += timedelta(days=1)
        assert dispatcher.run_batch().claimed == 0
    (delivery,) = _deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("dead", 4, 503)
    assert delivery.last_error == "HTTP 503: no"
    assert len(receiver.raw) == 1
    assert receiver.raw[delivery.idempotency_key] == 4


def test_a_dead_letter_can_be_retried_through_the_api(db: Database, tmp_path: Path) -> None:
    with webhook_receiver(WebhookReceiver(failures=2)) as receiver:
        settings = notification_settings(tmp_path, db, delivery_max_attempts=2)
        caller = add_caller(db, "Community Bank")
        add_webhook(db, settings, caller.organization_id, receiver.url)
        _publish(db, caller.organization_id, 1)
        clock = Clock()
        dispatcher = Dispatcher(db, settings, clock=clock, rng=random.Random(0))
        dispatcher.run_batch()
        clock.now += timedelta(minutes=1)
        assert dispatcher.run_batch().dead == 1

        with TestClient(create_app(settings, db=db)) as api:
            dead = api.get("/api/v1/deliveries?state=dead", headers=caller.headers).json()
            assert [(d["attempts"], d["last_error"]) for d in dead] == [(2, "HTTP 500: no")]
            retried = api.post(f"/api/v1/deliveries/{dead[0]['id']}/retry", headers=caller.headers)
            assert retried.status_code == 200, retried.text
            assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
            again = api.post(f"/api/v1/deliveries/{dead[0]['id']}/retry", headers=caller.headers)
            assert again.status_code == 409

        assert dispatcher.run_batch().delivered == 1
    (delivery,) = _deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("delivered", 1, None)
    assert receiver.raw[delivery.idempotency_key] == 3
    assert receiver.accepted[delivery.idempotency_key] == 1
    with db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "notification_delivery.retry")
        ).one()
        assert event.before["state"] == "dead"
        assert event.after["state"] == "pending"


def test_a_crashed_workers_lease_expires_and_the_same_key_is_sent_again(
    db: Database, tmp_path: Path
) -> None:
    with webhook_receiver() as receiver:
        settings, org = _setup(db, tmp_path, receiver, delivery_lease_seconds=60.0)
        _publish(db, org, 1)
        clock = Clock()
        with db.session() as session:  # a worker claims it, then dies before sending
            (lost,) = outbox.claim_due(
                session,
                owner="crashed-worker",
                now=clock.now,
                lease_seconds=60.0,
                limit=10,
                max_attempts=4,
            )
        survivor = Dispatcher(db, settings, clock=clock, owner="survivor")
        assert survivor.run_batch().claimed == 0  # still leased
        with db.session() as session:
            assert outbox.next_due_at(session) == lost.lease_expires_at
        clock.advance_to(lost.lease_expires_at)
        assert survivor.run_batch().delivered == 1
        with db.session() as session:  # the crashed worker's late verdict no longer counts
            assert not outbox.record_failed(
                session, lost, status=None, error="late", retry_at=clock.now
            )
    (delivery,) = _deliveries(db)
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert list(receiver.raw) == [lost.idempotency_key]


def test_a_lost_final_attempt_is_dead_lettered(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db, delivery_max_attempts=1)
    org = add_caller(db, "Water District").organization_id
    add_webhook(db, settings, org, "http://127.0.0.1:9/hook")
    _publish(db, org, 1)
    clock = Clock()
    with db.session() as session:
        outbox.claim_due(
            session, owner="crashed", now=clock.now, lease_seconds=5, limit=1, max_attempts=1
        )
    clock.now += timedelta(seconds=6)
    assert Dispatcher(db, settings, clock=clock).run_batch().claimed == 0
    (delivery,) = _deliveries(db)
    assert (delivery.state, delivery.last_error) == ("dead", outbox.LOST_LEASE_ERROR)


def test_concurrent_claimers_never_share_a_notification(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db)
    org = add_caller(db, "Utility").organization_id
    add_webhook(db, settings, org, "http://127.0.0.1:9/hook")
    _publish(db, org, *range(120))
    now = utcnow()
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        mine = claimed.setdefault(name, [])
        try:
            while True:
                with db.session() as session:
                    batch = outbox.claim_due(
                        session, owner=name, now=now, lease_seconds=60, limit=7, max_attempts=4
                    )
                if not batch:
                    return
                mine.extend(c.id for c in batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    every = [i for ids in claimed.values() for i in ids]
    assert len(every) == len(set(every)) == 120
    with db.session() as session:
        owners = {
            i: owner for i, owner in session.execute(select(Delivery.id, Delivery.lease_owner))
        }
    assert all(owners[i] == name for name, ids in claimed.items() for i in ids)


def test_the_address_is_checked_again_before_each_delivery(db: Database, tmp_path: Path) -> None:
    with webhook_receiver() as receiver:
        _settings, org = _setup(db, tmp_path, receiver)
        _publish(db, org, 1)
        strict = notification_settings(tmp_path, db, webhook_allowed_networks=())
        assert Dispatcher(db, strict, clock=Clock()).run_batch().retrying == 1
    (delivery,) = _deliveries(db)
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1 is a loopback")
    assert receiver.requests == []


def test_a_secret_sealed_with_another_key_fails_visibly(db: Database, tmp_path: Path) -> None:
    with webhook_receiver() as receiver:
        _settings, org = _setup(db, tmp_path, receiver)
        _publish(db, org, 1)
        other_key = notification_settings(tmp_path, db, secret_key="")
        assert Dispatcher(db, other_key, clock=Clock()).run_batch().retrying == 1
    (delivery,) = _deliveries(db)
    assert "sealed with a key that is not configured" in (delivery.last_error or "")
    assert receiver.requests == []


def test_claims_the_lease_cannot_cover_any_more_are_given_back(
    db: Database, tmp_path: Path
) -> None:
    class SlowClock(Clock):
        def __call__(self) -> datetime:
            self.now += timedelta(seconds=3)
            return self.now

    with webhook_receiver() as receiver:
        settings, org = _setup(
            db, tmp_path, receiver, delivery_lease_seconds=10.0, webhook_timeout=5.0
        )
        _publish(db, org, 1, 2)
        # claimed at t, first send checked at t+3 (fits), recorded at t+9; second at t+12: not
        report = Dispatcher(db, settings, clock=SlowClock()).run_batch()
    assert (report.claimed, report.delivered, report.released) == (2, 1, 1)
    assert [(d.state, d.attempts, d.lease_owner) for d in _deliveries(db)] == [
        ("delivered", 1, None),
        ("pending", 0, None),
    ]
    assert len(receiver.requests) == 1


def test_a_lease_shorter_than_a_send_timeout_is_refused(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db, delivery_lease_seconds=5.0)
    with pytest.raises(ValueError, match="must be longer than the webhook and SMTP timeouts"):
        Dispatcher(db, settings)


def test_a_notification_for_a_deleted_subscription_is_cancelled(
    db: Database, tmp_path: Path
) -> None:
    from clearinghouse.notifications.models import Subscription

    with webhook_receiver() as receiver:
        settings, org = _setup(db, tmp_path, receiver)
        _publish(db, org, 1)
        with db.session() as session:  # deleted behind the outbox's back (a racing publisher)
            session.scalars(select(Subscription)).one().deleted_at = utcnow()
        assert Dispatcher(db, settings, clock=Clock()).run_batch().cancelled == 1
    assert [d.state for d in _deliveries(db)] == ["cancelled"]
    assert receiver.requests == []


def test_tokens_in_a_webhook_query_string_stay_out_of_the_logs(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with webhook_receiver() as receiver:
        settings = notification_settings(tmp_path, db)
        org = add_caller(db, "Transit Authority").organization_id
        add_webhook(db, settings, org, f"{receiver.url}?token=xoxb-very-secret")
        _publish(db, org, 1)
        caplog.set_level("INFO")
        assert Dispatcher(db, settings, clock=Clock()).run_batch().delivered == 1
    assert receiver.requests[0].path == "/hook?token=xoxb-very-secret"
    assert "HTTP Request" in caplog.text
    assert "xoxb-very-secret" not in caplog.text
