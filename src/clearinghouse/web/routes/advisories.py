"""The advisory browser: the public knowledge base, searched by id, alias or package."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from clearinghouse.advisories.models import KevEntry
from clearinghouse.advisories.queries import records_for, search_advisories
from clearinghouse.exposures.models import VexStatus
from clearinghouse.exposures.queries import ExposureFilter, exposure_page
from clearinghouse.web.deps import PageNotFound, ViewerDep, WebRoute, database, see_other
from clearinghouse.web.render import render

router = APIRouter(route_class=WebRoute)

SEARCH_LIMIT = 50


@router.get("/advisories")
def advisories(
    request: Request,
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=255)] = "",
    ecosystem: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    term = q.strip()
    results: list[dict[str, Any]] = []
    if term:
        results = search_advisories(
            database(request), term, ecosystem=ecosystem.strip() or None, limit=SEARCH_LIMIT
        )
    return render(
        request,
        "advisories.html",
        viewer,
        title="Advisories",
        section="advisories",
        q=term,
        ecosystem=ecosystem.strip(),
        results=results,
        limit=SEARCH_LIMIT,
    )


def _fixed_versions(affected: dict[str, Any]) -> list[str]:
    """Versions to upgrade to (a GIT range's commit hashes are not versions: left to the
    ranges column)."""
    return [
        str(event["fixed"])
        for r in affected.get("ranges", []) or []
        if isinstance(r, dict) and r.get("type") != "GIT"
        for event in r.get("events", []) or []
        if isinstance(event, dict) and "fixed" in event
    ]


@router.get("/advisories/{advisory_id}")
def advisory(request: Request, advisory_id: str, viewer: ViewerDep) -> Response:
    db = database(request)
    records = records_for(db, advisory_id)
    record = next((r for r in records if r.get("id") == advisory_id), None)
    if record is None:
        if len(records) == 1:
            return see_other(f"/advisories/{records[0]['id']}")
        if not records:
            raise PageNotFound()
    names = [advisory_id] if record is None else [record["id"], *record.get("aliases", [])]
    with db.session() as session:
        kev = list(session.scalars(select(KevEntry).where(KevEntry.cve_id.in_(names))))
        mine = exposure_page(
            session,
            viewer.principal.organization_id,
            ExposureFilter(
                advisory=record["id"] if record else advisory_id,
                states=(VexStatus.affected, VexStatus.under_investigation),
            ),
            limit=1,
        ).total
    return render(
        request,
        "advisory.html",
        viewer,
        title=advisory_id,
        section="advisories",
        advisory_id=advisory_id,
        record=record,
        candidates=records if record is None else [],
        affected=[
            {**a, "fixed": _fixed_versions(a)}
            for a in (record or {}).get("affected", [])
            if isinstance(a, dict)
        ],
        kev=kev,
        my_exposures=mine,
    )
