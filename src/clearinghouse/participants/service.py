"""Creating organizations, users and tokens; authenticating requests. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse.audit import Actor, record_event
from clearinghouse.participants.models import (
    ApiToken,
    Organization,
    OrganizationKind,
    OrganizationSize,
    Role,
    Sector,
    User,
)
from clearinghouse.participants.tokens import new_token, token_display_prefix, token_hash
from clearinghouse.store import utcnow


class ParticipantError(ValueError):
    """A request about participants that cannot be honoured (duplicate name, unknown org...)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request: always exactly one organization, one role."""

    organization_id: int
    organization_kind: OrganizationKind
    role: Role
    actor: str
    token_id: int | None = None
    user_id: int | None = None
    clearances: frozenset[str] = field(default_factory=frozenset)

    @property
    def audit_actor(self) -> Actor:
        return Actor(self.actor, self.organization_id)

    def has_clearance(self, clearance: str) -> bool:
        return clearance in self.clearances

    @property
    def is_coordinator(self) -> bool:
        return self.organization_kind is OrganizationKind.coordinator


def organization_snapshot(org: Organization) -> dict[str, object]:
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "sector": org.sector,
        "size": org.size,
    }


def create_organization(
    session: Session,
    actor: Actor,
    name: str,
    kind: OrganizationKind,
    *,
    sector: Sector | None = None,
    size: OrganizationSize | None = None,
) -> Organization:
    name = name.strip()
    if not name:
        raise ParticipantError("an organization needs a name")
    if sector is not None and kind is not OrganizationKind.operator:
        raise ParticipantError("only operators have a critical-infrastructure sector")
    existing = session.scalar(
        select(Organization).where(func.lower(Organization.name) == name.lower())
    )
    if existing is not None:
        raise ParticipantError(f"an organization named {existing.name!r} already exists")
    org = Organization(
        name=name,
        kind=kind.value,
        sector=sector.value if sector else None,
        size=size.value if size else None,
    )
    session.add(org)
    session.flush()
    record_event(
        session,
        actor,
        "organization.create",
        "organization",
        org.id,
        after=organization_snapshot(org),
        organization_id=org.id,
    )
    return org


def find_organization(session: Session, name_or_id: str) -> Organization:
    org = None
    if name_or_id.isdigit():
        org = session.get(Organization, int(name_or_id))
    if org is None:
        org = session.scalar(
            select(Organization).where(func.lower(Organization.name) == name_or_id.strip().lower())
        )
    if org is None:
        raise ParticipantError(f"no organization is named {name_or_id!r}")
    return org


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    """The secret itself: shown once, never stored."""
    record: ApiToken


def issue_token(
    session: Session,
    actor: Actor,
    org: Organization,
    role: Role,
    *,
    name: str = "",
    expires_in: timedelta | None = None,
    user: User | None = None,
    clearances: frozenset[str] = frozenset(),
) -> IssuedToken:
    secret = new_token()
    now = utcnow()
    record = ApiToken(
        organization_id=org.id,
        user_id=user.id if user else None,
        name=name or f"{role.value} token",
        role=role.value,
        clearances=sorted(clearances),
        prefix=token_display_prefix(secret),
        token_hash=token_hash(secret),
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        actor,
        "token.create",
        "api_token",
        record.id,
        after=token_snapshot(record),
        organization_id=org.id,
    )
    return IssuedToken(secret, record)


def token_snapshot(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "prefix": token.prefix,
        "clearances": list(token.clearances or []),
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def revoke_token(session: Session, actor: Actor, token: ApiToken) -> None:
    if token.revoked_at is not None:
        return
    before = token_snapshot(token)
    token.revoked_at = utcnow()
    record_event(
        session,
        actor,
        "token.revoke",
        "api_token",
        token.id,
        before=before,
        after=token_snapshot(token),
        organization_id=token.organization_id,
    )


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> Principal | None:
    """The principal a bearer token stands for, or None (unknown, expired or revoked)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None or token.revoked_at is not None:
        return None
    moment = now or utcnow()
    if token.expires_at is not None and token.expires_at <= moment:
        return None
    org = session.get(Organization, token.organization_id)
    if org is None:
        return None
    if token.last_used_at is None or moment - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = moment  # coarse, so reads do not write on every request
    return Principal(
        organization_id=org.id,
        organization_kind=OrganizationKind(org.kind),
        role=Role(token.role),
        actor=f"token:{token.id}",
        token_id=token.id,
        user_id=token.user_id,
        clearances=frozenset(token.clearances or ()),
    )
