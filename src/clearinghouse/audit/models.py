"""Audit tables. ``audit_event`` rows are never updated or deleted (database triggers refuse)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.store import JSONB, Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """Position in the chain, 1, 2, 3... with no gaps."""
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    """``token:<id>``, ``user:<username>``, ``cli:<os user>``, ``system:<component>``."""
    organization_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The organization acted for (None for instance-wide actions)."""
    action: Mapped[str] = mapped_column(String(100), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(255))
    before: Mapped[Any] = mapped_column(JSONB, nullable=True)
    after: Mapped[Any] = mapped_column(JSONB, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    restricted: Mapped[bool] = mapped_column(default=False)
    """Carries restricted content (designation rules): readable only with that clearance."""


class AuditHead(Base):
    """One row: the chain's tip. Appending locks it, which serialises appends across processes."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
