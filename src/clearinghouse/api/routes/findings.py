"""Findings intake and the triage desk: submit, read your own findings, triage (analysts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from clearinghouse.api.deps import MemberDep, PrincipalDep, SessionDep, not_found
from clearinghouse.findings.intake import BatchRejected, DedupSettings, submit
from clearinghouse.findings.models import TriageState
from clearinghouse.findings.priority import OPEN_STATES, load_weights, triage_queue
from clearinghouse.findings.queries import (
    finding_view,
    get_attachment,
    get_finding,
    is_triager,
    list_findings,
    vulnerability_view,
)
from clearinghouse.findings.readers import ReportFormat
from clearinghouse.findings.workflow import (
    NotAllowed,
    NotVisible,
    TriageError,
    move,
    remark,
    split,
)
from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.tlp import parse_tlp
from clearinghouse.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["findings"])

_JSON_BODY = {
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "application/sarif+json": {"schema": {"type": "object"}},
    },
    "required": True,
}


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InputTooLarge("request", int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputTooLarge("request", size, limit)
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise InputError("request", "the body is empty: send the report as the request body")
    return data


def _dedup(settings: Settings) -> DedupSettings:
    return DedupSettings(
        near_threshold=settings.dedup_near_threshold,
        known_threshold=settings.dedup_known_threshold,
        cwe_penalty=settings.dedup_cwe_penalty,
    )


@router.post(
    "/findings",
    status_code=status.HTTP_201_CREATED,
    summary="Submit findings (SARIF 2.1.0, OSV, CSAF 2.0, CVE JSON 5, clearinghouse-finding/1)",
    openapi_extra={"requestBody": _JSON_BODY},
    responses={422: {"description": "malformed report, or a malformed finding with atomic"}},
)
async def submit_findings(
    request: Request,
    principal: MemberDep,
    session: SessionDep,
    atomic: Annotated[
        bool, Query(description="Store nothing if any finding is malformed.")
    ] = False,
    format: Annotated[
        ReportFormat | None, Query(description="The report's format; detected when absent.")
    ] = None,
    source: Annotated[
        str, Query(max_length=1024, description="File name, for reports.")
    ] = "upload",
    tlp: Annotated[
        str | None,
        Query(
            max_length=32,
            description="TLP 2.0 marking of every finding (CLEAR, GREEN, AMBER, AMBER+STRICT, "
            "RED); default: the report's own (CSAF distribution.tlp.label, native tlp), "
            "else AMBER.",
        ),
    ] = None,
) -> Any:
    """Up to 10,000 findings per request. Each malformed finding is reported with its index
    and reason while the others are stored (``atomic=true``: none are). Findings are never
    public: only your organization and the clearinghouse's analysts can read them, and a
    vulnerability is published only once every finding of it is TLP:CLEAR."""
    settings: Settings = request.app.state.settings
    data = await _read_body(request, settings.max_input_bytes)

    def run() -> dict[str, Any]:
        report = submit(
            session,
            principal,
            data,
            source=source,
            declared=format,
            atomic=atomic,
            max_findings=settings.finding_max_batch,
            max_attachment_bytes=settings.finding_max_attachment_bytes,
            dedup=_dedup(settings),
            tlp=tlp,
        )
        body = report.as_dict()
        if not is_triager(principal):
            for finding in body["findings"]:
                finding.pop("dedup", None)
        return body

    try:
        return await run_in_threadpool(run)
    except BatchRejected as exc:
        return JSONResponse(
            status_code=422,
            content={
                "detail": exc.reason,
                "rejected": [{"index": r.index, "reason": r.reason} for r in exc.rejected],
            },
        )


@router.get("/findings", summary="My organization's findings (analysts: everyone's)")
def read_findings(
    principal: PrincipalDep,
    session: SessionDep,
    vulnerability: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return list_findings(
        session, principal, vulnerability_id=vulnerability, limit=limit, offset=offset
    )


@router.get("/findings/{finding_id}", summary="One finding, with its raw payload on request")
def read_finding(
    finding_id: int, principal: PrincipalDep, session: SessionDep, raw: bool = False
) -> dict[str, Any]:
    try:
        finding = get_finding(session, principal, finding_id)
    except NotVisible:
        raise not_found("no such finding") from None
    return finding_view(session, finding, principal, raw=raw)


@router.get(
    "/findings/{finding_id}/proof-of-concept",
    summary="The proof-of-concept attachment, as opaque bytes",
    response_class=Response,
)
def read_proof_of_concept(
    finding_id: int, principal: PrincipalDep, session: SessionDep
) -> Response:
    try:
        name, attachment = get_attachment(session, principal, finding_id)
    except NotVisible:
        raise not_found("no such proof of concept") from None
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "poc"
    return Response(
        content=attachment.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}.bin"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "X-Content-SHA256": attachment.sha256,
            "X-Declared-Media-Type": attachment.media_type,
        },
    )


class MarkingIn(BaseModel):
    tlp: str = Field(
        min_length=1,
        max_length=32,
        description="TLP 2.0 label: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.",
    )
    evidence: str = Field(
        min_length=1,
        max_length=20_000,
        description="Why, and who agreed (e.g. 'submitter agreed on 2026-12-01 by mail').",
    )


@router.post(
    "/findings/{finding_id}/tlp",
    summary="Re-mark a finding's TLP (analysts; the submitter for its own findings); audited",
    responses={422: {"description": "not a TLP 2.0 label"}},
)
def remark_finding(
    finding_id: int, body: MarkingIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    """The vulnerability's marking follows (the most restrictive of its findings'); it can
    be published only when it is CLEAR."""
    try:
        marking = parse_tlp(body.tlp)
    except ValueError as exc:
        raise InputError("tlp", str(exc)) from None
    try:
        result = remark(session, principal, finding_id, marking, evidence=body.evidence)
    except NotVisible:
        raise not_found("no such finding") from None
    except NotAllowed as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except TriageError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return result.as_dict()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get(
    "/vulnerabilities",
    summary="The triage queue (analysts): ?order=priority gives every factor and the rank",
)
def read_queue(
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    order: Annotated[str, Query(pattern="^(priority|created)$")] = "priority",
    state: Annotated[list[TriageState] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    if not is_triager(principal):
        raise not_found()
    weights = load_weights(_settings(request).triage_weights)
    return triage_queue(
        session,
        weights=weights,
        states=state or OPEN_STATES,
        order=order,
        limit=limit,
        offset=offset,
    )


@router.get("/vulnerabilities/{vulnerability_id}", summary="One vulnerability (analysts)")
def read_vulnerability(
    vulnerability_id: str, request: Request, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    try:
        return vulnerability_view(
            session, principal, vulnerability_id, load_weights(_settings(request).triage_weights)
        )
    except NotVisible:
        raise not_found("no such vulnerability") from None


class TransitionIn(BaseModel):
    to: TriageState
    evidence: str = Field(min_length=1, max_length=20_000)
    duplicate_of: str | None = Field(default=None, max_length=64)
    advisory_id: str | None = Field(default=None, max_length=255)


class SplitIn(BaseModel):
    finding_ids: list[int] = Field(min_length=1, max_length=10_000)
    reason: str = Field(min_length=1, max_length=20_000)


@router.post(
    "/vulnerabilities/{vulnerability_id}/transitions",
    summary="Move a vulnerability through triage (analysts); 'published' publishes it",
)
def transition(
    vulnerability_id: str, body: TransitionIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    try:
        result = move(
            session,
            principal,
            vulnerability_id,
            body.to,
            evidence=body.evidence,
            duplicate_of=body.duplicate_of,
            advisory_id=body.advisory_id,
        )
    except NotVisible:
        raise not_found("no such vulnerability") from None
    except TriageError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    vuln = result.vulnerability
    return {
        "id": vuln.id,
        "state": vuln.state,
        "tlp": vuln.tlp,
        "duplicate_of": vuln.duplicate_of,
        "known_advisory_id": vuln.known_advisory_id,
        "published_advisory_id": result.advisory_id,
    }


@router.post(
    "/vulnerabilities/{vulnerability_id}/split",
    status_code=status.HTTP_201_CREATED,
    summary="Split findings out into a new vulnerability (analysts): undoes a merge",
)
def split_vulnerability(
    vulnerability_id: str, body: SplitIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    try:
        fresh = split(session, principal, vulnerability_id, body.finding_ids, body.reason)
    except NotVisible:
        raise not_found("no such vulnerability") from None
    except TriageError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return {
        "id": fresh.id,
        "state": fresh.state,
        "tlp": fresh.tlp,
        "findings": fresh.finding_count,
    }
