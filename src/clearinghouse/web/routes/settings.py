"""An organization's settings, for its admins: notifications (webhooks, email) and people
(users and invitations). The same service functions as the API and the CLI."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.notifications.events import EVENT_TYPES
from clearinghouse.notifications.models import Channel, Delivery
from clearinghouse.notifications.sealing import sealer_for
from clearinghouse.notifications.subscriptions import (
    MIN_SECRET_LENGTH,
    SEVERITIES,
    Filters,
    SubscriptionError,
    create_email_subscription,
    create_webhook,
    delete_subscription,
    find_subscription,
    list_subscriptions,
)
from clearinghouse.notifications.targets import parse_networks
from clearinghouse.participants.models import Role, User
from clearinghouse.web import accounts
from clearinghouse.web.deps import (
    FormDep,
    PageNotFound,
    ViewerDep,
    WebRoute,
    database,
    field,
    require_role,
    see_other,
    web_settings,
)
from clearinghouse.web.models import Invitation
from clearinghouse.web.render import render
from clearinghouse.web.sessions import Viewer, set_flash

router = APIRouter(route_class=WebRoute)

EVENT_TEXT = {
    "exposure.new": "A new exposure (an advisory now affects one of our systems)",
    "exposure.kev": "An open exposure's vulnerability is now known to be exploited (CISA KEV)",
    "exposure.resolved": "An exposure resolved (upgraded, removed, withdrawn)",
}
EVENT_NAMES = {
    "exposure.new": "new exposures",
    "exposure.kev": "exposures newly known exploited",
    "exposure.resolved": "resolved exposures",
}
"""How a subscription's events read in its summary line."""


# -- notifications -------------------------------------------------------------------------------


def _notifications_page(
    request: Request,
    viewer: Viewer,
    *,
    error: str | None = None,
    form_name: str = "",
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    org_id = viewer.principal.organization_id
    with database(request).session() as session:
        webhooks = list(list_subscriptions(session, org_id, Channel.webhook))
        emails = list(list_subscriptions(session, org_id, Channel.email))
        deliveries = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.organization_id == org_id)
                .order_by(Delivery.id.desc())
                .limit(20)
            )
        )
    return render(
        request,
        "notifications.html",
        viewer,
        title="Notifications",
        section="notifications",
        webhooks=webhooks,
        emails=emails,
        deliveries=deliveries,
        events=[(e, EVENT_TEXT.get(e, e)) for e in EVENT_TYPES],
        event_names=EVENT_NAMES,
        severities=SEVERITIES,
        min_secret=MIN_SECRET_LENGTH,
        error=error,
        form_name=form_name,
        values=values or {},
        status=status,
    )


@router.get("/settings/notifications")
def notifications(request: Request, viewer: ViewerDep) -> Response:
    require_role(viewer, Role.admin)
    return _notifications_page(request, viewer)


def _filters(form: FormDep) -> Filters:
    events = [e for e in form.getlist("events") if isinstance(e, str)]
    return Filters.checked(
        events, field(form, "min_severity") or None, bool(field(form, "kev_only"))
    )


def _kept(form: FormDep, *names: str) -> dict[str, str]:
    values = {name: field(form, name) for name in names}
    values["events"] = ",".join(e for e in form.getlist("events") if isinstance(e, str))
    return values


