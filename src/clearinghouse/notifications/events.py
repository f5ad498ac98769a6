"""The events other parts publish; each becomes outbox rows in the publisher's transaction.

Contract (used by ``clearinghouse.exposures``): call :func:`publish_exposure_events` inside the
same session/transaction that writes the exposures. It selects the organization's matching
subscriptions (event type, minimum severity, KEV only) and writes one outbox row per
(subscription, event) with a stable idempotency key. Nothing is sent here.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Row, Table, bindparam, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from clearinghouse.formats.osv import format_timestamp, rating_rank
from clearinghouse.store import UTCDateTime, utcnow

EVENT_TYPES = ("exposure.new", "exposure.kev", "exposure.resolved")
"""Event types a subscription may ask for: a new (or re-opened) exposure; an open exposure
whose advisory has just entered CISA's KEV catalog; a resolved exposure."""

POSTGRESQL_CHUNK = 5000
SQLITE_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class ExposureEvent:
    """A new (or re-opened) exposure: this advisory affects this component of this system."""

    event_type: str
    """One of :data:`EVENT_TYPES`."""
    organization_id: int
    system_id: int
    system_name: str
    exposure_id: int
    advisory_id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity_rating: str | None
    severity_score: float | None
    kev: bool
    purl: str
    version: str | None
    remediation: str | None
    state: str
    reopened_after: str | None = None
    """When the exposure had been resolved before and matches again: that resolution's time.
    A re-opened exposure is a new notification (its own idempotency key)."""


def idempotency_key(subscription_id: int, event_type: str, subject: str) -> str:
    """Stable across replays and attempts: the receiver's key to drop duplicates."""
    return hashlib.sha256(f"{subscription_id}\n{event_type}\n{subject}".encode()).hexdigest()


def exposure_subject(event: ExposureEvent) -> str:
    if event.reopened_after:
        return f"exposure/{event.exposure_id}/reopened/{event.reopened_after}"
    return f"exposure/{event.exposure_id}"


def wants(
    events: Sequence[str], min_severity: str | None, kev_only: bool, event: ExposureEvent
) -> bool:
    """Whether a subscription with these filters receives ``event``.

    An event without a severity rating does not pass a ``min_severity`` filter: the subscriber
    asked for rated events only (use ``kev_only`` or no filter to hear about the rest).
    """
    if event.event_type not in events:
        return False
    if kev_only and not event.kev:
        return False
    return min_severity is None or rating_rank(event.severity_rating) >= rating_rank(min_severity)


def exposure_payload(
    event: ExposureEvent, subscription_id: int, key: str, created_at: datetime
) -> str:
    """The JSON body of one notification, exactly as it will be sent and signed."""
    document: dict[str, Any] = {
        "id": key,
        "type": event.event_type,
        "created_at": format_timestamp(created_at),
        "organization_id": event.organization_id,
        "subscription_id": subscription_id,
        "data": {
            "exposure_id": event.exposure_id,
            "state": event.state,
            "reopened": event.reopened_after is not None,
            "system": {"id": event.system_id, "name": event.system_name},
            "advisory": {
                "id": event.advisory_id,
                "aliases": list(event.aliases),
                "summary": event.summary,
                "severity": {"rating": event.severity_rating, "score": event.severity_score},
                "kev": event.kev,
            },
            "component": {"purl": event.purl, "version": event.version},
            "remediation": event.remediation,
        },
    }
    return orjson.dumps(document).decode()


def publish_exposure_events(session: Session, events: Sequence[ExposureEvent]) -> int:
    """Write outbox rows for every subscription that wants these events; returns how many.

    One row per (subscription, event), keyed by :func:`idempotency_key`; a row that already
    exists (a replay) is left alone, so publishing the same events twice writes nothing new.
    """
    if not events:
        return 0
    from clearinghouse.notifications.models import Subscription

    subscriptions = session.execute(
        select(
            Subscription.id,
            Subscription.organization_id,
            Subscription.events,
            Subscription.min_severity,
            Subscription.kev_only,
        ).where(
            Subscription.organization_id.in_({e.organization_id for e in events}),
            Subscription.deleted_at.is_(None),
        )
    ).all()
    by_organization: dict[int, list[Row[int, int, list[str], str | None, bool]]] = defaultdict(list)
    for sub in subscriptions:
        by_organization[sub.organization_id].append(sub)
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        for sub in by_organization.get(event.organization_id, ()):
            if not wants(sub.events, sub.min_severity, sub.kev_only, event):
                continue
            subject = exposure_subject(event)
            key = idempotency_key(sub.id, event.event_type, subject)
            rows[key] = {
                "organization_id": event.organization_id,
                "subscription_id": sub.id,
                "event_type": event.event_type,
                "subject": subject,
                "idempotency_key": key,
                "payload": exposure_payload(event, sub.id, key, now),
            }
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return _insert_new_postgresql(session, list(rows.values()), now)
    if dialect == "sqlite":
        return _insert_new_sqlite(session, list(rows.values()), now)
    raise NotImplementedError(f"publishing notifications on {dialect} is not supported")


_POSTGRESQL_INSERT = text(
    """
    INSERT INTO notification_delivery
        (organization_id, subscription_id, event_type, subject, idempotency_key, payload,
         state, attempts, next_attempt_at, created_at)
    SELECT r.organization_id, r.subscription_id, r.event_type, r.subject, r.idempotency_key,
           r.payload, 'pending', 0, :now, :now
    FROM json_to_recordset(CAST(:rows AS json)) AS r(
        organization_id integer, subscription_id integer, event_type text, subject text,
        idempotency_key text, payload text
    )
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id
    """
).bindparams(bindparam("now", type_=UTCDateTime()))


def _insert_new_postgresql(session: Session, rows: list[dict[str, Any]], now: datetime) -> int:
    """One parameter per chunk, a JSON array of rows: a multi-VALUES statement with tens of
    thousands of placeholders spends most of its time being parsed and adapted client-side."""
    written = 0
    for start in range(0, len(rows), POSTGRESQL_CHUNK):
        document = orjson.dumps(rows[start : start + POSTGRESQL_CHUNK]).decode()
        written += len(session.execute(_POSTGRESQL_INSERT, {"rows": document, "now": now}).all())
    return written


def _insert_new_sqlite(session: Session, rows: list[dict[str, Any]], now: datetime) -> int:
    from clearinghouse.notifications.models import Delivery

    table = cast(Table, Delivery.__table__)
    statement = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    fixed = {"state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
    written = 0
    for start in range(0, len(rows), SQLITE_CHUNK):
        chunk = [{**row, **fixed} for row in rows[start : start + SQLITE_CHUNK]]
        written += len(session.execute(statement, chunk).all())
    return written
