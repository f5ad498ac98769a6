"""Trusted partners and defensive access over HTTP: catalogue, applications, grants, access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from clearinghouse.api.deps import PrincipalDep, SessionDep
from clearinghouse.api.routes.frontier import FrontierRoute
from clearinghouse.frontier import access
from clearinghouse.frontier.access import AccessEvent, EntryKind, Tier, VerificationMethod
from clearinghouse.frontier.models import AccessGrant, AccessLogEntry

router = APIRouter(prefix="/api/v1/frontier", tags=["frontier: access"], route_class=FrontierRoute)


class EntryIn(BaseModel):
    kind: EntryKind
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    capabilities: list[str] = Field(default_factory=list, max_length=50)
    version_id: int | None = None
    url: str = Field(default="", max_length=500)


class EntryPatch(BaseModel):
    open: bool


class ApplicationIn(BaseModel):
    tier: Tier
    intended_use: str = Field(min_length=1, max_length=20000)
    scope_statement: str = Field(
        min_length=1, max_length=20000, description="Systems you own or are authorized to test."
    )


class VerificationIn(BaseModel):
    method: VerificationMethod
    note: str = Field(default="", max_length=20000)


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=20000)


class GrantIn(BaseModel):
    tier: Tier
    starts_at: datetime
    ends_at: datetime
    scope_statement: str = Field(default="", max_length=20000)
    blocked_uses: list[str] = Field(default_factory=list, max_length=50)


class AccessIn(BaseModel):
    event: AccessEvent
    detail: str = Field(default="", max_length=20000)
    at: datetime | None = None


def grant_out(grant: AccessGrant) -> dict[str, Any]:
    return access.grant_snapshot(grant) | {"status": access.grant_status(grant)}


def log_out(entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor": entry.actor,
        "organization_id": entry.organization_id,
        "event": entry.event,
        "detail": entry.detail,
        "within_grant": entry.within_grant,
    }


@router.get("/catalogue", summary="Covered models and defensive tools open for applications")
def catalogue(
    principal: PrincipalDep, session: SessionDep, kind: EntryKind | None = None
) -> list[dict[str, Any]]:
    return [access.entry_snapshot(e) for e in access.catalogue(session, principal, kind=kind)]


@router.post("/catalogue", status_code=status.HTTP_201_CREATED, summary="Catalogue a model/tool")
def add_entry(body: EntryIn, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    entry = access.add_entry(
        session,
        principal,
        body.kind,
        body.name,
        description=body.description,
        capabilities=body.capabilities,
        version_id=body.version_id,
        url=body.url,
    )
    return access.entry_snapshot(entry)


@router.get("/catalogue/{entry_id}", summary="One catalogue entry")
def get_entry(entry_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return access.entry_snapshot(access.get_entry(session, principal, entry_id))


@router.patch("/catalogue/{entry_id}", summary="Open or close my entry to applications")
def patch_entry(
    entry_id: int, body: EntryPatch, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    return access.entry_snapshot(access.set_entry_open(session, principal, entry_id, body.open))


@router.post(
    "/catalogue/{entry_id}/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Apply for early access (operators and agencies)",
)
def apply(
    entry_id: int, body: ApplicationIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    app = access.apply(
        session,
        principal,
        entry_id,
        tier=body.tier,
        intended_use=body.intended_use,
        scope_statement=body.scope_statement,
    )
    return access.application_snapshot(app)


@router.get("/applications", summary="Applications I made, received, or (coordinators) all")
def list_applications(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    return [access.application_snapshot(a) for a in access.list_applications(session, principal)]


@router.get("/applications/{app_id}", summary="One application")
def get_application(app_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return access.application_snapshot(access.get_application(session, principal, app_id))


@router.post("/applications/{app_id}/verification", summary="Verify an applicant (coordinators)")
def verify(
    app_id: int, body: VerificationIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    app = access.verify(session, principal, app_id, body.method, body.note)
    return access.application_snapshot(app)


@router.post("/applications/{app_id}/decline", summary="Decline an application (the provider)")
def decline(
    app_id: int, body: NoteIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    return access.application_snapshot(access.decline(session, principal, app_id, body.note))


@router.post("/applications/{app_id}/withdraw", summary="Withdraw my application")
def withdraw(app_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return access.application_snapshot(access.withdraw_application(session, principal, app_id))


@router.post(
    "/applications/{app_id}/grants",
    status_code=status.HTTP_201_CREATED,
    summary="Grant access (the provider): tier, scope, blocked uses, start and end",
)
def grant(
    app_id: int, body: GrantIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    created = access.grant_access(
        session,
        principal,
        app_id,
        tier=body.tier,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        scope_statement=body.scope_statement,
        blocked_uses=body.blocked_uses,
    )
    return grant_out(created)


@router.get("/grants", summary="Grants I hold, gave, or (coordinators) all")
def list_grants(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    return [grant_out(g) for g in access.list_grants(session, principal)]


@router.get("/grants/{grant_id}", summary="One grant")
def get_grant(grant_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return grant_out(access.get_grant(session, principal, grant_id))


@router.post("/grants/{grant_id}/revoke", summary="Revoke a grant (the provider)")
def revoke(
    grant_id: int, body: NoteIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    return grant_out(access.revoke_grant(session, principal, grant_id, body.note))


@router.get("/grants/{grant_id}/access-log", summary="The grant's access log")
def get_access_log(
    grant_id: int, principal: PrincipalDep, session: SessionDep
) -> list[dict[str, Any]]:
    return [log_out(e) for e in access.access_log(session, principal, grant_id)]


@router.post(
    "/grants/{grant_id}/access-log",
    status_code=status.HTTP_201_CREATED,
    summary="Record an access under the grant (flagged when outside it)",
)
def add_access(
    grant_id: int, body: AccessIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    entry = access.record_access(session, principal, grant_id, body.event, body.detail, at=body.at)
    return log_out(entry)
