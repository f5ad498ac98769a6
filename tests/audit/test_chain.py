"""The audit log is append-only and hash-chained; verification names the first broken link."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clearinghouse.audit import Actor, record_event, verify_chain
from clearinghouse.store import Database


def _append(db: Database, n: int) -> None:
    with db.session() as session:
        for i in range(n):
            record_event(
                session, Actor.cli(), "test.step", "thing", i, before={"i": i}, after={"i": i + 1}
            )


def test_intact_chain_verifies(db: Database) -> None:
    _append(db, 5)
    verdict = verify_chain(db)
    assert verdict.events == 5
    assert verdict.broken_at is None


def test_rows_cannot_be_updated_or_deleted(db: Database) -> None:
    _append(db, 2)
    for statement in (
        "UPDATE audit_event SET actor = 'evil' WHERE seq = 1",
        "DELETE FROM audit_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.session() as session:
            session.execute(text(statement))
    assert verify_chain(db).events == 2


def test_a_rolled_back_change_leaves_no_event(db: Database) -> None:
    _append(db, 1)

    def failing_change() -> None:
        with db.session() as session:
            record_event(session, Actor.cli(), "test.step", "thing", "x")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    _append(db, 1)
    verdict = verify_chain(db)
    assert (verdict.events, verdict.broken_at) == (2, None)


def _tamper(db: Database, statement: str) -> None:
    """Bypass the append-only triggers the way someone with raw database access could."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(text(statement))


def test_edited_event_is_found(db: Database) -> None:
    _append(db, 6)
    _tamper(db, "UPDATE audit_event SET actor = 'someone-else' WHERE seq = 4")
    verdict = verify_chain(db)
    assert verdict.broken_at == 4
    assert verdict.reason == "its content does not match its hash"


def test_removed_event_is_found(db: Database) -> None:
    _append(db, 6)
    _tamper(db, "DELETE FROM audit_event WHERE seq = 3")
    assert verify_chain(db).broken_at == 3


def test_truncated_tail_is_found(db: Database) -> None:
    _append(db, 6)
    _tamper(db, "DELETE FROM audit_event WHERE seq > 4")
    verdict = verify_chain(db)
    assert verdict.broken_at == 5
