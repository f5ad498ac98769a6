"""Live exposures: which advisory affects which component of which system, and what to do."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from packageurl import PackageURL
from pydantic import BaseModel, Field

from clearinghouse.api.deps import MemberDep, PrincipalDep, SessionDep, not_found
from clearinghouse.api.routes.vex import StatementOut, statement_out
from clearinghouse.exposures.models import Exposure, VexStatus
from clearinghouse.exposures.queries import (
    ExposureFilter,
    ExposurePage,
    exposure_page,
    get_exposure,
)
from clearinghouse.exposures.vex import exposure_statements, record_manual_statement
from clearinghouse.inventories.models import Criticality, System

router = APIRouter(prefix="/api/v1", tags=["exposures"])


class SystemRef(BaseModel):
    id: int
    name: str
    criticality: Criticality


class AdvisoryRef(BaseModel):
    id: str
    aliases: list[str]
    summary: str | None


class PackageRef(BaseModel):
    ecosystem: str
    name: str
    version: str
    purl: str


class Severity(BaseModel):
    rating: str | None = Field(description="NONE, LOW, MEDIUM, HIGH or CRITICAL")
    score: float | None


class ExposureOut(BaseModel):
    id: int
    system: SystemRef
    advisory: AdvisoryRef
    package: PackageRef
    state: VexStatus
    justification: str | None
    vex_statement_id: int | None
    first_seen: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolution: str | None = Field(
        description="upgraded, removed, withdrawn or advisory_changed (once resolved)"
    )
    remediation: str | None = Field(
        description="Smallest version above this one that no known advisory affects"
    )
    severity: Severity
    kev: bool


class ExposureList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ExposureOut]


class ExposureDetail(ExposureOut):
    statements: list[StatementOut] = Field(
        description="VEX statements that apply to this exposure, oldest first; the last decides"
    )


class ExposureStatementIn(BaseModel):
    status: VexStatus
    justification: str | None = None
    impact_statement: str | None = Field(default=None, max_length=10000)
    action_statement: str | None = Field(default=None, max_length=10000)
    all_versions: bool = Field(
        default=False,
        description="Speak about every version of the package, not only this one",
    )


class ExposureStatementOut(BaseModel):
    statement: StatementOut
    exposure: ExposureOut


def _exposure_out(page: ExposurePage, exposure: Exposure, system: System) -> ExposureOut:
    return ExposureOut(
        id=exposure.id,
        system=SystemRef(
            id=system.id, name=system.name, criticality=Criticality(system.criticality)
        ),
        advisory=AdvisoryRef(
            id=exposure.advisory_id,
            aliases=page.aliases.get(exposure.advisory_id, []),
            summary=page.summaries.get(exposure.advisory_id),
        ),
        package=PackageRef(
            ecosystem=exposure.ecosystem,
            name=exposure.name,
            version=exposure.version,
            purl=exposure.purl,
        ),
        state=VexStatus(exposure.state),
        justification=exposure.justification,
        vex_statement_id=exposure.vex_statement_id,
        first_seen=exposure.first_seen,
        updated_at=exposure.updated_at,
        resolved_at=exposure.resolved_at,
        resolution=exposure.resolution,
        remediation=exposure.remediation,
        severity=Severity(rating=exposure.severity_rating, score=exposure.severity_score),
        kev=exposure.kev,
    )


@router.get(
    "/exposures",
    response_model=ExposureList,
    summary="My organization's exposures, most urgent first (KEV, severity, score, newest)",
)
def list_exposures(
    principal: PrincipalDep,
    session: SessionDep,
    state: Annotated[list[VexStatus] | None, Query(description="Any of these states")] = None,
    min_severity: Annotated[
        str | None, Query(description="NONE, LOW, MEDIUM, HIGH or CRITICAL")
    ] = None,
    kev: Annotated[bool | None, Query(description="Only (or never) KEV-listed")] = None,
    system_id: int | None = None,
    system: Annotated[str | None, Query(description="System name")] = None,
    advisory: Annotated[str | None, Query(description="Advisory id or any alias")] = None,
    status_: Annotated[
        str, Query(alias="status", description="open (live), resolved or all")
    ] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ExposureList:
    wanted = ExposureFilter(
        states=tuple(state or ()),
        min_severity=min_severity,
        kev=kev,
        system_id=system_id,
        system_name=system,
        advisory=advisory,
        status=status_,
    )
    page = exposure_page(session, principal.organization_id, wanted, limit=limit, offset=offset)
    return ExposureList(
        total=page.total,
        limit=limit,
        offset=offset,
        items=[_exposure_out(page, e, s) for e, s in page.items],
    )


def _one(session: SessionDep, principal: PrincipalDep, exposure_id: int) -> ExposureOut:
    page = get_exposure(session, principal.organization_id, exposure_id)
    if page is None:
        raise not_found("no such exposure")
    exposure, system = page.items[0]
    return _exposure_out(page, exposure, system)


@router.get(
    "/exposures/{exposure_id}",
    response_model=ExposureDetail,
    summary="One exposure, with the VEX statements that apply to it",
)
def read_exposure(exposure_id: int, principal: PrincipalDep, session: SessionDep) -> ExposureDetail:
    out = _one(session, principal, exposure_id)
    exposure = session.get(Exposure, exposure_id)
    assert exposure is not None
    return ExposureDetail(
        **out.model_dump(),
        statements=[statement_out(s) for s in exposure_statements(session, exposure)],
    )


@router.post(
    "/exposures/{exposure_id}/vex",
    response_model=ExposureStatementOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a VEX statement about this exposure's package (in this system)",
)
def state_exposure(
    exposure_id: int,
    body: ExposureStatementIn,
    principal: MemberDep,
    session: SessionDep,
) -> ExposureStatementOut:
    exposure = session.get(Exposure, exposure_id)
    if exposure is None or exposure.organization_id != principal.organization_id:
        raise not_found("no such exposure")
    purl = exposure.purl
    if body.all_versions:
        purl = PackageURL.from_string(purl)._replace(version=None).to_string()
    statement = record_manual_statement(
        session,
        principal.audit_actor,
        principal.organization_id,
        vulnerability=exposure.advisory_id,
        purl=purl,
        status=body.status,
        justification=body.justification,
        impact_statement=body.impact_statement,
        action_statement=body.action_statement,
        system_id=exposure.system_id,
    )
    session.refresh(exposure)
    return ExposureStatementOut(
        statement=statement_out(statement), exposure=_one(session, principal, exposure_id)
    )
