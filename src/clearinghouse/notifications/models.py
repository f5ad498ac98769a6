"""Subscriptions, the notification outbox, and leases on background jobs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.store import Base, UTCDateTime, utcnow


class Channel(StrEnum):
    webhook = "webhook"
    email = "email"


class DeliveryState(StrEnum):
    pending = "pending"
    """Waiting for its next attempt (or being sent, while a worker holds its lease)."""
    delivered = "delivered"
    dead = "dead"
    """Every attempt failed; kept with its last error until someone retries it."""
    cancelled = "cancelled"
    """Its subscription was deleted before it could be delivered."""


class Subscription(Base):
    """Where an organization wants its notifications: a webhook URL or an email address."""

    __tablename__ = "notification_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))
    """The webhook URL or the email address."""
    sealed_secret: Mapped[str | None] = mapped_column(Text)
    """The webhook's signing secret, encrypted (Fernet); never returned."""
    min_severity: Mapped[str | None] = mapped_column(String(16))
    """LOW, MEDIUM, HIGH or CRITICAL: only events rated at least this."""
    kev_only: Mapped[bool] = mapped_column(Boolean, default=False)
    """Only vulnerabilities in CISA's Known Exploited Vulnerabilities catalog."""
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One notification for one subscription: the outbox row, and its delivery record."""

    __tablename__ = "notification_delivery"
    __table_args__ = (Index("ix_notification_delivery_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("notification_subscription.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    """What the event is about, e.g. ``exposure/42``."""
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of subscription, event type and subject: the same on every attempt and replay."""
    payload: Mapped[str] = mapped_column(Text)
    """The exact JSON body sent (and signed) on every attempt."""
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    """The receiver's HTTP status (webhooks) or SMTP reply code (email) on the last attempt."""
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackgroundJob(Base):
    """A lease on a singleton background job (feed sync...), so that one worker runs it at once."""

    __tablename__ = "background_job"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
