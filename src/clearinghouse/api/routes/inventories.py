"""Systems and their inventories: upload (multipart, size-checked while streaming), list, read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from clearinghouse.api.deps import MemberDep, PrincipalDep, SessionDep, not_found
from clearinghouse.exposures.queries import open_counts
from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.inventory import ParseContext, parse_inventory
from clearinghouse.inventories.models import Criticality, Inventory, InventoryComponent, System
from clearinghouse.inventories.service import (
    inventory_components,
    list_systems,
    push_inventory,
    system_versions,
)

router = APIRouter(prefix="/api/v1", tags=["inventories"])

MAX_FIELD_BYTES = 64 * 1024
"""Largest non-file form field (a system name, a criticality)."""


# -- streaming multipart ----------------------------------------------------------------------


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    data: bytes | None = None


@dataclass
class _PartState:
    limit: int
    upload: Upload = field(default_factory=Upload)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    headers: dict[str, bytes] = field(default_factory=dict)
    name: str | None = None
    filename: str | None = None
    buffer: bytearray = field(default_factory=bytearray)

    def on_part_begin(self) -> None:
        self.headers.clear()
        self.buffer = bytearray()
        self.name = self.filename = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.decode("latin-1").lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get("content-disposition", b""))
        raw_name = options.get(b"name")
        self.name = raw_name.decode("utf-8", "replace") if raw_name is not None else None
        raw_filename = options.get(b"filename")
        if raw_filename is not None:
            self.filename = raw_filename.decode("utf-8", "replace").replace("\\", "/")
            self.filename = self.filename.rsplit("/", 1)[-1] or "upload"

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.buffer += data[start:end]
        if self.filename is not None:
            if len(self.buffer) > self.limit:
                raise InputTooLarge(self.filename, len(self.buffer), self.limit)
        elif len(self.buffer) > MAX_FIELD_BYTES:
            raise InputError(self.name or "form", "a form field is larger than 64 KiB")

    def on_part_end(self) -> None:
        if self.name is None:
            return
        if self.filename is not None:
            if self.upload.data is not None:
                raise InputError(self.filename, "send one file per request")
            self.upload.filename = self.filename
            self.upload.data = bytes(self.buffer)
        else:
            self.upload.fields[self.name] = self.buffer.decode("utf-8", "replace")
        self.buffer = bytearray()


async def read_upload(request: Request, max_bytes: int) -> Upload:
    """Parse a multipart/form-data body as it arrives, refusing a file above ``max_bytes``."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InputError(
            "request", "send multipart/form-data with the document in a 'file' part", status=415
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + MAX_FIELD_BYTES:
        raise InputTooLarge("file", int(declared), max_bytes)
    state = _PartState(limit=max_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": state.on_part_begin,
            "on_part_data": state.on_part_data,
            "on_part_end": state.on_part_end,
            "on_header_field": state.on_header_field,
            "on_header_value": state.on_header_value,
            "on_header_end": state.on_header_end,
            "on_headers_finished": state.on_headers_finished,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise InputError("request", f"the multipart body is malformed: {exc}", status=400) from None
    return state.upload


def upload_file(upload: Upload) -> tuple[str, bytes]:
    if upload.data is None or upload.filename is None:
        raise InputError("file", "the request has no file part (name it 'file')", status=400)
    if not upload.data.strip():
        raise InputError(upload.filename, "is empty")
    return upload.filename, upload.data


MULTIPART_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["system", "file"],
                    "properties": {
                        "system": {"type": "string", "maxLength": 200},
                        "criticality": {"type": "string", "enum": [c.value for c in Criticality]},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


# -- models -----------------------------------------------------------------------------------


class InventoryOut(BaseModel):
    id: int
    version: int
    format: str
    filename: str
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: datetime
    component_count: int
    warnings: list[str]
    subject: str | None
    bom_serial: str | None


class ExposureCounts(BaseModel):
    open: int = Field(description="Live exposures in state affected or under_investigation.")
    kev: int
    worst: str | None


class SystemOut(BaseModel):
    id: int
    name: str
    criticality: Criticality
    created_at: datetime
    updated_at: datetime
    current: InventoryOut | None
    exposures: ExposureCounts


class ComponentOut(BaseModel):
    purl: str
    ecosystem: str | None
    name: str
    version: str | None
    ref: str | None
    dev: bool


class SystemDetail(SystemOut):
    components: list[ComponentOut]
    versions: list[InventoryOut] = Field(description="Every inventory uploaded, oldest first.")


class VersionDetail(InventoryOut):
    components: list[ComponentOut]


class PushOut(BaseModel):
    system: SystemOut
    created: bool
    opened: int
    reopened: int
    resolved: int


def _inventory_out(inventory: Inventory) -> InventoryOut:
    return InventoryOut.model_validate(inventory, from_attributes=True)


def _component_out(component: InventoryComponent) -> ComponentOut:
    return ComponentOut.model_validate(component, from_attributes=True)


def _system_out(
    system: System, inventory: Inventory | None, counts: dict[str, Any] | None
) -> SystemOut:
    return SystemOut(
        id=system.id,
        name=system.name,
        criticality=Criticality(system.criticality),
        created_at=system.created_at,
        updated_at=system.updated_at,
        current=_inventory_out(inventory) if inventory else None,
        exposures=ExposureCounts(**(counts or {"open": 0, "kev": 0, "worst": None})),
    )


def _owned_system(session: SessionDep, principal: PrincipalDep, system_id: int) -> System:
    system = session.get(System, system_id)
    if system is None or system.organization_id != principal.organization_id:
        raise not_found("no such system")
    return system


# -- routes -----------------------------------------------------------------------------------


@router.post(
    "/inventories",
    response_model=PushOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a system's inventory (SBOM or lockfile): creates the system or replaces "
    "its inventory, keeping the previous versions",
    openapi_extra=MULTIPART_DOC,
)
async def upload_inventory(request: Request, principal: MemberDep, session: SessionDep) -> PushOut:
    settings = request.app.state.settings
    upload = await read_upload(request, settings.max_input_bytes)
    filename, data = upload_file(upload)
    system = upload.fields.get("system")
    if system is None:
        raise InputError("system", "name the system this inventory describes", status=400)
    criticality_text = upload.fields.get("criticality")
    try:
        criticality = Criticality(criticality_text) if criticality_text else None
    except ValueError:
        raise InputError(
            "criticality",
            f"{criticality_text!r}: use one of " + ", ".join(c.value for c in Criticality),
        ) from None
    parsed = await run_in_threadpool(
        parse_inventory, data, ParseContext(source=filename, max_bytes=settings.max_input_bytes)
    )

    def push() -> PushOut:
        result = push_inventory(
            session,
            request.app.state.db,
            principal.audit_actor,
            principal.organization_id,
            system=system,
            criticality=criticality,
            filename=filename,
            data=data,
            parsed=parsed,
        )
        counts = open_counts(session, principal.organization_id).get(result.system.id)
        return PushOut(
            system=_system_out(result.system, result.inventory, counts),
            created=result.created,
            **result.exposures.counts(),
        )

    return await run_in_threadpool(push)


@router.get(
    "/inventories",
    response_model=list[SystemOut],
    summary="My organization's systems, each with its inventory in force",
)
def list_inventories(principal: PrincipalDep, session: SessionDep) -> list[SystemOut]:
    counts = open_counts(session, principal.organization_id)
    return [
        _system_out(system, inventory, counts.get(system.id))
        for system, inventory in list_systems(session, principal.organization_id)
    ]


@router.get(
    "/inventories/{system_id}",
    response_model=SystemDetail,
    summary="A system: its inventory in force with components, and every previous version",
)
def get_inventory(system_id: int, principal: PrincipalDep, session: SessionDep) -> SystemDetail:
    system = _owned_system(session, principal, system_id)
    versions = system_versions(session, system.id)
    current = next((v for v in versions if v.version == system.current_version), None)
    base = _system_out(
        system, current, open_counts(session, principal.organization_id).get(system.id)
    )
    return SystemDetail(
        **base.model_dump(),
        components=[_component_out(c) for c in inventory_components(session, current.id)]
        if current
        else [],
        versions=[_inventory_out(v) for v in versions],
    )


@router.get(
    "/inventories/{system_id}/versions/{version}",
    response_model=VersionDetail,
    summary="One inventory version of a system, with its components",
)
def get_inventory_version(
    system_id: int, version: int, principal: PrincipalDep, session: SessionDep
) -> VersionDetail:
    system = _owned_system(session, principal, system_id)
    inventory = next((v for v in system_versions(session, system.id) if v.version == version), None)
    if inventory is None:
        raise not_found("no such inventory version")
    return VersionDetail(
        **_inventory_out(inventory).model_dump(),
        components=[_component_out(c) for c in inventory_components(session, inventory.id)],
    )
