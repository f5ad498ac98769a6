"""Pre-release engagements over HTTP: open, move, acknowledge terms, read the schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from clearinghouse.api.deps import PrincipalDep, SessionDep
from clearinghouse.api.routes.frontier import FrontierRoute, SettingsDep
from clearinghouse.frontier import engagements
from clearinghouse.frontier.engagements import State, Term

router = APIRouter(
    prefix="/api/v1/frontier", tags=["frontier: engagements"], route_class=FrontierRoute
)


class EngagementIn(BaseModel):
    version_id: int
    planned_partner_release_at: datetime | None = None
    note: str = Field(default="", max_length=20000)


class TransitionIn(BaseModel):
    to: State
    note: str = Field(default="", max_length=20000)


class PlannedReleaseIn(BaseModel):
    planned_partner_release_at: datetime


@router.get("/engagements", summary="Engagements I may see")
def list_engagements(
    principal: PrincipalDep, session: SessionDep, state: State | None = None
) -> list[dict[str, Any]]:
    return [
        engagements.engagement_view(session, principal, e.id)
        for e in engagements.list_engagements(session, principal, state=state)
    ]


@router.post(
    "/engagements",
    status_code=status.HTTP_201_CREATED,
    summary="Open a pre-release engagement for one of my versions",
)
def open_engagement(
    body: EngagementIn, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    engagement = engagements.open_engagement(
        session,
        principal,
        body.version_id,
        window_days=settings.government_access_days,
        planned_partner_release_at=body.planned_partner_release_at,
        note=body.note,
    )
    return engagements.engagement_view(session, principal, engagement.id)


@router.get("/engagements/{engagement_id}", summary="One engagement with schedule and history")
def get_engagement(
    engagement_id: int, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    return engagements.engagement_view(session, principal, engagement_id)


@router.post("/engagements/{engagement_id}/transitions", summary="Move my engagement")
def move(
    engagement_id: int, body: TransitionIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    engagements.transition(session, principal, engagement_id, body.to, note=body.note)
    return engagements.engagement_view(session, principal, engagement_id)


@router.put(
    "/engagements/{engagement_id}/planned-partner-release",
    summary="Give a new planned partner-release date (notice counts from now)",
)
def planned_release(
    engagement_id: int, body: PlannedReleaseIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    engagements.set_planned_release(
        session, principal, engagement_id, body.planned_partner_release_at
    )
    return engagements.engagement_view(session, principal, engagement_id)


@router.post(
    "/engagements/{engagement_id}/terms/{term}",
    summary="Acknowledge a protection term (developer; a coordinator countersigns)",
)
def acknowledge(
    engagement_id: int, term: Term, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    engagements.acknowledge_term(session, principal, engagement_id, term)
    return engagements.engagement_view(session, principal, engagement_id)
