"""Trusted partners and defensive access.

Providers (AI developers, tool makers, the clearinghouse) catalogue what operators may use early:
a covered model version or an AI-enabled defensive tool. Operators and agencies (agencies
register as operators, usually in the government-facilities sector) apply with a scope
statement: the systems they own or are authorized to test. The clearinghouse's coordinators
verify applicants; the provider grants access (tier, scope, blocked uses, start and end) or
declines, and may revoke. Every grant has an access log. A grant to an applicant not yet verified
is allowed and says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.frontier.common import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    audit,
    clean_text,
    require_aware,
    require_kind,
    require_role,
)
from clearinghouse.frontier.models import (
    AccessApplication,
    AccessGrant,
    AccessLogEntry,
    CatalogueEntry,
)
from clearinghouse.frontier.registry import own_version
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow


class EntryKind(StrEnum):
    covered_model = "covered-model"
    defensive_tool = "defensive-tool"


class Tier(StrEnum):
    evaluation = "evaluation"
    """A short trial on the partner's own systems."""
    defensive = "defensive"
    """Defensive use on systems in scope, with the provider's usual safeguards."""
    extended = "extended"
    """Defensive use with fewer safeguards (exploit validation, agentic scanning) in scope."""


class ApplicationStatus(StrEnum):
    submitted = "submitted"
    verified = "verified"
    granted = "granted"
    declined = "declined"
    withdrawn = "withdrawn"


class VerificationMethod(StrEnum):
    sector_registry = "sector-registry"
    """Found in a sector registry or ISAC membership list."""
    domain_control = "domain-control"
    asset_attestation = "asset-attestation"
    """A signed attestation of ownership or authorization for the systems in scope."""
    government_reference = "government-reference"
    in_person = "in-person"


class AccessEvent(StrEnum):
    granted = "granted"
    credentials_issued = "credentials-issued"
    used = "used"
    finding_shared = "finding-shared"
    suspended = "suspended"
    revoked = "revoked"


DEFAULT_BLOCKED_USES = (
    "testing, scanning or accessing systems outside the scope statement",
    "offensive operations against third parties",
    "building malware or exploits for deployment",
    "sharing access, credentials or outputs with anyone not covered by the grant",
)
PROVIDER_KINDS = (
    OrganizationKind.ai_developer,
    OrganizationKind.vendor,
    OrganizationKind.coordinator,
)
MAX_GRANT = timedelta(days=366)


# -- catalogue -----------------------------------------------------------------------------------


def entry_snapshot(entry: CatalogueEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "organization_id": entry.organization_id,
        "kind": entry.kind,
        "name": entry.name,
        "description": entry.description,
        "capabilities": list(entry.capabilities or []),
        "version_id": entry.version_id,
        "url": entry.url,
        "open": entry.open,
    }


def catalogue(
    session: Session, principal: Principal, *, kind: EntryKind | None = None
) -> list[CatalogueEntry]:
    """Every authenticated participant sees the catalogue (open entries, and its own)."""
    query = select(CatalogueEntry).order_by(CatalogueEntry.id)
    if kind is not None:
        query = query.where(CatalogueEntry.kind == kind.value)
    return [
        e
        for e in session.scalars(query)
        if e.open or e.organization_id == principal.organization_id or principal.is_coordinator
    ]


def get_entry(session: Session, principal: Principal, entry_id: int) -> CatalogueEntry:
    entry = session.get(CatalogueEntry, entry_id)
    if entry is None or not (
        entry.open or entry.organization_id == principal.organization_id or principal.is_coordinator
    ):
        raise NotFound("no such catalogue entry")
    return entry


