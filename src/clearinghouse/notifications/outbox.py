"""The outbox's state machine: claiming due notifications under a lease, recording outcomes.

A notification is ``pending`` until delivered, dead-lettered or cancelled. A worker claims a
batch with one conditional UPDATE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite runs
writers one at a time) that sets its lease, and sends with no transaction open. It records the
outcome only while it still holds the lease (same ``lease_token``). If it dies, the lease
expires and another worker claims the row again and re-sends it with the same idempotency key.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Executable, and_, func, or_, select, update
from sqlalchemy.orm import Session

from clearinghouse.audit import Actor, record_event
from clearinghouse.notifications.models import Delivery, DeliveryState, Subscription

LOST_LEASE_ERROR = "the worker sending it stopped before finishing (its lease expired)"


@dataclass(frozen=True, slots=True)
class Claim:
    """A notification this worker holds the lease on, with what it needs to send it."""

    id: int
    token: str
    lease_expires_at: datetime
    attempt: int
    """1 for the first attempt."""
    event_type: str
    idempotency_key: str
    payload: str
    channel: str
    target: str
    sealed_secret: str | None
    subscription_deleted: bool


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before the next attempt: exponential in ``attempt``, capped, "equal jitter"."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


def updated_rows(session: Session, statement: Executable) -> int:
    """Run an UPDATE (no ORM synchronisation) and return how many rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def _pending() -> ColumnElement[bool]:
    return Delivery.state == DeliveryState.pending.value


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        _pending(),
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at <= now),
    )


def bury_abandoned(session: Session, now: datetime, max_attempts: int) -> int:
    """Dead-letter notifications whose last allowed attempt was lost with its worker."""
    result = updated_rows(
        session,
        update(Delivery)
        .where(
            _pending(),
            Delivery.lease_expires_at <= now,
            Delivery.attempts >= max_attempts,
        )
        .values(
            state=DeliveryState.dead.value,
            lease_owner=None,
            lease_token=None,
            lease_expires_at=None,
            last_error=LOST_LEASE_ERROR,
        ),
    )
    return result


def claim_due(
    session: Session,
    *,
    owner: str,
    now: datetime,
    lease_seconds: float,
    limit: int,
    max_attempts: int,
) -> list[Claim]:
    """Lease up to ``limit`` due notifications (oldest due first) to ``owner``."""
    bury_abandoned(session, now, max_attempts)
    token = uuid.uuid4().hex
    expires = now + timedelta(seconds=lease_seconds)
    candidates = (
        select(Delivery.id)
        .where(_claimable(now))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(candidates.scalar_subquery()), _claimable(now))
            .values(
                lease_owner=owner,
                lease_token=token,
                lease_expires_at=expires,
                attempts=Delivery.attempts + 1,
                last_attempt_at=now,
            )
            .returning(Delivery.id)
        )
        .scalars()
        .all()
    )
    if not claimed:
        return []
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.attempts,
            Delivery.event_type,
            Delivery.idempotency_key,
            Delivery.payload,
            Subscription.channel,
            Subscription.target,
            Subscription.sealed_secret,
            Subscription.deleted_at,
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.lease_token == token)
        .order_by(Delivery.next_attempt_at, Delivery.id)
    ).all()
    return [
        Claim(
            id=row.id,
            token=token,
            lease_expires_at=expires,
            attempt=row.attempts,
            event_type=row.event_type,
            idempotency_key=row.idempotency_key,
            payload=row.payload,
            channel=row.channel,
            target=row.target,
            sealed_secret=row.sealed_secret,
            subscription_deleted=row.deleted_at is not None,
        )
        for row in rows
    ]


def _finish(session: Session, claim: Claim, **values: object) -> bool:
    result = updated_rows(
        session,
        update(Delivery)
        .where(Delivery.id == claim.id, Delivery.lease_token == claim.token)
        .values(lease_owner=None, lease_token=None, lease_expires_at=None, **values),
    )
    return bool(result)


def record_delivered(session: Session, claim: Claim, now: datetime, status: int | None) -> bool:
    """Mark delivered; False when the lease was lost meanwhile (another worker owns it now)."""
    return _finish(
        session,
        claim,
        state=DeliveryState.delivered.value,
        delivered_at=now,
        last_status=status,
        last_error=None,
    )


def record_failed(
    session: Session,
    claim: Claim,
    *,
    status: int | None,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Schedule the next attempt at ``retry_at``, or dead-letter it when that is None."""
    if retry_at is None:
        return _finish(
            session, claim, state=DeliveryState.dead.value, last_status=status, last_error=error
        )
    return _finish(session, claim, next_attempt_at=retry_at, last_status=status, last_error=error)


def record_cancelled(session: Session, claim: Claim) -> bool:
    return _finish(
        session,
        claim,
        state=DeliveryState.cancelled.value,
        attempts=Delivery.attempts - 1,
        last_error="the subscription was deleted",
    )


def release(session: Session, claims: Sequence[Claim]) -> None:
    """Give back claims this worker will not attempt (the attempt is not counted)."""
    for claim in claims:
        _finish(session, claim, attempts=Delivery.attempts - 1)


def next_due_at(session: Session) -> datetime | None:
    """When the next pending notification becomes claimable (a retry or an expiring lease)."""
    unleased = session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            _pending(), Delivery.lease_expires_at.is_(None)
        )
    )
    leased = session.scalar(
        select(func.min(Delivery.lease_expires_at)).where(
            _pending(), Delivery.lease_expires_at.is_not(None)
        )
    )
    times = [t for t in (unleased, leased) if t is not None]
    return min(times) if times else None


def delivery_snapshot(delivery: Delivery) -> dict[str, object]:
    return {
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event_type": delivery.event_type,
        "subject": delivery.subject,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
    }


class RetryError(ValueError):
    """Only a dead-lettered notification whose subscription still exists can be retried."""


def retry_dead(session: Session, actor: Actor, delivery: Delivery, now: datetime) -> None:
    """Put a dead-lettered notification back in the queue with a fresh set of attempts."""
    if delivery.state != DeliveryState.dead.value:
        raise RetryError(f"notification {delivery.id} is {delivery.state}, not dead")
    subscription = session.get(Subscription, delivery.subscription_id)
    if subscription is None or subscription.deleted_at is not None:
        raise RetryError("its subscription was deleted")
    before = delivery_snapshot(delivery)
    delivery.state = DeliveryState.pending.value
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_owner = delivery.lease_token = None
    delivery.lease_expires_at = None
    session.flush()
    record_event(
        session,
        actor,
        "notification_delivery.retry",
        "notification_delivery",
        delivery.id,
        before=before,
        after=delivery_snapshot(delivery),
        organization_id=delivery.organization_id,
    )
