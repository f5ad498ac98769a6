"""Building exposure events, settings and subscriptions for notification tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from clearinghouse.audit import Actor
from clearinghouse.notifications.events import ExposureEvent
from clearinghouse.notifications.models import Subscription
from clearinghouse.notifications.sealing import sealer_for
from clearinghouse.notifications.subscriptions import (
    Filters,
    create_email_subscription,
    create_webhook,
)
from clearinghouse.notifications.targets import parse_networks
from clearinghouse.settings import Settings
from clearinghouse.store import Database

SECRET = "s3cret-signing-key-of-the-hospital"
TEST_KEY = Fernet.generate_key().decode()


def exposure_event(organization_id: int, exposure_id: int, **changes: Any) -> ExposureEvent:
    event = ExposureEvent(
        event_type="exposure.new",
        organization_id=organization_id,
        system_id=7,
        system_name="patient-portal",
        exposure_id=exposure_id,
        advisory_id=f"GHSA-test-{exposure_id:04d}",
        aliases=(f"CVE-2026-{exposure_id:05d}",),
        summary="Remote code execution in the template engine",
        severity_rating="CRITICAL",
        severity_score=9.8,
        kev=True,
        purl="pkg:pypi/jinja2@2.10",
        version="2.10",
        remediation="upgrade to 3.1.6",
        state="open",
    )
    return dataclasses.replace(event, **changes)


def notification_settings(tmp_path: Path, db: Database, **overrides: Any) -> Settings:
    """Settings for a test: loopback webhooks allowed, fast retries, a fixed sealing key."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": db.url,
        "secret_key": TEST_KEY,
        "webhook_allowed_networks": ("127.0.0.0/8",),
        "webhook_timeout": 5.0,
        "smtp_timeout": 5.0,
        "delivery_backoff_seconds": 0.01,
        "delivery_backoff_max_seconds": 0.05,
        "delivery_max_attempts": 4,
        "delivery_lease_seconds": 30.0,
    }
    values.update(overrides)
    return Settings(**values)


def add_webhook(
    db: Database, settings: Settings, organization_id: int, url: str, **filters: Any
) -> int:
    with db.session() as session:
        sub = create_webhook(
            session,
            Actor.cli(),
            organization_id,
            url,
            SECRET,
            Filters(**filters),
            sealer=sealer_for(settings),
            allowed_networks=parse_networks(settings.webhook_allowed_networks),
        )
        return sub.id


def add_email(db: Database, organization_id: int, address: str, **filters: Any) -> int:
    with db.session() as session:
        sub: Subscription = create_email_subscription(
            session, Actor.cli(), organization_id, address, Filters(**filters)
        )
        return sub.id
