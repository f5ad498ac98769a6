"""Creating, listing and deleting an organization's subscriptions. Every change is audited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearinghouse.audit import Actor, record_event
from clearinghouse.notifications.events import EVENT_TYPES
from clearinghouse.notifications.models import Channel, Delivery, DeliveryState, Subscription
from clearinghouse.notifications.outbox import updated_rows
from clearinghouse.notifications.sealing import SecretSealer
from clearinghouse.notifications.targets import IPNetwork, TargetError, check_webhook_url
from clearinghouse.store import utcnow

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 256
MAX_ADDRESS_LENGTH = 254

_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class SubscriptionError(ValueError):
    """A subscription request that cannot be honoured (bad URL, unknown event...)."""


@dataclass(frozen=True, slots=True)
class Filters:
    """Which events a subscription wants."""

    events: tuple[str, ...] = ("exposure.new",)
    min_severity: str | None = None
    kev_only: bool = False

    @classmethod
    def checked(cls, events: Sequence[str], min_severity: str | None, kev_only: bool) -> Filters:
        if not events:
            raise SubscriptionError("a subscription needs at least one event type")
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown:
            raise SubscriptionError(
                f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}"
            )
        rating = None
        if min_severity is not None:
            rating = min_severity.strip().upper()
            if rating == "MODERATE":
                rating = "MEDIUM"
            if rating not in SEVERITIES:
                raise SubscriptionError(
                    f"min_severity must be one of {', '.join(SEVERITIES)}, not {min_severity!r}"
                )
        return cls(tuple(dict.fromkeys(events)), rating, kev_only)


def check_email_address(address: str) -> str:
    address = address.strip()
    if len(address) > MAX_ADDRESS_LENGTH:
        raise SubscriptionError(f"the address is longer than {MAX_ADDRESS_LENGTH} characters")
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or ".." in local or local[0] == ".":
        raise SubscriptionError(f"{address!r} is not an email address (local@domain)")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise SubscriptionError(f"{domain!r} is not a valid domain name") from None
    labels = ascii_domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise SubscriptionError(f"{domain!r} is not a valid domain name")
    return f"{local}@{domain.lower()}"


def subscription_snapshot(sub: Subscription) -> dict[str, object]:
    """What the audit log and the API show: everything except the secret."""
    return {
        "id": sub.id,
        "channel": sub.channel,
        "target": sub.target,
        "events": list(sub.events),
        "min_severity": sub.min_severity,
        "kev_only": sub.kev_only,
        "deleted_at": sub.deleted_at,
    }


def _add(
    session: Session,
    actor: Actor,
    organization_id: int,
    channel: Channel,
    target: str,
    filters: Filters,
    sealed_secret: str | None,
) -> Subscription:
    sub = Subscription(
        organization_id=organization_id,
        channel=channel.value,
        target=target,
        sealed_secret=sealed_secret,
        min_severity=filters.min_severity,
        kev_only=filters.kev_only,
        events=list(filters.events),
        created_at=utcnow(),
    )
    session.add(sub)
    session.flush()
    record_event(
        session,
        actor,
        f"{channel.value}_subscription.create",
        "notification_subscription",
        sub.id,
        after=subscription_snapshot(sub),
        organization_id=organization_id,
    )
    return sub


def create_webhook(
    session: Session,
    actor: Actor,
    organization_id: int,
    url: str,
    secret: str,
    filters: Filters,
    *,
    sealer: SecretSealer,
    allowed_networks: Sequence[IPNetwork] = (),
) -> Subscription:
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise SubscriptionError(
            f"the signing secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
        )
    try:
        check_webhook_url(url, allowed_networks)
    except TargetError as exc:
        raise SubscriptionError(str(exc)) from None
    return _add(session, actor, organization_id, Channel.webhook, url, filters, sealer.seal(secret))


def create_email_subscription(
    session: Session, actor: Actor, organization_id: int, address: str, filters: Filters
) -> Subscription:
    target = check_email_address(address)
    return _add(session, actor, organization_id, Channel.email, target, filters, None)


def list_subscriptions(
    session: Session, organization_id: int, channel: Channel
) -> Sequence[Subscription]:
    return session.scalars(
        select(Subscription)
        .where(
            Subscription.organization_id == organization_id,
            Subscription.channel == channel.value,
            Subscription.deleted_at.is_(None),
        )
        .order_by(Subscription.id)
    ).all()


def find_subscription(
    session: Session, organization_id: int, channel: Channel, subscription_id: int
) -> Subscription | None:
    sub = session.get(Subscription, subscription_id)
    if (
        sub is None
        or sub.organization_id != organization_id
        or sub.channel != channel.value
        or sub.deleted_at is not None
    ):
        return None
    return sub


def delete_subscription(session: Session, actor: Actor, sub: Subscription) -> int:
    """Delete (keeping its delivery history) and cancel what it has not delivered yet."""
    before = subscription_snapshot(sub)
    now = utcnow()
    sub.deleted_at = now
    cancelled = updated_rows(
        session,
        update(Delivery)
        .where(
            Delivery.subscription_id == sub.id,
            Delivery.state == DeliveryState.pending.value,
        )
        .values(
            state=DeliveryState.cancelled.value,
            lease_owner=None,
            lease_token=None,
            lease_expires_at=None,
            last_error="the subscription was deleted",
        ),
    )
    record_event(
        session,
        actor,
        f"{sub.channel}_subscription.delete",
        "notification_subscription",
        sub.id,
        before=before,
        after={**subscription_snapshot(sub), "cancelled_deliveries": cancelled},
        organization_id=sub.organization_id,
    )
    return cancelled