def add_entry(
    session: Session,
    principal: Principal,
    kind: EntryKind,
    name: str,
    *,
    description: str = "",
    capabilities: list[str] | None = None,
    version_id: int | None = None,
    url: str = "",
) -> CatalogueEntry:
    require_kind(principal, PROVIDER_KINDS, "catalogue models or tools")
    require_role(principal, Role.member)
    if kind is EntryKind.covered_model:
        if version_id is None:
            raise Invalid("a covered-model entry names the model version (version_id)")
        version = own_version(session, principal, version_id)
        from clearinghouse.frontier.designation import current_designation

        designation = current_designation(session, version.id)
        if designation is None or designation.outcome != "covered":
            raise Invalid(
                "this version is not designated covered; catalogue it as a defensive-tool"
            )
    elif version_id is not None:
        own_version(session, principal, version_id)
    if url and not url.startswith("https://"):
        raise Invalid("the url must start with https://")
    entry = CatalogueEntry(
        organization_id=principal.organization_id,
        kind=kind.value,
        name=clean_text(name, "name", required=True, limit=200),
        description=clean_text(description, "description"),
        capabilities=[clean_text(c, "capability", limit=100) for c in capabilities or []],
        version_id=version_id,
        url=url,
        open=True,
    )
    session.add(entry)
    session.flush()
    audit(
        session,
        principal,
        "frontier.catalogue.add",
        "frontier_catalogue_entry",
        entry.id,
        after=entry_snapshot(entry),
    )
    return entry


def set_entry_open(
    session: Session, principal: Principal, entry_id: int, is_open: bool
) -> CatalogueEntry:
    entry = get_entry(session, principal, entry_id)
    if entry.organization_id != principal.organization_id:
        raise NotFound("no such catalogue entry")
    require_role(principal, Role.member)
    before = entry_snapshot(entry)
    entry.open = is_open
    audit(
        session,
        principal,
        "frontier.catalogue.update",
        "frontier_catalogue_entry",
        entry.id,
        before=before,
        after=entry_snapshot(entry),
    )
    return entry


# -- applications --------------------------------------------------------------------------------


def application_snapshot(app: AccessApplication) -> dict[str, Any]:
    return {
        "id": app.id,
        "entry_id": app.entry_id,
        "organization_id": app.organization_id,
        "status": app.status,
        "requested_tier": app.requested_tier,
        "intended_use": app.intended_use,
        "scope_statement": app.scope_statement,
        "verified_by": app.verified_by,
        "verified_at": app.verified_at,
        "verification_method": app.verification_method,
        "verification_note": app.verification_note,
        "decision_note": app.decision_note,
    }


def _provider_id(session: Session, app: AccessApplication) -> int:
    entry = session.get(CatalogueEntry, app.entry_id)
    assert entry is not None
    return entry.organization_id


def can_see_application(session: Session, principal: Principal, app: AccessApplication) -> bool:
    return (
        principal.is_coordinator
        or app.organization_id == principal.organization_id
        or _provider_id(session, app) == principal.organization_id
    )


