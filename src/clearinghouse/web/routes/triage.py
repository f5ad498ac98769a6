"""The analysts' triage desk: the priority queue with its factors, one vulnerability with its
merged findings and evidence, and the moves (validate, merge as duplicate, split...). Only the
clearinghouse's analysts see any of it; to everyone else these pages do not exist (404).

The queue, the views and the moves are ``findings.priority``, ``findings.queries`` and
``findings.workflow``: the functions the API calls.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from clearinghouse.findings.models import TriageState
from clearinghouse.findings.priority import OPEN_STATES, load_weights, triage_queue
from clearinghouse.findings.queries import get_attachment, is_triager, vulnerability_view
from clearinghouse.findings.validation import TRANSITIONS
from clearinghouse.findings.workflow import TriageError, move, remark, split
from clearinghouse.formats.tlp import Tlp, parse_tlp
from clearinghouse.participants.models import Organization
from clearinghouse.web.deps import (
    FormDep,
    PageNotFound,
    ViewerDep,
    WebRoute,
    database,
    field,
    see_other,
)
from clearinghouse.web.render import render
from clearinghouse.web.sessions import Viewer, set_flash

router = APIRouter(route_class=WebRoute)

PAGE_SIZE = 50
MOVE_TEXT = {
    TriageState.triaged: "Triaged: looked at, worth checking",
    TriageState.validated: "Validated: reproduced or confirmed",
    TriageState.published: "Published: release the OSV advisory",
    TriageState.duplicate: "Duplicate: merge into another vulnerability",
    TriageState.invalid: "Invalid: not a vulnerability",
    TriageState.known: "Known: restates a knowledge-base advisory",
}


def _require_triager(viewer: Viewer) -> None:
    if not is_triager(viewer.principal):
        raise PageNotFound()


@router.get("/triage")
def queue(
    request: Request,
    viewer: ViewerDep,
    state: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    _require_triager(viewer)
    states = [TriageState(state)] if state in {s.value for s in TriageState} else OPEN_STATES
    with database(request).session() as session:
        result = triage_queue(
            session,
            weights=load_weights(request.app.state.settings.triage_weights),
            states=states,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    return render(
        request,
        "triage.html",
        viewer,
        title="Triage queue",
        section="triage",
        result=result,
        state=state if len(states) == 1 else "",
        states=list(TriageState),
        page_number=page,
        page_count=max(1, -(-int(result["total"]) // PAGE_SIZE)),
    )


def _vulnerability_page(
    request: Request,
    viewer: Viewer,
    vulnerability_id: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    _require_triager(viewer)
    with database(request).session() as session:
        view = vulnerability_view(
            session,
            viewer.principal,
            vulnerability_id,
            load_weights(request.app.state.settings.triage_weights),
        )
        ids = {f["organization_id"] for f in view["findings"] if "organization_id" in f}
        reporters = {
            org.id: org.name
            for org in session.scalars(select(Organization).where(Organization.id.in_(ids)))
        }
    current = TriageState(view["state"])
    return render(
        request,
        "vulnerability.html",
        viewer,
        title=f"{vulnerability_id}: {view['title']}",
        section="triage",
        v=view,
        reporters=reporters,
        moves=[
            (s, MOVE_TEXT[s]) for s in sorted(TRANSITIONS[current], key=list(TriageState).index)
        ],
        tlp_labels=[t.value for t in Tlp],
        error=error,
        status=status,
    )


@router.get("/triage/{vulnerability_id}")
def vulnerability(request: Request, vulnerability_id: str, viewer: ViewerDep) -> Response:
    return _vulnerability_page(request, viewer, vulnerability_id)


@router.post("/triage/{vulnerability_id}/move")
def move_vulnerability(
    request: Request, vulnerability_id: str, viewer: ViewerDep, form: FormDep
) -> Response:
    _require_triager(viewer)
    try:
        to_state = TriageState(field(form, "to"))
    except ValueError:
        return _vulnerability_page(
            request, viewer, vulnerability_id, error="Choose where to move it.", status=400
        )
    try:
        with database(request).session() as session:
            result = move(
                session,
                viewer.principal,
                vulnerability_id,
                to_state,
                evidence=field(form, "evidence")[:20_000],
                duplicate_of=field(form, "duplicate_of") or None,
                advisory_id=field(form, "advisory_id") or None,
            )
            message = f"{vulnerability_id} is now {result.vulnerability.state}."
            if to_state is TriageState.duplicate:
                message = f"{vulnerability_id} merged into {result.vulnerability.duplicate_of}."
            if result.advisory_id:
                message += f" Published as {result.advisory_id}."
            set_flash(session, viewer, message)
    except TriageError as exc:
        return _vulnerability_page(request, viewer, vulnerability_id, error=str(exc), status=409)
    target = vulnerability_id
    if to_state is TriageState.duplicate and result.vulnerability.duplicate_of:
        target = result.vulnerability.duplicate_of
    return see_other(f"/triage/{target}")


@router.post("/triage/{vulnerability_id}/split")
def split_vulnerability(
    request: Request, vulnerability_id: str, viewer: ViewerDep, form: FormDep
) -> Response:
    _require_triager(viewer)
    chosen = [int(v) for v in form.getlist("finding") if isinstance(v, str) and v.isdigit()]
    if not chosen:
        return _vulnerability_page(
            request,
            viewer,
            vulnerability_id,
            error="Tick the findings to take out into a new vulnerability.",
            status=400,
        )
    try:
        with database(request).session() as session:
            fresh = split(
                session, viewer.principal, vulnerability_id, chosen, field(form, "reason")[:20_000]
            )
            set_flash(
                session,
                viewer,
                f"{len(chosen)} finding(s) split out of {vulnerability_id} into {fresh.id}.",
            )
            fresh_id = fresh.id
    except TriageError as exc:
        return _vulnerability_page(request, viewer, vulnerability_id, error=str(exc), status=409)
    return see_other(f"/triage/{fresh_id}")


@router.post("/triage/{vulnerability_id}/tlp")
def remark_finding(
    request: Request, vulnerability_id: str, viewer: ViewerDep, form: FormDep
) -> Response:
    """Re-mark one of the vulnerability's findings (audited, like every move)."""
    _require_triager(viewer)
    finding = field(form, "finding")
    try:
        marking = parse_tlp(field(form, "tlp"))
    except ValueError as exc:
        return _vulnerability_page(request, viewer, vulnerability_id, error=str(exc), status=400)
    if not finding.isdigit():
        return _vulnerability_page(
            request, viewer, vulnerability_id, error="Choose the finding to re-mark.", status=400
        )
    try:
        with database(request).session() as session:
            result = remark(
                session,
                viewer.principal,
                int(finding),
                marking,
                evidence=field(form, "evidence")[:20_000],
            )
            if result.finding.vulnerability_id != vulnerability_id:
                raise TriageError(f"finding {finding} is not part of {vulnerability_id}")
            set_flash(
                session,
                viewer,
                f"Finding {finding} is TLP:{result.finding.tlp}; {vulnerability_id} is "
                f"TLP:{result.vulnerability_tlp}.",
            )
    except TriageError as exc:
        return _vulnerability_page(request, viewer, vulnerability_id, error=str(exc), status=409)
    return see_other(f"/triage/{vulnerability_id}")


@router.get("/triage/findings/{finding_id}/proof-of-concept")
def proof_of_concept(request: Request, finding_id: int, viewer: ViewerDep) -> Response:
    """Opaque bytes, downloaded (never shown inline): a proof of concept may be hostile."""
    _require_triager(viewer)
    with database(request).session() as session:
        name, attachment = get_attachment(session, viewer.principal, finding_id)
        data, digest = attachment.data, attachment.sha256
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "poc"
    return Response(
        content=data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}.bin"',
            "Content-Security-Policy": "sandbox",
            "X-Content-SHA256": digest,
        },
    )
