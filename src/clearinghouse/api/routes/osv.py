"""The OSV API (https://google.github.io/osv.dev/api/), for existing OSV clients.

Public like osv.dev: no token, because it serves the public knowledge base only (the embargo
invariant is stated and enforced in :mod:`clearinghouse.advisories.osv_api`). Bodies are JSON
whatever the Content-Type says (clients send ``text/plain`` or none); answers and errors have
osv.dev's shapes: ``{}`` when nothing matches, ``{"code": 3, "message": ...}`` on a bad query.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clearinghouse.advisories.osv_api import (
    MAX_BATCH_QUERIES,
    PAGE_SIZE,
    OsvApiError,
    PackageQuery,
    PublicKnowledgeBase,
    VulnRef,
    next_page_token,
    parse_batch,
    parse_query,
)
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.safety import loads_json

router = APIRouter(tags=["osv"])

MAX_BODY_BYTES = 16 * 1024 * 1024
"""A full batch of 1,000 queries is about 150 KiB; anything near this is not a client."""

_PACKAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "With `ecosystem`; not with `purl`."},
        "ecosystem": {"type": "string", "description": "An OSV ecosystem (`PyPI`, `Go`...)."},
        "purl": {"type": "string", "description": "A package URL, instead of name+ecosystem."},
    },
}
_QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "package": _PACKAGE_SCHEMA,
        "version": {"type": "string", "description": "Omit to list every advisory."},
        "commit": {"type": "string", "description": "Not supported here: answered with 400."},
        "page_token": {"type": "string", "description": "`next_page_token` of the last page."},
    },
}
_ERROR = {
    "description": "osv.dev's error shape: `code` is the gRPC status (3 invalid, 5 not found)",
    "content": {
        "application/json": {
            "example": {"code": 3, "message": "Invalid query."},
        }
    },
}


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _error(error: OsvApiError) -> Response:
    return _json(error.body(), error.status)


def knowledge_base(request: Request) -> PublicKnowledgeBase:
    """The process's one reader (and warm matcher), created on first use."""
    state = request.app.state
    reader: PublicKnowledgeBase | None = getattr(state, "public_knowledge_base", None)
    if reader is None or reader.db is not state.db:
        reader = PublicKnowledgeBase(state.db)
        state.public_knowledge_base = reader
    return reader


async def _body(request: Request) -> Any:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise OsvApiError(
                f"Request body is larger than the {MAX_BODY_BYTES} byte limit.", status=413
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        return {}
    try:
        return loads_json("request body", data)
    except InputError as exc:
        raise OsvApiError(f"Invalid JSON payload received. {exc.reason}") from None


def _page(query: PackageQuery, refs: list[VulnRef]) -> tuple[list[VulnRef], str | None]:
    end = query.offset + PAGE_SIZE
    token = next_page_token(query, end) if len(refs) > end else None
    return refs[query.offset : end], token


@router.post(
    "/v1/query",
    summary="Vulnerabilities affecting a package version (or every one of a package)",
    description=(
        'osv.dev\'s `POST /v1/query`: `{"package": {"name", "ecosystem"} | {"purl"}, '
        '"version"}`. Answers `{"vulns": [full OSV records]}`, or `{}` when nothing matches. '
        f"Withdrawn advisories are left out; more than {PAGE_SIZE} results come in pages "
        "(`next_page_token`). Commit queries are refused (400): no git commit index."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _QUERY_SCHEMA}},
        }
    },
    responses={400: _ERROR},
)
async def query(request: Request) -> Response:
    try:
        parsed = parse_query(await _body(request))
    except OsvApiError as error:
        return _error(error)
    reader = knowledge_base(request)

    def answer() -> dict[str, Any]:
        refs, token = _page(parsed, reader.match([parsed])[0])
        records = reader.records([ref.id for ref in refs])
        vulns = [records[ref.id] for ref in refs if ref.id in records]
        payload: dict[str, Any] = {"vulns": vulns} if vulns else {}
        if token:
            payload["next_page_token"] = token
        return payload

    return _json(await run_in_threadpool(answer))


@router.post(
    "/v1/querybatch",
    summary="Many queries at once; ids and modified times only",
    description=(
        f'osv.dev\'s `POST /v1/querybatch`: `{{"queries": [...]}}`, at most {MAX_BATCH_QUERIES} '
        'queries (400 above). Answers `{"results": [{"vulns": [{"id", "modified"}]}, {}]}` '
        "in query order; fetch full records with `GET /v1/vulns/{id}`."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "queries": {
                                "type": "array",
                                "maxItems": MAX_BATCH_QUERIES,
                                "items": _QUERY_SCHEMA,
                            }
                        },
                    }
                }
            },
        }
    },
    responses={400: _ERROR},
)
async def querybatch(request: Request) -> Response:
    try:
        queries = parse_batch(await _body(request))
    except OsvApiError as error:
        return _error(error)
    if not queries:
        return _json({})
    reader = knowledge_base(request)

    def answer() -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        for parsed, refs in zip(queries, reader.match(queries), strict=True):
            page, token = _page(parsed, refs)
            result: dict[str, Any] = {"vulns": [ref.minimal() for ref in page]} if page else {}
            if token:
                result["next_page_token"] = token
            results.append(result)
        return {"results": results}

    return _json(await run_in_threadpool(answer))


@router.get(
    "/v1/vulns/{vuln_id}",
    summary="One OSV record by its id",
    description=(
        "osv.dev's `GET /v1/vulns/{id}`: the full record, withdrawn ones included (they carry "
        "`withdrawn`). Ids are not resolved through aliases, as on osv.dev: 404 "
        '`{"code": 5, "message": "Bug not found."}` for an unknown id.'
    ),
    responses={404: _ERROR},
)
async def vuln(vuln_id: str, request: Request) -> Response:
    reader = knowledge_base(request)
    try:
        record = await run_in_threadpool(reader.record, vuln_id)
    except OsvApiError as error:
        return _error(error)
    return _json(record)
