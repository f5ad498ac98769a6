"""Appending to and verifying the hash-chained audit log.

Each event's hash is SHA-256 over the previous hash and the canonical JSON of the event
(sorted keys, UTC timestamps), so changing, removing or reordering any event breaks every
later link. Appends lock the single ``audit_head`` row first (an UPDATE), which serialises
writers on PostgreSQL and SQLite alike, so two processes never fork the chain.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from clearinghouse.audit.models import AuditEvent, AuditHead
from clearinghouse.formats.osv import format_timestamp
from clearinghouse.store import Database, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it, and for which organization."""

    name: str
    organization_id: int | None = None

    @classmethod
    def cli(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(f"cli:{user}")

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls(f"system:{component}")


def _canonical(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()


def _event_body(
    seq: int,
    at: datetime,
    actor: str,
    organization_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    before: Any,
    after: Any,
    restricted: bool,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": format_timestamp(at),
        "actor": actor,
        "organization_id": organization_id,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "before": before,
        "after": after,
        "restricted": restricted,
    }


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int,
    *,
    before: Any = None,
    after: Any = None,
    organization_id: int | None = None,
    restricted: bool = False,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with the change)."""
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    seq, prev_hash = head.seq, head.hash
    at = utcnow()
    org = organization_id if organization_id is not None else actor.organization_id
    body = _event_body(
        seq,
        at,
        actor.name,
        org,
        action,
        target_type,
        str(target_id),
        _jsonable(before),
        _jsonable(after),
        restricted,
    )
    digest = event_hash(prev_hash, body)
    event = AuditEvent(
        seq=seq,
        at=at,
        actor=actor.name,
        organization_id=org,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=body["before"],
        after=body["after"],
        prev_hash=prev_hash,
        hash=digest,
        restricted=restricted,
    )
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=digest))
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """One event for :func:`record_events`; the fields of :func:`record_event`."""

    action: str
    target_type: str
    target_id: str | int
    before: Any = None
    after: Any = None
    organization_id: int | None = None
    restricted: bool = False


def record_events(session: Session, actor: Actor, events: Sequence[PendingEvent]) -> int:
    """Append several events in the caller's transaction: one head lock, one bulk insert.

    The chain is exactly the one :func:`record_event` would build one event at a time.
    """
    if not events:
        return 0
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + len(events))
    )
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    seq, prev_hash = head.seq - len(events), head.hash
    at = utcnow()
    rows = []
    for event in events:
        seq += 1
        org = event.organization_id if event.organization_id is not None else actor.organization_id
        body = _event_body(
            seq,
            at,
            actor.name,
            org,
            event.action,
            event.target_type,
            str(event.target_id),
            _jsonable(event.before),
            _jsonable(event.after),
            event.restricted,
        )
        digest = event_hash(prev_hash, body)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor.name,
                "organization_id": org,
                "action": event.action,
                "target_type": event.target_type,
                "target_id": str(event.target_id),
                "before": body["before"],
                "after": body["after"],
                "prev_hash": prev_hash,
                "hash": digest,
                "restricted": event.restricted,
            }
        )
        prev_hash = digest
    session.execute(insert(cast(Table, AuditEvent.__table__)), rows)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev_hash))
    return len(rows)


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    events: int
    broken_at: int | None
    """Sequence number of the first event that does not link, or None when intact."""
    reason: str | None


def _events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(db: Database) -> ChainVerdict:
    """Recompute every link; report the first event whose content, order or link is wrong."""
    with db.session() as session:
        prev_hash = GENESIS
        expected_seq = 1
        count = 0
        for event in _events(session):
            count += 1
            if event.seq != expected_seq:
                return ChainVerdict(count, expected_seq, f"event {expected_seq} is missing")
            if event.prev_hash != prev_hash:
                return ChainVerdict(count, event.seq, "does not link to the previous event")
            body = _event_body(
                event.seq,
                event.at,
                event.actor,
                event.organization_id,
                event.action,
                event.target_type,
                event.target_id,
                event.before,
                event.after,
                event.restricted,
            )
            if event_hash(prev_hash, body) != event.hash:
                return ChainVerdict(count, event.seq, "its content does not match its hash")
            prev_hash = event.hash
            expected_seq += 1
        head = session.get(AuditHead, 1)
        if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
            return ChainVerdict(count, expected_seq, "events after the last one were removed")
        return ChainVerdict(count, None, None)
