"""Email notifications reach a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import select

from clearinghouse.notifications.dispatch import Dispatcher
from clearinghouse.notifications.events import publish_exposure_events
from clearinghouse.notifications.models import Delivery
from clearinghouse.store import Database
from tests.notifications.factories import add_email, exposure_event, notification_settings
from tests.notifications.receivers import smtp_server
from tests.service_fixtures import add_caller


def _delivery(db: Database) -> Delivery:
    with db.session() as session:
        return session.scalars(select(Delivery)).one()


def test_an_email_arrives_with_the_notification(db: Database, tmp_path: Path) -> None:
    with smtp_server() as (mailbox, port):
        settings = notification_settings(
            tmp_path, db, smtp_host="127.0.0.1", smtp_port=port, smtp_from="alerts@ch.example"
        )
        org = add_caller(db, "County Hospital").organization_id
        add_email(db, org, "soc@hospital.example")
        with db.session() as session:
            publish_exposure_events(
                session, [exposure_event(org, 1, system_name="billing\r\nBcc: evil@x.example")]
            )
        assert Dispatcher(db, settings).run_until_idle().delivered == 1
    delivery = _delivery(db)
    assert (delivery.state, delivery.last_status) == ("delivered", 250)
    assert mailbox.envelopes == [("alerts@ch.example", ["soc@hospital.example"])]
    (message,) = mailbox.messages
    assert message["To"] == "soc@hospital.example"
    assert message["Subject"] == (
        "[Clearinghouse] CRITICAL [KEV] GHSA-test-0001 affects billing Bcc: evil@x.example: "
        "pkg:pypi/jinja2@2.10"
    )
    assert message["Bcc"] is None
    assert message["Message-ID"] == f"<{delivery.idempotency_key}@clearinghouse.invalid>"
    assert message["X-Clearinghouse-Event"] == "exposure.new"
    text, attachment = (part for part in message.walk() if not part.is_multipart())
    assert "Remediation:  upgrade to 3.1.6" in text.get_payload(decode=True).decode()
    assert orjson.loads(attachment.get_payload(decode=True)) == orjson.loads(delivery.payload)


def test_a_refused_recipient_is_retried_with_the_servers_reply(
    db: Database, tmp_path: Path
) -> None:
    with smtp_server() as (mailbox, port):
        mailbox.refused.add("gone@hospital.example")
        settings = notification_settings(tmp_path, db, smtp_host="127.0.0.1", smtp_port=port)
        org = add_caller(db, "Clinic").organization_id
        add_email(db, org, "gone@hospital.example")
        with db.session() as session:
            publish_exposure_events(session, [exposure_event(org, 1)])
        assert Dispatcher(db, settings).run_batch().retrying == 1
    delivery = _delivery(db)
    assert (delivery.state, delivery.last_status) == ("pending", 550)
    assert delivery.last_error == "SMTP 550: 5.1.1 no such mailbox"
    assert mailbox.messages == []


def test_without_an_smtp_relay_email_waits_with_a_clear_error(db: Database, tmp_path: Path) -> None:
    settings = notification_settings(tmp_path, db, smtp_host="")
    org = add_caller(db, "Library").organization_id
    add_email(db, org, "it@library.example")
    with db.session() as session:
        publish_exposure_events(session, [exposure_event(org, 1)])
    assert Dispatcher(db, settings).run_batch().retrying == 1
    assert _delivery(db).last_error == "email is not configured (CLEARINGHOUSE_SMTP_HOST)"
