"""Operators' pages: the dashboard, systems and their inventories, exposures and VEX.

Every read and write goes through the same functions as the API (``inventories.service``,
``exposures.queries``, ``exposures.vex``), always for the viewer's organization.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from packageurl import PackageURL
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from clearinghouse.advisories.models import Advisory, KevEntry
from clearinghouse.api.routes.inventories import read_upload, upload_file
from clearinghouse.exposures.models import Exposure, VexStatus
from clearinghouse.exposures.queries import ExposureFilter, exposure_page, get_exposure
from clearinghouse.exposures.vex import exposure_statements, record_manual_statement
from clearinghouse.findings.models import Vulnerability
from clearinghouse.findings.priority import OPEN_STATES
from clearinghouse.findings.queries import is_triager
from clearinghouse.formats import openvex
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import ParseContext, parse_inventory
from clearinghouse.inventories.models import Criticality, System
from clearinghouse.inventories.service import (
    inventory_components,
    list_systems,
    push_inventory,
    system_versions,
)
from clearinghouse.participants.models import Role
from clearinghouse.web import dashboard
from clearinghouse.web.charts import Bar, Series, bar_chart, line_chart
from clearinghouse.web.deps import (
    CsrfFailure,
    FormDep,
    PageNotFound,
    ViewerDep,
    WebRoute,
    check_origin,
    database,
    field,
    require_role,
    see_other,
)
from clearinghouse.web.render import FRONTIER_KINDS, render
from clearinghouse.web.sessions import Viewer, csrf_matches, set_flash

router = APIRouter(route_class=WebRoute)

PAGE_SIZE = 50
COMPONENTS_SHOWN = 500
VEX_STATUSES = (
    (VexStatus.not_affected, "Not affected: the vulnerable code cannot be reached or is absent"),
    (VexStatus.affected, "Affected: we are exposed (add what we will do about it)"),
    (VexStatus.fixed, "Fixed: already fixed in our build (e.g. a backported patch)"),
    (VexStatus.under_investigation, "Under investigation: we are checking"),
)
JUSTIFICATION_TEXT = {
    "component_not_present": "The vulnerable component is not present",
    "vulnerable_code_not_present": "The vulnerable code is not present",
    "vulnerable_code_not_in_execute_path": "The vulnerable code is never executed",
    "vulnerable_code_cannot_be_controlled_by_adversary": "An attacker cannot control it",
    "inline_mitigations_already_exist": "Mitigations already in place",
}


# -- dashboard -----------------------------------------------------------------------------------


@router.get("/")
def home(request: Request, viewer: ViewerDep) -> Response:
    org_id = viewer.principal.organization_id
    principal = viewer.principal
    with database(request).session() as session:
        summary = dashboard.overview(session, org_id)
        history = dashboard.trend(session, org_id)
        knowledge = dashboard.knowledge_base(session)
        triage_open = (
            session.scalar(
                select(func.count())
                .select_from(Vulnerability)
                .where(Vulnerability.state.in_([s.value for s in OPEN_STATES]))
            )
            if is_triager(principal)
            else None
        )
    severity_chart = bar_chart(
        [
            Bar(
                rating.title() if rating != "unknown" else "Unrated",
                summary.by_severity[rating],
                f"bar sev-{rating.lower()}",
                f"/exposures?severity={rating}" if rating != "unknown" else None,
            )
            for rating in (*dashboard.RATINGS, "unknown")
        ],
        title="Open exposures by severity",
    )
    trend_chart = line_chart(
        history.days,
        [
            Series("Open exposures", history.open, "line line-open"),
            Series("KEV", history.kev, "line line-kev"),
        ],
        title="Open exposures over the last 30 days",
    )
    return render(
        request,
        "dashboard.html",
        viewer,
        title="Dashboard",
        section="dashboard",
        summary=summary,
        history=history,
        severity_chart=severity_chart,
        trend_chart=trend_chart,
        criticalities=list(Criticality),
        can_upload=viewer.principal.role.allows(Role.member),
        upload_error=None,
        values={},
        knowledge=knowledge,
        triage_open=triage_open,
        frontier=principal.organization_kind in FRONTIER_KINDS,
    )


# -- systems and inventories ---------------------------------------------------------------------


def _systems_page(
    request: Request,
    viewer: Viewer,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    from clearinghouse.exposures.queries import open_counts

    org_id = viewer.principal.organization_id
    with database(request).session() as session:
        systems = list_systems(session, org_id)
        counts = open_counts(session, org_id)
    return render(
        request,
        "systems.html",
        viewer,
        title="Systems",
        section="systems",
        systems=systems,
        counts=counts,
        criticalities=list(Criticality),
        can_upload=viewer.principal.role.allows(Role.member),
        upload_error=error,
        values=values or {},
        status=status,
    )


@router.get("/systems")
def systems(request: Request, viewer: ViewerDep) -> Response:
    return _systems_page(request, viewer)


@router.post("/systems/upload")
async def upload(request: Request, viewer: ViewerDep) -> Response:
    """A multipart form: the file is streamed and refused past the size limit, as in the API."""
    check_origin(request)
    require_role(viewer, Role.member)
    settings = request.app.state.settings
    values: dict[str, str] = {}
    after = ""
    try:
        form = await read_upload(request, settings.max_input_bytes)
        if not csrf_matches(viewer.csrf_token, form.fields.get("csrf_token")):
            raise CsrfFailure()
        values = {k: form.fields.get(k, "").strip() for k in ("system", "criticality")}
        after = form.fields.get("next", "")
        if not values["system"]:
            raise InputError("system", "name the system this file describes")
        try:
            criticality = Criticality(values["criticality"]) if values["criticality"] else None
        except ValueError:
            raise InputError("criticality", "choose one of the listed criticalities") from None
        filename, data = upload_file(form)
        parsed = await run_in_threadpool(
            parse_inventory, data, ParseContext(source=filename, max_bytes=settings.max_input_bytes)
        )

        def push() -> int:
            with database(request).session() as session:
                result = push_inventory(
                    session,
                    request.app.state.db,
                    viewer.principal.audit_actor,
                    viewer.principal.organization_id,
                    system=values["system"],
                    criticality=criticality,
                    filename=filename,
                    data=data,
                    parsed=parsed,
                )
                counts = result.exposures.counts()
                set_flash(session, viewer, _upload_message(result.inventory, counts))
                return result.system.id

        system_id = await run_in_threadpool(push)
    except InputError as exc:
        page = functools.partial(
            _systems_page, request, viewer, error=_input_message(exc), values=values
        )
        return await run_in_threadpool(page, status=exc.status)
    # the dashboard's first-system form comes back to the dashboard: "what to patch"
    return see_other("/" if after == "/" else f"/systems/{system_id}")


def _input_message(exc: InputError) -> str:
    return f"{exc.source}: {exc.reason}" if exc.source not in ("", "request") else exc.reason


def _upload_message(inventory: Any, counts: dict[str, int]) -> str:
    parts = [
        f"Read {inventory.filename} ({inventory.format}): {inventory.component_count} "
        f"component{'s' if inventory.component_count != 1 else ''}, "
        f"inventory version {inventory.version}."
    ]
    opened = counts.get("opened", 0) + counts.get("reopened", 0)
    parts.append(
        f"{opened} new exposure{'s' if opened != 1 else ''}, {counts.get('resolved', 0)} resolved."
        if opened or counts.get("resolved")
        else "No new exposures."
    )
    return " ".join(parts)


def _owned_system(session: Session, viewer: Viewer, system_id: int) -> System:
    system = session.get(System, system_id)
    if system is None or system.organization_id != viewer.principal.organization_id:
        raise PageNotFound()
    return system


@router.get("/systems/{system_id}")
def system_detail(
    request: Request,
    system_id: int,
    viewer: ViewerDep,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    with database(request).session() as session:
        system = _owned_system(session, viewer, system_id)
        versions = system_versions(session, system.id)
        shown_version = version or system.current_version
        shown = next((v for v in versions if v.version == shown_version), None)
        if version is not None and shown is None:
            raise PageNotFound()
        components = inventory_components(session, shown.id) if shown else []
        page = exposure_page(
            session,
            viewer.principal.organization_id,
            ExposureFilter(system_id=system.id, **EXPOSURE_STATUSES["open"]),
            limit=PAGE_SIZE,
        )
        stated = exposure_page(
            session,
            viewer.principal.organization_id,
            ExposureFilter(system_id=system.id, **EXPOSURE_STATUSES["stated"]),
            limit=0,
        ).total
        plan = dashboard.overview(
            session, viewer.principal.organization_id, system_id=system.id, plan_size=50
        )
    return render(
        request,
        "system.html",
        viewer,
        title=system.name,
        section="systems",
        system=system,
        versions=list(reversed(versions)),
        shown=shown,
        components=components[:COMPONENTS_SHOWN],
        component_total=len(components),
        page=page,
        stated=stated,
        plan=plan,
        criticalities=list(Criticality),
        can_upload=viewer.principal.role.allows(Role.member),
        upload_error=None,
        values={"system": system.name, "criticality": system.criticality},
    )


# -- exposures -----------------------------------------------------------------------------------


@router.get("/exposures")
def exposures(
    request: Request,
    viewer: ViewerDep,
    status: Annotated[str, Query(max_length=16)] = "open",
    severity: Annotated[str, Query(max_length=16)] = "",
    kev: Annotated[str, Query(max_length=8)] = "",
    system: Annotated[str, Query(max_length=16)] = "",
    advisory: Annotated[str, Query(max_length=255)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    status = status if status in EXPOSURE_STATUSES else "open"
    severity = severity.upper() if severity.upper() in dashboard.RATINGS else ""
    system_id = int(system) if system.isdigit() else None
    wanted = ExposureFilter(
        min_severity=severity or None,
        kev=True if kev == "1" else None,
        system_id=system_id,
        advisory=advisory.strip() or None,
        **EXPOSURE_STATUSES[status],
    )
    org_id = viewer.principal.organization_id
    with database(request).session() as session:
        result = exposure_page(
            session, org_id, wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        systems = [s for s, _ in list_systems(session, org_id)]
    return render(
        request,
        "exposures.html",
        viewer,
        title="Exposures",
        section="exposures",
        result=result,
        systems=systems,
        filters={
            "status": status,
            "severity": severity,
            "kev": kev == "1",
            "system": system_id,
            "advisory": advisory.strip(),
        },
        page_number=page,
        page_count=max(1, -(-result.total // PAGE_SIZE)),
    )


EXPOSURE_STATUSES: dict[str, dict[str, Any]] = {
    "open": {"status": "open", "states": (VexStatus.affected, VexStatus.under_investigation)},
    "stated": {"status": "open", "states": (VexStatus.not_affected, VexStatus.fixed)},
    "resolved": {"status": "resolved"},
    "all": {"status": "all"},
}
"""The list's choices. "Open" is what the dashboard counts: not resolved, and affected or
under investigation; "stated" are the live ones a VEX statement says need no work."""


def _exposure_page(
    request: Request,
    viewer: Viewer,
    exposure_id: int,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with database(request).session() as session:
        found = get_exposure(session, viewer.principal.organization_id, exposure_id)
        if found is None:
            raise PageNotFound()
        exposure, system = found.items[0]
        statements = exposure_statements(session, exposure)
        advisory = session.get(Advisory, exposure.advisory_id)
        record: dict[str, Any] = orjson.loads(advisory.record) if advisory else {}
        aliases = found.aliases.get(exposure.advisory_id, [])
        kev_entries = list(
            session.scalars(
                select(KevEntry).where(KevEntry.cve_id.in_([exposure.advisory_id, *aliases]))
            )
        )
    return render(
        request,
        "exposure.html",
        viewer,
        title=f"{exposure.advisory_id} in {system.name}",
        section="exposures",
        exposure=exposure,
        system=system,
        aliases=aliases,
        summary=_summary(record) or found.summaries.get(exposure.advisory_id),
        advisory=advisory,
        details=record.get("details", ""),
        references=[r for r in record.get("references", []) if isinstance(r, dict)][:20],
        kev_entries=kev_entries,
        statements=statements,
        vex_statuses=VEX_STATUSES,
        justifications=[(j, JUSTIFICATION_TEXT.get(j, j)) for j in openvex.JUSTIFICATIONS],
        can_state=viewer.principal.role.allows(Role.member),
        error=error,
        values=values or {},
        status=status,
    )


def _summary(record: dict[str, Any]) -> str:
    """The advisory's summary, or (many PYSEC and CVE-derived records have none) the first
    paragraph of its details; the page shortens it with an ellipsis, never mid-word."""
    summary = record.get("summary")
    if isinstance(summary, str) and summary.strip():
        return summary.strip()
    details = record.get("details")
    if isinstance(details, str):
        return details.strip().split("\n\n", 1)[0].replace("\n", " ")
    return ""


@router.get("/exposures/{exposure_id}")
def exposure_detail(request: Request, exposure_id: int, viewer: ViewerDep) -> Response:
    return _exposure_page(request, viewer, exposure_id)


@router.post("/exposures/{exposure_id}/vex")
def state_exposure(
    request: Request, exposure_id: int, viewer: ViewerDep, form: FormDep
) -> Response:
    """Record a VEX statement about this exposure's package in this system (as the API's
    ``POST /api/v1/exposures/{id}/vex``)."""
    require_role(viewer, Role.member)
    values = {
        name: field(form, name)
        for name in ("status", "justification", "impact_statement", "action_statement")
    }
    values["all_versions"] = "1" if field(form, "all_versions") else ""
    try:
        with database(request).session() as session:
            exposure = session.get(Exposure, exposure_id)
            if exposure is None or exposure.organization_id != viewer.principal.organization_id:
                raise PageNotFound()
            try:
                status = VexStatus(values["status"])
            except ValueError:
                raise InputError("status", "choose what is true about this exposure") from None
            purl = exposure.purl
            if values["all_versions"]:
                purl = PackageURL.from_string(purl)._replace(version=None).to_string()
            for name in ("impact_statement", "action_statement"):
                if len(values[name]) > 10000:
                    raise InputError(name, "is longer than 10,000 characters")
            statement = record_manual_statement(
                session,
                viewer.principal.audit_actor,
                viewer.principal.organization_id,
                vulnerability=exposure.advisory_id,
                purl=purl,
                status=status,
                justification=(values["justification"] or None)
                if status is VexStatus.not_affected
                else None,
                impact_statement=values["impact_statement"] or None,
                action_statement=values["action_statement"] or None,
                system_id=exposure.system_id,
            )
            session.refresh(exposure)
            set_flash(
                session,
                viewer,
                f"VEX statement {statement.id} recorded: {status.value.replace('_', ' ')}. "
                f"This exposure is now {exposure.state.replace('_', ' ')}.",
            )
    except InputError as exc:
        return _exposure_page(
            request, viewer, exposure_id, error=_input_message(exc), values=values, status=400
        )
    return see_other(f"/exposures/{exposure_id}")