def get_application(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    app = session.get(AccessApplication, app_id)
    if app is None or not can_see_application(session, principal, app):
        raise NotFound("no such application")
    return app


def list_applications(session: Session, principal: Principal) -> list[AccessApplication]:
    rows = session.scalars(select(AccessApplication).order_by(AccessApplication.id))
    return [a for a in rows if can_see_application(session, principal, a)]


def apply(
    session: Session,
    principal: Principal,
    entry_id: int,
    *,
    tier: Tier,
    intended_use: str,
    scope_statement: str,
) -> AccessApplication:
    require_kind(principal, [OrganizationKind.operator], "apply for early access")
    require_role(principal, Role.member)
    entry = get_entry(session, principal, entry_id)
    if not entry.open:
        raise Conflict("this catalogue entry is not taking applications")
    pending = session.scalar(
        select(AccessApplication).where(
            AccessApplication.entry_id == entry.id,
            AccessApplication.organization_id == principal.organization_id,
            AccessApplication.status.in_(
                [ApplicationStatus.submitted.value, ApplicationStatus.verified.value]
            ),
        )
    )
    if pending is not None:
        raise Conflict(f"application {pending.id} for this entry is still open")
    app = AccessApplication(
        entry_id=entry.id,
        organization_id=principal.organization_id,
        status=ApplicationStatus.submitted.value,
        requested_tier=tier.value,
        intended_use=clean_text(intended_use, "intended_use", required=True),
        scope_statement=clean_text(scope_statement, "scope_statement", required=True),
        created_by=principal.actor,
    )
    session.add(app)
    session.flush()
    audit(
        session,
        principal,
        "frontier.access.apply",
        "frontier_access_application",
        app.id,
        after=application_snapshot(app),
    )
    return app


def _change(
    session: Session, principal: Principal, app: AccessApplication, action: str, **changes: Any
) -> AccessApplication:
    before = application_snapshot(app)
    for name, value in changes.items():
        setattr(app, name, value)
    app.updated_at = utcnow()
    audit(
        session,
        principal,
        action,
        "frontier_access_application",
        app.id,
        before=before,
        after=application_snapshot(app),
        organization_id=app.organization_id,
    )
    return app


def verify(
    session: Session,
    principal: Principal,
    app_id: int,
    method: VerificationMethod,
    note: str = "",
) -> AccessApplication:
    """A coordinator confirms who the applicant is and that its scope is its own."""
    app = get_application(session, principal, app_id)
    require_kind(principal, [OrganizationKind.coordinator], "verify trusted partners")
    require_role(principal, Role.analyst)
    if app.status != ApplicationStatus.submitted.value:
        raise Conflict(f"the application is {app.status}")
    return _change(
        session,
        principal,
        app,
        "frontier.access.verify",
        status=ApplicationStatus.verified.value,
        verified_by=principal.actor,
        verified_at=utcnow(),
        verification_method=method.value,
        verification_note=clean_text(note, "note"),
    )


def decline(session: Session, principal: Principal, app_id: int, note: str) -> AccessApplication:
    app = _as_provider(session, principal, app_id)
    if app.status not in (ApplicationStatus.submitted.value, ApplicationStatus.verified.value):
        raise Conflict(f"the application is {app.status}")
    return _change(
        session,
        principal,
        app,
        "frontier.access.decline",
        status=ApplicationStatus.declined.value,
        decision_note=clean_text(note, "note", required=True),
    )


def withdraw_application(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    app = get_application(session, principal, app_id)
    if app.organization_id != principal.organization_id:
        raise Forbidden("only the applicant withdraws its application")
    require_role(principal, Role.member)
    if app.status not in (ApplicationStatus.submitted.value, ApplicationStatus.verified.value):
        raise Conflict(f"the application is {app.status}")
    return _change(
        session,
        principal,
        app,
        "frontier.access.withdraw",
        status=ApplicationStatus.withdrawn.value,
    )


def _as_provider(session: Session, principal: Principal, app_id: int) -> AccessApplication:
    app = get_application(session, principal, app_id)
    if _provider_id(session, app) != principal.organization_id:
        raise Forbidden("only the provider decides on access to what it catalogued")
    require_role(principal, Role.member)
    return app


# -- grants --------------------------------------------------------------------------------------


def grant_status(grant: AccessGrant, now: datetime | None = None) -> str:
    now = now or utcnow()
    if grant.revoked_at is not None:
        return "revoked"
    if now < grant.starts_at:
        return "scheduled"
    if now >= grant.ends_at:
        return "expired"
    return "active"


def grant_snapshot(grant: AccessGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "application_id": grant.application_id,
        "tier": grant.tier,
        "scope_statement": grant.scope_statement,
        "blocked_uses": list(grant.blocked_uses or []),
        "starts_at": grant.starts_at,
        "ends_at": grant.ends_at,
        "verified_partner": grant.verified_partner,
        "granted_by": grant.granted_by,
        "revoked_at": grant.revoked_at,
        "revocation_reason": grant.revocation_reason,
    }


def _log(
    session: Session,
    principal: Principal,
    grant: AccessGrant,
    event: AccessEvent,
    detail: str = "",
    at: datetime | None = None,
) -> AccessLogEntry:
    at = at or utcnow()
    within = grant.starts_at <= at < grant.ends_at and (
        grant.revoked_at is None or at < grant.revoked_at
    )
    if event in (AccessEvent.granted, AccessEvent.revoked):
        within = True
    entry = AccessLogEntry(
        grant_id=grant.id,
        at=at,
        actor=principal.actor,
        organization_id=principal.organization_id,
        event=event.value,
        detail=detail,
        within_grant=within,
    )
    session.add(entry)
    session.flush()
    return entry


def grant_access(
    session: Session,
    principal: Principal,
    app_id: int,
    *,
    tier: Tier,
    starts_at: datetime,
    ends_at: datetime,
    scope_statement: str = "",
    blocked_uses: list[str] | None = None,
) -> AccessGrant:
    app = _as_provider(session, principal, app_id)
    require_aware(starts_at, "starts_at")
    require_aware(ends_at, "ends_at")
    if app.status not in (ApplicationStatus.submitted.value, ApplicationStatus.verified.value):
        raise Conflict(f"the application is {app.status}")
    if ends_at <= starts_at:
        raise Invalid("a grant ends after it starts")
    if ends_at - starts_at > MAX_GRANT:
        raise Invalid("a grant lasts at most 366 days; grant again to extend it")
    uses = list(DEFAULT_BLOCKED_USES)
    for use in blocked_uses or []:
        use = clean_text(use, "blocked use", limit=500)
        if use and use not in uses:
            uses.append(use)
    grant = AccessGrant(
        application_id=app.id,
        tier=tier.value,
        scope_statement=clean_text(scope_statement, "scope_statement") or app.scope_statement,
        blocked_uses=uses,
        starts_at=starts_at,
        ends_at=ends_at,
        verified_partner=app.status == ApplicationStatus.verified.value,
        granted_by=principal.actor,
    )
    session.add(grant)
    session.flush()
    _change(
        session,
        principal,
        app,
        "frontier.access.application_granted",
        status=ApplicationStatus.granted.value,
    )
    _log(session, principal, grant, AccessEvent.granted, f"tier {tier.value}")
    audit(
        session,
        principal,
        "frontier.access.grant",
        "frontier_access_grant",
        grant.id,
        after=grant_snapshot(grant),
        organization_id=app.organization_id,
    )
    return grant


def get_grant(session: Session, principal: Principal, grant_id: int) -> AccessGrant:
    grant = session.get(AccessGrant, grant_id)
    if grant is None:
        raise NotFound("no such grant")
    get_application(session, principal, grant.application_id)
    return grant


def list_grants(session: Session, principal: Principal) -> list[AccessGrant]:
    visible = {a.id for a in list_applications(session, principal)}
    if not visible:
        return []
    return list(
        session.scalars(
            select(AccessGrant)
            .where(AccessGrant.application_id.in_(visible))
            .order_by(AccessGrant.id)
        )
    )


def revoke_grant(session: Session, principal: Principal, grant_id: int, reason: str) -> AccessGrant:
    grant = get_grant(session, principal, grant_id)
    _as_provider(session, principal, grant.application_id)
    if grant.revoked_at is not None:
        raise Conflict("the grant is already revoked")
    before = grant_snapshot(grant)
    grant.revoked_at = utcnow()
    grant.revoked_by = principal.actor
    grant.revocation_reason = clean_text(reason, "reason", required=True)
    _log(session, principal, grant, AccessEvent.revoked, grant.revocation_reason)
    app = session.get(AccessApplication, grant.application_id)
    audit(
        session,
        principal,
        "frontier.access.revoke",
        "frontier_access_grant",
        grant.id,
        before=before,
        after=grant_snapshot(grant),
        organization_id=app.organization_id if app else None,
    )
    return grant


def record_access(
    session: Session,
    principal: Principal,
    grant_id: int,
    event: AccessEvent,
    detail: str = "",
    *,
    at: datetime | None = None,
) -> AccessLogEntry:
    """Log an access under a grant (the partner or the provider); outside the grant is flagged."""
    grant = get_grant(session, principal, grant_id)
    require_role(principal, Role.member)
    if event in (AccessEvent.granted, AccessEvent.revoked):
        raise Invalid("granting and revoking are logged by those actions")
    require_aware(at, "at")
    entry = _log(session, principal, grant, event, clean_text(detail, "detail"), at)
    audit(
        session,
        principal,
        "frontier.access.log",
        "frontier_access_grant",
        grant.id,
        after={"event": event.value, "at": entry.at, "within_grant": entry.within_grant},
    )
    return entry


def access_log(session: Session, principal: Principal, grant_id: int) -> list[AccessLogEntry]:
    grant = get_grant(session, principal, grant_id)
    return list(
        session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.grant_id == grant.id)
            .order_by(AccessLogEntry.at, AccessLogEntry.id)
        )
    )
