"""Notification subscriptions (webhooks, email) and the deliveries made for them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from clearinghouse.api.deps import AdminDep, MemberDep, SessionDep, get_settings, not_found
from clearinghouse.notifications.events import EVENT_TYPES
from clearinghouse.notifications.models import Channel, Delivery, DeliveryState, Subscription
from clearinghouse.notifications.outbox import RetryError, retry_dead
from clearinghouse.notifications.sealing import sealer_for
from clearinghouse.notifications.subscriptions import (
    MAX_SECRET_LENGTH,
    MIN_SECRET_LENGTH,
    Filters,
    SubscriptionError,
    create_email_subscription,
    create_webhook,
    delete_subscription,
    find_subscription,
    list_subscriptions,
)
from clearinghouse.notifications.targets import parse_networks
from clearinghouse.settings import Settings
from clearinghouse.store import utcnow
from clearinghouse.worker import wake_after_commit

router = APIRouter(prefix="/api/v1", tags=["notifications"])

SettingsDep = Annotated[Settings, Depends(get_settings)]
EVENTS_DESCRIPTION = f"Event types to receive: {', '.join(EVENT_TYPES)}."


class FiltersIn(BaseModel):
    min_severity: str | None = Field(
        default=None, description="LOW, MEDIUM, HIGH or CRITICAL: only events rated this or worse."
    )
    kev_only: bool = Field(
        default=False, description="Only vulnerabilities in CISA's Known Exploited catalog."
    )
    events: list[str] = Field(
        default_factory=lambda: ["exposure.new", "exposure.kev"],
        max_length=16,
        description=EVENTS_DESCRIPTION,
    )

    def filters(self) -> Filters:
        try:
            return Filters.checked(self.events, self.min_severity, self.kev_only)
        except SubscriptionError as exc:
            raise _unprocessable(exc) from None


class WebhookIn(FiltersIn):
    url: str = Field(max_length=2048, description="http(s) URL that receives the POSTs.")
    secret: str = Field(
        min_length=MIN_SECRET_LENGTH,
        max_length=MAX_SECRET_LENGTH,
        description="Signing secret (HMAC-SHA256 of the body). Stored encrypted, never shown.",
    )


class EmailSubscriptionIn(FiltersIn):
    address: str = Field(max_length=254)


class SubscriptionOut(BaseModel):
    id: int
    min_severity: str | None
    kev_only: bool
    events: list[str]
    created_at: datetime


class WebhookOut(SubscriptionOut):
    url: str


class EmailSubscriptionOut(SubscriptionOut):
    address: str


class DeliveryOut(BaseModel):
    id: int
    subscription_id: int
    event_type: str
    subject: str
    idempotency_key: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any] = Field(description="The JSON body exactly as sent.")


def _unprocessable(exc: Exception) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


def _common(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "min_severity": sub.min_severity,
        "kev_only": sub.kev_only,
        "events": list(sub.events),
        "created_at": sub.created_at,
    }


def _webhook_out(sub: Subscription) -> WebhookOut:
    return WebhookOut(**_common(sub), url=sub.target)


def _email_out(sub: Subscription) -> EmailSubscriptionOut:
    return EmailSubscriptionOut(**_common(sub), address=sub.target)


def _delivery_out(delivery: Delivery) -> DeliveryOut:
    out = DeliveryOut.model_validate(delivery, from_attributes=True)
    if delivery.state != DeliveryState.pending.value:
        out.next_attempt_at = None
    return out


# -- webhooks ----------------------------------------------------------------------------------


@router.post(
    "/webhooks",
    response_model=WebhookOut,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a webhook to my organization's events",
)
def add_webhook(
    body: WebhookIn, principal: AdminDep, session: SessionDep, settings: SettingsDep
) -> WebhookOut:
    filters = body.filters()
    try:
        sub = create_webhook(
            session,
            principal.audit_actor,
            principal.organization_id,
            body.url,
            body.secret,
            filters,
            sealer=sealer_for(settings),
            allowed_networks=parse_networks(settings.webhook_allowed_networks),
        )
    except SubscriptionError as exc:
        raise _unprocessable(exc) from None
    return _webhook_out(sub)


@router.get("/webhooks", response_model=list[WebhookOut], summary="My organization's webhooks")
def get_webhooks(principal: AdminDep, session: SessionDep) -> list[WebhookOut]:
    subs = list_subscriptions(session, principal.organization_id, Channel.webhook)
    return [_webhook_out(s) for s in subs]


@router.delete(
    "/webhooks/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook (its pending deliveries are cancelled)",
)
def remove_webhook(subscription_id: int, principal: AdminDep, session: SessionDep) -> None:
    sub = find_subscription(session, principal.organization_id, Channel.webhook, subscription_id)
    if sub is None:
        raise not_found("no such webhook")
    delete_subscription(session, principal.audit_actor, sub)


# -- email -------------------------------------------------------------------------------------


@router.post(
    "/email-subscriptions",
    response_model=EmailSubscriptionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe an email address to my organization's events",
)
def add_email_subscription(
    body: EmailSubscriptionIn, principal: AdminDep, session: SessionDep
) -> EmailSubscriptionOut:
    filters = body.filters()
    try:
        sub = create_email_subscription(
            session, principal.audit_actor, principal.organization_id, body.address, filters
        )
    except SubscriptionError as exc:
        raise _unprocessable(exc) from None
    return _email_out(sub)


@router.get(
    "/email-subscriptions",
    response_model=list[EmailSubscriptionOut],
    summary="My organization's email subscriptions",
)
def get_email_subscriptions(principal: AdminDep, session: SessionDep) -> list[EmailSubscriptionOut]:
    subs = list_subscriptions(session, principal.organization_id, Channel.email)
    return [_email_out(s) for s in subs]


@router.delete(
    "/email-subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an email subscription (its pending deliveries are cancelled)",
)
def remove_email_subscription(
    subscription_id: int, principal: AdminDep, session: SessionDep
) -> None:
    sub = find_subscription(session, principal.organization_id, Channel.email, subscription_id)
    if sub is None:
        raise not_found("no such email subscription")
    delete_subscription(session, principal.audit_actor, sub)


# -- deliveries --------------------------------------------------------------------------------


@router.get(
    "/deliveries",
    response_model=list[DeliveryOut],
    summary="Notifications sent (or to send) for my organization, newest first",
)
def get_deliveries(
    principal: MemberDep,
    session: SessionDep,
    state: DeliveryState | None = None,
    subscription_id: int | None = None,
    before: Annotated[int | None, Query(description="Only deliveries with a smaller id.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    query = select(Delivery).where(Delivery.organization_id == principal.organization_id)
    if state is not None:
        query = query.where(Delivery.state == state.value)
    if subscription_id is not None:
        query = query.where(Delivery.subscription_id == subscription_id)
    if before is not None:
        query = query.where(Delivery.id < before)
    rows = session.scalars(query.order_by(Delivery.id.desc()).limit(limit))
    return [_delivery_out(d) for d in rows]


def _own_delivery(session: SessionDep, organization_id: int, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.organization_id != organization_id:
        raise not_found("no such delivery")
    return delivery


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryDetailOut,
    summary="One delivery, with the body it sends",
)
def get_delivery(delivery_id: int, principal: MemberDep, session: SessionDep) -> DeliveryDetailOut:
    delivery = _own_delivery(session, principal.organization_id, delivery_id)
    return DeliveryDetailOut(
        **_delivery_out(delivery).model_dump(), payload=orjson.loads(delivery.payload)
    )


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    summary="Send a dead-lettered notification again (with a fresh set of attempts)",
)
def retry_delivery(
    delivery_id: int, principal: MemberDep, session: SessionDep, settings: SettingsDep
) -> DeliveryOut:
    delivery = _own_delivery(session, principal.organization_id, delivery_id)
    try:
        retry_dead(session, principal.audit_actor, delivery, utcnow())
    except RetryError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    wake_after_commit(session, settings)
    return _delivery_out(delivery)
