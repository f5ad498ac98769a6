"""Reading exposures back: filters, ordering and pages, always within one organization."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, cast, func, select
from sqlalchemy.orm import Session

from clearinghouse.advisories.models import Advisory, AdvisoryAlias
from clearinghouse.exposures.models import Exposure, VexStatus
from clearinghouse.exposures.vex import advisories_named
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.osv import rating_rank
from clearinghouse.inventories.models import System

__all__ = ["ExposureFilter", "ExposurePage", "exposure_page", "get_exposure"]

SEVERITIES = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True, slots=True)
class ExposureFilter:
    states: tuple[VexStatus, ...] = ()
    min_severity: str | None = None
    """NONE, LOW, MEDIUM, HIGH or CRITICAL (any case)."""
    kev: bool | None = None
    system_id: int | None = None
    system_name: str | None = None
    advisory: str | None = None
    """An advisory id or any alias of one."""
    status: str = "open"
    """``open`` (live), ``resolved`` or ``all``."""


@dataclass
class ExposurePage:
    total: int
    items: list[tuple[Exposure, System]]
    aliases: dict[str, list[str]] = field(default_factory=dict)
    summaries: dict[str, str | None] = field(default_factory=dict)


def _filtered(
    session: Session, organization_id: int, wanted: ExposureFilter
) -> Select[Exposure, System]:
    query: Select[Exposure, System] = (
        select(Exposure, System)
        .join(System, System.id == Exposure.system_id)
        .where(Exposure.organization_id == organization_id)
    )
    if wanted.status == "open":
        query = query.where(Exposure.resolved_at.is_(None))
    elif wanted.status == "resolved":
        query = query.where(Exposure.resolved_at.is_not(None))
    elif wanted.status != "all":
        raise InputError("status", f"{wanted.status!r}: use open, resolved or all")
    if wanted.states:
        query = query.where(Exposure.state.in_([s.value for s in wanted.states]))
    if wanted.min_severity is not None:
        label = wanted.min_severity.upper()
        if label not in SEVERITIES:
            raise InputError(
                "min_severity", f"{wanted.min_severity!r}: use one of " + ", ".join(SEVERITIES)
            )
        query = query.where(Exposure.severity_rank >= rating_rank(label))
    if wanted.kev is not None:
        query = query.where(Exposure.kev.is_(wanted.kev))
    if wanted.system_id is not None:
        query = query.where(Exposure.system_id == wanted.system_id)
    if wanted.system_name is not None:
        query = query.where(System.name == wanted.system_name)
    if wanted.advisory is not None:
        ids = sorted(advisories_named(session, [wanted.advisory.strip()]))
        query = query.where(Exposure.advisory_id.in_(ids))
    return query


def exposure_page(
    session: Session,
    organization_id: int,
    wanted: ExposureFilter,
    *,
    limit: int = 50,
    offset: int = 0,
) -> ExposurePage:
    """Most urgent first: KEV, then severity, then score, then the newest."""
    query = _filtered(session, organization_id, wanted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(
            Exposure.kev.desc(),
            Exposure.severity_rank.desc(),
            func.coalesce(Exposure.severity_score, -1.0).desc(),
            Exposure.first_seen.desc(),
            Exposure.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    items = [(exposure, system) for exposure, system in rows]
    page = ExposurePage(total, items)
    _describe(session, page, {e.advisory_id for e, _ in items})
    return page


def _describe(session: Session, page: ExposurePage, advisory_ids: set[str]) -> None:
    if not advisory_ids:
        return
    ids = sorted(advisory_ids)
    aliases: dict[str, list[str]] = defaultdict(list)
    for advisory_id, alias in session.execute(
        select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias)
        .where(AdvisoryAlias.advisory_id.in_(ids), AdvisoryAlias.kind == "alias")
        .order_by(AdvisoryAlias.alias)
    ):
        aliases[advisory_id].append(alias)
    page.aliases = dict(aliases)
    page.summaries = dict(
        session.execute(select(Advisory.id, Advisory.summary).where(Advisory.id.in_(ids))).all()
    )


def get_exposure(session: Session, organization_id: int, exposure_id: int) -> ExposurePage | None:
    """One exposure of the organization (None for another's: the caller answers 404)."""
    row = session.execute(
        select(Exposure, System)
        .join(System, System.id == Exposure.system_id)
        .where(Exposure.id == exposure_id, Exposure.organization_id == organization_id)
    ).first()
    if row is None:
        return None
    page = ExposurePage(1, [(row[0], row[1])])
    _describe(session, page, {row[0].advisory_id})
    return page


def open_counts(session: Session, organization_id: int) -> dict[int, dict[str, Any]]:
    """Per system: live exposures, how many are on KEV, the worst severity rank."""
    rows = session.execute(
        select(
            Exposure.system_id,
            func.count(),
            func.sum(cast(Exposure.kev, Integer)),
            func.max(Exposure.severity_rank),
        )
        .where(
            Exposure.organization_id == organization_id,
            Exposure.resolved_at.is_(None),
            Exposure.state.in_([VexStatus.affected.value, VexStatus.under_investigation.value]),
        )
        .group_by(Exposure.system_id)
    ).all()
    return {
        system_id: {
            "open": count,
            "kev": int(kev or 0),
            "worst": SEVERITIES[rank - 1] if rank else None,
        }
        for system_id, count, kev, rank in rows
    }
