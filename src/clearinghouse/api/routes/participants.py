"""Who am I, my organization, and its API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from clearinghouse.api.deps import AdminDep, PrincipalDep, SessionDep, not_found
from clearinghouse.participants.models import (
    ApiToken,
    Organization,
    OrganizationKind,
    OrganizationSize,
    Role,
    Sector,
)
from clearinghouse.participants.service import (
    ParticipantError,
    create_organization,
    issue_token,
    revoke_token,
)

router = APIRouter(prefix="/api/v1", tags=["participants"])


class OrganizationOut(BaseModel):
    id: int
    name: str
    kind: OrganizationKind
    sector: Sector | None
    size: OrganizationSize | None
    created_at: datetime


class MeOut(BaseModel):
    organization: OrganizationOut
    role: Role
    actor: str
    clearances: list[str]


class TokenIn(BaseModel):
    name: str = Field(default="", max_length=200)
    role: Role = Role.member
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The token itself. It is shown this once and never again.")


class OrganizationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganizationKind
    sector: Sector | None = None
    size: OrganizationSize | None = None


def _org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut.model_validate(org, from_attributes=True)


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut.model_validate(token, from_attributes=True)


@router.get("/me", response_model=MeOut, summary="The organization and role this token acts as")
def me(principal: PrincipalDep, session: SessionDep) -> MeOut:
    org = session.get(Organization, principal.organization_id)
    if org is None:
        raise not_found()
    return MeOut(
        organization=_org_out(org),
        role=principal.role,
        actor=principal.actor,
        clearances=sorted(principal.clearances),
    )


@router.get("/tokens", response_model=list[TokenOut], summary="My organization's API tokens")
def list_tokens(principal: AdminDep, session: SessionDep) -> list[TokenOut]:
    tokens = session.scalars(
        select(ApiToken)
        .where(ApiToken.organization_id == principal.organization_id)
        .order_by(ApiToken.id)
    )
    return [_token_out(t) for t in tokens]


@router.post(
    "/tokens",
    response_model=IssuedTokenOut,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a token for my organization (shown once)",
)
def create_token(body: TokenIn, principal: AdminDep, session: SessionDep) -> IssuedTokenOut:
    org = session.get(Organization, principal.organization_id)
    if org is None:
        raise not_found()
    issued = issue_token(
        session,
        principal.audit_actor,
        org,
        body.role,
        name=body.name,
        expires_in=timedelta(days=body.expires_in_days) if body.expires_in_days else None,
    )
    return IssuedTokenOut(**_token_out(issued.record).model_dump(), token=issued.token)


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a token"
)
def delete_token(token_id: int, principal: AdminDep, session: SessionDep) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.organization_id != principal.organization_id:
        raise not_found("no such token")
    revoke_token(session, principal.audit_actor, token)


@router.post(
    "/organizations",
    response_model=OrganizationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register a participant organization (coordinator admins only)",
)
def register_organization(
    body: OrganizationIn, principal: AdminDep, session: SessionDep
) -> OrganizationOut:
    if not principal.is_coordinator:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only the clearinghouse's coordinators register organizations",
        )
    try:
        org = create_organization(
            session, principal.audit_actor, body.name, body.kind, sector=body.sector, size=body.size
        )
    except ParticipantError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return _org_out(org)
