"""What every frontier service shares: its errors and who may see what."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clearinghouse.audit import record_event
from clearinghouse.participants.models import Organization, OrganizationKind, Role
from clearinghouse.participants.service import Principal

DESIGNATION_CLEARANCE = "designation"
CLEARED_KINDS = frozenset({OrganizationKind.coordinator, OrganizationKind.evaluator})
"""Organizations whose staff may hold the designation clearance (never a developer's)."""


class FrontierError(Exception):
    """A request the program cannot honour; ``status`` is the HTTP status to answer with."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(FrontierError):
    """Missing, or not the caller's to see: the two are never told apart."""

    status = 404

    def __init__(self, message: str = "Not Found") -> None:
        super().__init__(message)


class Forbidden(FrontierError):
    """The caller sees the thing but its role or kind may not do this to it."""

    status = 403


class Conflict(FrontierError):
    status = 409


class Invalid(FrontierError):
    status = 422


def is_cleared(principal: Principal) -> bool:
    """Holds the designation clearance, in an organization that may hold it."""
    return (
        principal.has_clearance(DESIGNATION_CLEARANCE)
        and principal.organization_kind in CLEARED_KINDS
    )


def require_cleared(principal: Principal) -> None:
    """Designation rules do not exist for anyone else: the answer is a plain 404."""
    if not is_cleared(principal):
        raise NotFound()


def require_role(principal: Principal, role: Role) -> None:
    if not principal.role.allows(role):
        raise Forbidden(f"this needs the {role.value} role or higher")


def require_kind(principal: Principal, kinds: Iterable[OrganizationKind], what: str) -> None:
    allowed = set(kinds)
    if principal.organization_kind not in allowed:
        names = " or ".join(sorted(k.value for k in allowed))
        raise Forbidden(f"only {names} organizations {what}")


def organization_name(session: Session, organization_id: int | None) -> str:
    if organization_id is None:
        return ""
    org = session.get(Organization, organization_id)
    return org.name if org else ""


def audit(
    session: Session,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: int | str,
    *,
    before: Any = None,
    after: Any = None,
    organization_id: int | None = None,
    restricted: bool = False,
) -> None:
    record_event(
        session,
        principal.audit_actor,
        action,
        target_type,
        target_id,
        before=_portable(before),
        after=_portable(after),
        organization_id=organization_id,
        restricted=restricted,
    )


_JSONB_SAFE = 2.0**53


def _portable(value: Any) -> Any:
    """Floats too large for an exact integer (training FLOP) as text: PostgreSQL's JSONB gives
    ``3.2e26`` back as a 27-digit integer, which JSON tools past 64 bits cannot read."""
    if isinstance(value, float) and abs(value) >= _JSONB_SAFE:
        return repr(value)
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_portable(v) for v in value]
    return value


def clean_text(value: str, what: str, *, required: bool = False, limit: int = 20_000) -> str:
    value = value.strip()
    if required and not value:
        raise Invalid(f"{what} must not be empty")
    if len(value) > limit:
        raise Invalid(f"{what} is longer than {limit} characters")
    return value


def require_aware(value: datetime | None, what: str) -> None:
    if value is not None and value.tzinfo is None:
        raise Invalid(f"{what} needs a time zone (e.g. 2026-07-01T00:00:00Z)")
