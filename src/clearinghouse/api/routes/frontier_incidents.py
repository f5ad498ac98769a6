"""Incident reports and law-enforcement referrals over HTTP; referral packets are signed zips."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from clearinghouse.api.deps import PrincipalDep, SessionDep
from clearinghouse.api.routes.frontier import FrontierRoute, SettingsDep
from clearinghouse.frontier import incidents, referrals
from clearinghouse.frontier.incidents import (
    Classification,
    HarmType,
    IncidentKind,
    Severity,
)
from clearinghouse.frontier.models import Incident
from clearinghouse.participants.models import Sector

router = APIRouter(
    prefix="/api/v1/frontier", tags=["frontier: incidents"], route_class=FrontierRoute
)


class IncidentIn(BaseModel):
    kind: IncidentKind
    classification: Classification = Classification.incident
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=100000)
    discovered_at: datetime
    occurred_at: datetime | None = None
    severity: Severity = Severity.medium
    harm_types: list[HarmType] = Field(default_factory=list)
    alleged_deployer: str = Field(default="", max_length=300)
    alleged_developer: str = Field(default="", max_length=300)
    harmed_parties: list[str] = Field(default_factory=list, max_length=500)
    ai_system: str = Field(default="", max_length=300)
    version_id: int | None = None
    sectors: list[Sector] = Field(default_factory=list)
    techniques: list[str] = Field(default_factory=list, max_length=500)
    indicators: list[str] = Field(default_factory=list, max_length=500)
    submit: bool = Field(default=True, description="Submit as the initial report (else a draft).")


class UpdateIn(BaseModel):
    text: str = Field(min_length=1, max_length=100000)


class ReferralIn(BaseModel):
    agency: str = Field(min_length=1, max_length=200)
    statutes: list[str] = Field(min_length=1, max_length=50)
    summary: str = Field(default="", max_length=100000)


def incident_out(incident: Incident) -> dict[str, Any]:
    return incidents.incident_snapshot(incident) | {
        "clocks": incidents.clocks(incident),
        "created_by": incident.created_by,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
    }


@router.get("/incidents", summary="Incident reports I filed (coordinators: all)")
def list_incidents(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    return [incident_out(i) for i in incidents.list_incidents(session, principal)]


@router.post("/incidents", status_code=status.HTTP_201_CREATED, summary="File an incident report")
def file_incident(
    body: IncidentIn, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    incident = incidents.file_incident(
        session,
        principal,
        report_hours=settings.incident_initial_report_hours,
        **body.model_dump(),
    )
    return incident_out(incident)


@router.get("/incidents/{incident_id}", summary="One incident report with its reporting clocks")
def get_incident(incident_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return incident_out(incidents.get_incident(session, principal, incident_id))


@router.post("/incidents/{incident_id}/submit", summary="Submit a draft as the initial report")
def submit(incident_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return incident_out(incidents.submit_incident(session, principal, incident_id))


@router.post("/incidents/{incident_id}/updates", summary="Add an update to a report")
def add_update(
    incident_id: int, body: UpdateIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    return incident_out(incidents.add_update(session, principal, incident_id, body.text))


@router.post("/incidents/{incident_id}/close", summary="Close a report")
def close(incident_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return incident_out(incidents.close_incident(session, principal, incident_id))


@router.get("/incidents/{incident_id}/referrals", summary="An incident's referrals")
def list_referrals(
    incident_id: int, principal: PrincipalDep, session: SessionDep
) -> list[dict[str, Any]]:
    return [
        referrals.referral_snapshot(r)
        for r in referrals.list_referrals(session, principal, incident_id)
    ]


@router.post(
    "/incidents/{incident_id}/referrals",
    status_code=status.HTTP_201_CREATED,
    summary="Refer an incident to law enforcement, with statute tags",
)
def create_referral(
    incident_id: int, body: ReferralIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    referral = referrals.create_referral(
        session,
        principal,
        incident_id,
        agency=body.agency,
        statutes=body.statutes,
        summary=body.summary,
    )
    return referrals.referral_snapshot(referral)


@router.get(
    "/referrals/{referral_id}/packet",
    summary="The signed referral packet (zip: referral.json, manifest.json, manifest.sig, key)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def packet(
    referral_id: int, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> Response:
    data = referrals.export_packet(
        session, principal, referral_id, key_path=settings.signing_key_file
    )
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="referral-{referral_id}.zip"',
        },
    )
