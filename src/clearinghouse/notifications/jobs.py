"""Leases on singleton background jobs (feed sync).

Every worker's scheduler enqueues the periodic jobs, so several workers may start the same
job; the one that takes the lease runs it, the others skip. A crashed holder's lease expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearinghouse.notifications.models import BackgroundJob
from clearinghouse.notifications.outbox import updated_rows
from clearinghouse.store import Database, utcnow

MAX_ERROR = 4000


def try_acquire(
    session: Session, name: str, owner: str, now: datetime, lease_seconds: float
) -> bool:
    if session.scalar(select(BackgroundJob.name).where(BackgroundJob.name == name)) is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(BackgroundJob).values(name=name).on_conflict_do_nothing())
    result = updated_rows(
        session,
        update(BackgroundJob)
        .where(
            BackgroundJob.name == name,
            or_(BackgroundJob.lease_owner.is_(None), BackgroundJob.lease_expires_at <= now),
        )
        .values(
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            last_started_at=now,
        ),
    )
    return bool(result)


def release(session: Session, name: str, owner: str, now: datetime, error: str | None) -> None:
    updated_rows(
        session,
        update(BackgroundJob)
        .where(BackgroundJob.name == name, BackgroundJob.lease_owner == owner)
        .values(
            lease_owner=None,
            lease_expires_at=None,
            last_finished_at=now,
            last_error=error[:MAX_ERROR] if error else None,
        ),
    )


@contextmanager
def job_lease(db: Database, name: str, owner: str, lease_seconds: float) -> Iterator[bool]:
    """Yields whether this worker holds the job's lease; records how the job ended."""
    token = f"{owner}/{uuid.uuid4().hex[:8]}"
    with db.session() as session:
        held = try_acquire(session, name, token, utcnow(), lease_seconds)
    if not held:
        yield False
        return
    error: str | None = None
    try:
        yield True
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with db.session() as session:
            release(session, name, token, utcnow(), error)
