"""VEX statements: recorded one by one, or imported from CycloneDX VEX and OpenVEX documents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from clearinghouse.api.deps import MemberDep, PrincipalDep, SessionDep, not_found
from clearinghouse.api.routes.inventories import read_upload, upload_file
from clearinghouse.exposures.models import TargetKind, VexStatement, VexStatus
from clearinghouse.exposures.vex import import_vex, read_vex_document, record_manual_statement
from clearinghouse.formats.errors import InputError
from clearinghouse.inventories.models import System
from clearinghouse.inventories.service import find_system

router = APIRouter(prefix="/api/v1", tags=["vex"])


class StatementIn(BaseModel):
    vulnerability: str = Field(
        min_length=1, max_length=255, description="Advisory id or any alias (CVE, GHSA...)"
    )
    purl: str = Field(
        min_length=5,
        max_length=2048,
        description="The package; with a version, only that version",
    )
    status: VexStatus
    justification: str | None = Field(
        default=None,
        description="Required for not_affected: component_not_present, "
        "vulnerable_code_not_present, vulnerable_code_not_in_execute_path, "
        "vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist "
        "(CycloneDX justifications are accepted and mapped)",
    )
    impact_statement: str | None = Field(default=None, max_length=10000)
    action_statement: str | None = Field(default=None, max_length=10000)
    system_id: int | None = Field(default=None, description="Only in this system")


class StatementOut(BaseModel):
    id: int
    vulnerability: str
    aliases: list[str]
    status: VexStatus
    justification: str | None
    impact_statement: str | None
    action_statement: str | None
    target: TargetKind
    system_id: int | None
    purl: str | None
    bom_serial: str | None
    bom_ref: str | None
    versions: list[str] | None
    source: str
    document: str | None
    original: dict[str, Any]
    statement_time: datetime
    created_by: str
    created_at: datetime


class StatementList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[StatementOut]


class RecordedOut(BaseModel):
    statement: StatementOut
    exposures_changed: int


class ImportOut(BaseModel):
    format: str
    document: str | None
    statements: list[StatementOut]
    exposures_changed: int
    warnings: list[str]


def statement_out(statement: VexStatement) -> StatementOut:
    return StatementOut(
        id=statement.id,
        vulnerability=statement.vulnerability,
        aliases=list(statement.aliases or []),
        status=VexStatus(statement.status),
        justification=statement.justification,
        impact_statement=statement.impact_statement,
        action_statement=statement.action_statement,
        target=TargetKind(statement.target_kind),
        system_id=statement.system_id,
        purl=statement.purl,
        bom_serial=statement.bom_serial,
        bom_ref=statement.bom_ref,
        versions=statement.versions,
        source=statement.source,
        document=statement.document,
        original=dict(statement.original or {}),
        statement_time=statement.statement_time,
        created_by=statement.created_by,
        created_at=statement.created_at,
    )


def _owned_system(session: SessionDep, principal: PrincipalDep, system_id: int) -> System:
    system = session.get(System, system_id)
    if system is None or system.organization_id != principal.organization_id:
        raise not_found("no such system")
    return system


@router.post(
    "/vex",
    response_model=RecordedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a VEX statement about a package; it applies now and to future exposures",
)
def record_vex(body: StatementIn, principal: MemberDep, session: SessionDep) -> RecordedOut:
    from clearinghouse.exposures.models import Exposure

    if body.system_id is not None:
        _owned_system(session, principal, body.system_id)
    statement = record_manual_statement(
        session,
        principal.audit_actor,
        principal.organization_id,
        vulnerability=body.vulnerability,
        purl=body.purl,
        status=body.status,
        justification=body.justification,
        impact_statement=body.impact_statement,
        action_statement=body.action_statement,
        system_id=body.system_id,
    )
    changed = (
        session.scalar(
            select(func.count())
            .select_from(Exposure)
            .where(Exposure.vex_statement_id == statement.id)
        )
        or 0
    )
    return RecordedOut(statement=statement_out(statement), exposures_changed=changed)


@router.post(
    "/vex/import",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    summary="Import a CycloneDX VEX (1.4-1.7 JSON) or OpenVEX 0.2.0 document",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "system": {
                                "type": "string",
                                "description": "The system the document describes (needed "
                                "for statements about a product without a package URL)",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def import_vex_document(
    request: Request, principal: MemberDep, session: SessionDep
) -> ImportOut:
    max_bytes = request.app.state.settings.max_input_bytes
    upload = await read_upload(request, max_bytes)
    filename, data = upload_file(upload)
    document = await run_in_threadpool(read_vex_document, data, filename, max_bytes)
    system_name = upload.fields.get("system")

    def record() -> ImportOut:
        system = None
        if system_name:
            system = find_system(session, principal.organization_id, system_name.strip())
            if system is None:
                raise InputError("system", f"you have no system named {system_name!r}")
        result = import_vex(
            session,
            principal.audit_actor,
            principal.organization_id,
            document,
            filename=filename,
            system=system,
        )
        return ImportOut(
            format=result.format,
            document=result.document,
            statements=[statement_out(s) for s in result.statements],
            exposures_changed=len(result.restated),
            warnings=result.warnings,
        )

    return await run_in_threadpool(record)


@router.get(
    "/vex",
    response_model=StatementList,
    summary="My organization's VEX statements, newest first",
)
def list_vex(
    principal: PrincipalDep,
    session: SessionDep,
    vulnerability: Annotated[str | None, Query(description="Id or alias named")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> StatementList:
    from clearinghouse.exposures.models import VexStatementIdentifier

    query = select(VexStatement).where(VexStatement.organization_id == principal.organization_id)
    if vulnerability:
        query = query.where(
            VexStatement.id.in_(
                select(VexStatementIdentifier.statement_id).where(
                    VexStatementIdentifier.organization_id == principal.organization_id,
                    VexStatementIdentifier.identifier == vulnerability.strip(),
                )
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(VexStatement.id.desc()).limit(limit).offset(offset))
    return StatementList(
        total=total, limit=limit, offset=offset, items=[statement_out(s) for s in rows]
    )


@router.get("/vex/{statement_id}", response_model=StatementOut, summary="One VEX statement")
def read_vex(statement_id: int, principal: PrincipalDep, session: SessionDep) -> StatementOut:
    statement = session.get(VexStatement, statement_id)
    if statement is None or statement.organization_id != principal.organization_id:
        raise not_found("no such VEX statement")
    return statement_out(statement)