@router.post("/settings/notifications/webhooks")
def add_webhook(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    require_role(viewer, Role.admin)
    settings = request.app.state.settings
    try:
        with database(request).session() as session:
            sub = create_webhook(
                session,
                viewer.principal.audit_actor,
                viewer.principal.organization_id,
                field(form, "url"),
                field(form, "secret"),
                _filters(form),
                sealer=sealer_for(settings),
                allowed_networks=parse_networks(settings.webhook_allowed_networks),
            )
            set_flash(session, viewer, f"Webhook {sub.id} added: {sub.target}")
    except SubscriptionError as exc:
        return _notifications_page(
            request,
            viewer,
            error=str(exc),
            form_name="webhook",
            values=_kept(form, "url", "min_severity", "kev_only"),
            status=400,
        )
    return see_other("/settings/notifications")


@router.post("/settings/notifications/email")
def add_email(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    require_role(viewer, Role.admin)
    try:
        with database(request).session() as session:
            sub = create_email_subscription(
                session,
                viewer.principal.audit_actor,
                viewer.principal.organization_id,
                field(form, "address"),
                _filters(form),
            )
            set_flash(session, viewer, f"Email notifications to {sub.target} added.")
    except SubscriptionError as exc:
        return _notifications_page(
            request,
            viewer,
            error=str(exc),
            form_name="email",
            values=_kept(form, "address", "min_severity", "kev_only"),
            status=400,
        )
    return see_other("/settings/notifications")


@router.post("/settings/notifications/{channel}/{subscription_id}/delete")
def delete(
    request: Request, channel: str, subscription_id: int, viewer: ViewerDep, form: FormDep
) -> Response:
    require_role(viewer, Role.admin)
    try:
        kind = Channel(channel)
    except ValueError:
        raise PageNotFound() from None
    with database(request).session() as session:
        sub = find_subscription(session, viewer.principal.organization_id, kind, subscription_id)
        if sub is None:
            raise PageNotFound()
        cancelled = delete_subscription(session, viewer.principal.audit_actor, sub)
        set_flash(
            session,
            viewer,
            f"Removed {sub.target}"
            + (f"; {cancelled} pending notification(s) cancelled." if cancelled else "."),
        )
    return see_other("/settings/notifications")


# -- people --------------------------------------------------------------------------------------


def _people_page(
    request: Request,
    viewer: Viewer,
    *,
    error: str | None = None,
    link: str | None = None,
    status: int = 200,
) -> Response:
    org_id = viewer.principal.organization_id
    with database(request).session() as session:
        people = accounts.organization_people(session, org_id)
        invitations = accounts.organization_invitations(session, org_id)
    return render(
        request,
        "people.html",
        viewer,
        title="People",
        section="people",
        people=people,
        invitations=invitations,
        roles=list(Role),
        lifetime_days=web_settings(request).invitation_lifetime.days,
        error=error,
        link=link,
        status=status,
    )


@router.get("/people")
def people(request: Request, viewer: ViewerDep) -> Response:
    require_role(viewer, Role.admin)
    return _people_page(request, viewer)


@router.post("/people/invitations")
def invite(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """The link is shown once, in this answer (not after a redirect: it is never stored)."""
    require_role(viewer, Role.admin)
    try:
        role = Role(field(form, "role"))
    except ValueError:
        return _people_page(request, viewer, error="Choose a role.", status=400)
    with database(request).session() as session:
        issued = accounts.invite(
            session,
            viewer.principal.audit_actor,
            viewer.organization,
            role,
            lifetime=web_settings(request).invitation_lifetime,
            email=field(form, "email") or None,
        )
    link = f"{str(request.base_url).rstrip('/')}/invite?token={issued.token}"
    return _people_page(request, viewer, link=link, status=201)


def _own_invitation(session: Session, viewer: Viewer, invitation_id: int) -> Invitation:
    record = session.get(Invitation, invitation_id)
    if record is None or record.organization_id != viewer.principal.organization_id:
        raise PageNotFound()
    return record


@router.post("/people/invitations/{invitation_id}/revoke")
def revoke(request: Request, invitation_id: int, viewer: ViewerDep, form: FormDep) -> Response:
    require_role(viewer, Role.admin)
    with database(request).session() as session:
        record = _own_invitation(session, viewer, invitation_id)
        accounts.revoke_invitation(session, viewer.principal.audit_actor, record)
        set_flash(session, viewer, f"Invitation {record.id} withdrawn: its link no longer works.")
    return see_other("/people")


@router.post("/people/{user_id}/unlock")
def unlock(request: Request, user_id: int, viewer: ViewerDep, form: FormDep) -> Response:
    require_role(viewer, Role.admin)
    with database(request).session() as session:
        user = session.get(User, user_id)
        if user is None or user.organization_id != viewer.principal.organization_id:
            raise PageNotFound()
        accounts.unlock(session, viewer.principal.audit_actor, user)
        set_flash(session, viewer, f"{user.username} can sign in again.")
    return see_other("/people")
