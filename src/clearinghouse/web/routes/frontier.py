"""The covered-frontier-model program: models, versions with their evaluations, engagements
with their timeline and deadlines; and, for cleared staff only, designation.

Visibility is the program's own (``frontier.registry``, ``evaluations``, ``engagements``,
``designation``): what a viewer may not see raises ``NotFound`` there, and the page is a 404.
The designation pages answer 404 to anyone without the clearance, and no page links to them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from clearinghouse.frontier import designation, engagements, evaluations, registry
from clearinghouse.frontier.common import Forbidden, Invalid, NotFound, is_cleared
from clearinghouse.frontier.designation import Outcome
from clearinghouse.frontier.models import Engagement, ModelVersion
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
from clearinghouse.web.render import FRONTIER_KINDS, render
from clearinghouse.web.sessions import Viewer, set_flash

router = APIRouter(route_class=WebRoute)

DEADLINE_TEXT = {
    "government_access_window_opens": "Government-access window opens",
    "planned_partner_release": "Planned release to other trusted partners",
}


def _require_program(viewer: Viewer) -> None:
    if viewer.principal.organization_kind not in FRONTIER_KINDS:
        raise PageNotFound()


def _require_cleared(viewer: Viewer) -> None:
    if not is_cleared(viewer.principal):
        raise PageNotFound()


def _org_names(session: Any, ids: set[int]) -> dict[int, str]:
    return {i: org.name for i in ids if (org := session.get(Organization, i)) is not None}


@router.get("/frontier")
def overview(request: Request, viewer: ViewerDep) -> Response:
    _require_program(viewer)
    principal = viewer.principal
    with database(request).session() as session:
        models = registry.list_models(session, principal)
        rows = engagements.list_engagements(session, principal)
        views = [engagements.engagement_view(session, principal, e.id) for e in rows]
        versions = {
            v.id: v
            for v in (session.get(ModelVersion, view["version_id"]) for view in views)
            if v is not None
        }
        names = {m.id: m.name for m in models}
        owners = _org_names(session, {m.organization_id for m in models})
    return render(
        request,
        "frontier.html",
        viewer,
        title="Frontier models",
        section="frontier",
        models=models,
        owners=owners,
        engagements=views,
        versions=versions,
        model_names=names,
        deadline_text=DEADLINE_TEXT,
        cleared=is_cleared(principal),
    )


@router.get("/frontier/models/{model_id}")
def model(request: Request, model_id: int, viewer: ViewerDep) -> Response:
    _require_program(viewer)
    with database(request).session() as session:
        found = registry.get_model(session, viewer.principal, model_id)
        versions = registry.list_versions(session, viewer.principal, model_id)
        aliases = registry.aliases(session, model_id)
        owner = _org_names(session, {found.organization_id}).get(found.organization_id, "")
    return render(
        request,
        "frontier_model.html",
        viewer,
        title=found.name,
        section="frontier",
        model=found,
        owner=owner,
        versions=versions,
        aliases=aliases,
    )


@router.get("/frontier/versions/{version_id}")
def version(request: Request, version_id: int, viewer: ViewerDep) -> Response:
    _require_program(viewer)
    principal = viewer.principal
    with database(request).session() as session:
        found = registry.get_version(session, principal, version_id)
        parent = registry.version_model(session, found)
        evals = evaluations.list_evaluations(session, principal, version_id)
        try:
            outcome: dict[str, Any] | None = designation.designation_view(
                session, principal, version_id
            )
        except NotFound:
            outcome = None
        linked = [
            e
            for e in engagements.list_engagements(session, principal)
            if e.version_id == version_id
        ]
    return render(
        request,
        "frontier_version.html",
        viewer,
        title=f"{parent.name} version {found.number}",
        section="frontier",
        model=parent,
        version=found,
        evaluations=evals,
        outcome=outcome,
        engagements=linked,
        cleared=is_cleared(principal),
    )


@router.get("/frontier/engagements/{engagement_id}")
def engagement(request: Request, engagement_id: int, viewer: ViewerDep) -> Response:
    _require_program(viewer)
    principal = viewer.principal
    with database(request).session() as session:
        view = engagements.engagement_view(session, principal, engagement_id)
        record = session.get(Engagement, engagement_id)
        assert record is not None
        found = session.get(ModelVersion, record.version_id)
        parent = registry.version_model(session, found) if found is not None else None
        developer = _org_names(session, {record.organization_id}).get(record.organization_id, "")
    events = [
        {
            "at": row["at"],
            "what": f"{row['from'] or 'opened'} → {row['to']}",
            "note": row["note"],
            "by": row["by"],
            "kind": "passed",
        }
        for row in view["history"]
    ]
    for deadline in view["schedule"]["deadlines"]:
        events.append(
            {
                "at": deadline["due_at"],
                "what": DEADLINE_TEXT.get(deadline["name"], deadline["name"]),
                "note": "passed" if deadline["passed"] else f"in {deadline['days_left']:.1f} days",
                "by": "",
                "kind": "passed" if deadline["passed"] else "future",
            }
        )
    events.sort(key=lambda e: e["at"])
    return render(
        request,
        "frontier_engagement.html",
        viewer,
        title=f"Engagement {engagement_id}",
        section="frontier",
        e=view,
        version=found,
        model=parent,
        developer=developer,
        events=events,
    )


# -- designation (cleared staff only) ------------------------------------------------------------


@router.get("/frontier/designation")
def designation_desk(request: Request, viewer: ViewerDep) -> Response:
    _require_cleared(viewer)
    with database(request).session() as session:
        rules = designation.list_rules(session, viewer.principal)
        waiting = designation.designation_queue(session, viewer.principal)
    return render(
        request,
        "frontier_designation.html",
        viewer,
        title="Designation",
        section="frontier",
        rules=rules,
        queue=waiting,
    )


def _proposal_page(
    request: Request, viewer: Viewer, version_id: int, *, error: str | None = None
) -> Response:
    _require_cleared(viewer)
    with database(request).session() as session:
        proposal = designation.propose(session, viewer.principal, version_id)
        current = designation.designation_view(session, viewer.principal, version_id)
        found = session.get(ModelVersion, version_id)
        if found is None:
            raise PageNotFound()
        parent = registry.version_model(session, found)
    return render(
        request,
        "frontier_proposal.html",
        viewer,
        title=f"Designation of {parent.name} version {found.number}",
        section="frontier",
        proposal=proposal,
        current=current,
        version=found,
        model=parent,
        outcomes=list(Outcome),
        error=error,
        status=400 if error else 200,
    )


@router.get("/frontier/designation/versions/{version_id}")
def proposal(request: Request, version_id: int, viewer: ViewerDep) -> Response:
    return _proposal_page(request, viewer, version_id)


@router.post("/frontier/designation/versions/{version_id}")
def record_designation(
    request: Request, version_id: int, viewer: ViewerDep, form: FormDep
) -> Response:
    _require_cleared(viewer)
    try:
        outcome = Outcome(field(form, "outcome"))
    except ValueError:
        return _proposal_page(request, viewer, version_id, error="Choose an outcome.")
    try:
        with database(request).session() as session:
            designation.record_designation(
                session, viewer.principal, version_id, outcome, field(form, "rationale")
            )
            set_flash(session, viewer, f"Designation recorded: {outcome.value.replace('_', ' ')}.")
    except (Invalid, Forbidden) as exc:
        return _proposal_page(request, viewer, version_id, error=exc.message)
    return see_other(f"/frontier/designation/versions/{version_id}")
