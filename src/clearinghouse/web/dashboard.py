"""What an operator's dashboard shows: open exposures by severity, KEV and system, the upgrades
that close the most (and worst) of them, and how the count moved over the last weeks.

Read-only over the exposures part, always within one organization. "Open" is what the exposure
list and the API count as open: live (not resolved) and ``affected`` or
``under_investigation``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clearinghouse.advisories.models import Advisory, FeedState, KevEntry
from clearinghouse.exposures.models import Exposure, VexStatus
from clearinghouse.inventories.models import Criticality, System
from clearinghouse.store import utcnow

OPEN_STATES = (VexStatus.affected.value, VexStatus.under_investigation.value)
CRITICALITY_RANK = {
    Criticality.safety_critical.value: 2,
    Criticality.business_critical.value: 1,
    Criticality.other.value: 0,
}
RATINGS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE")


@dataclass
class Upgrade:
    """One package version to move, and what moving it closes."""

    ecosystem: str
    name: str
    version: str
    target: str | None
    """The remediation: the smallest version above this one no known advisory affects."""
    exposure_ids: list[int] = field(default_factory=list)
    advisories: set[str] = field(default_factory=set)
    kev_advisories: set[str] = field(default_factory=set)
    worst_rank: int = 0
    top_score: float = 0.0
    systems: dict[int, tuple[str, str]] = field(default_factory=dict)
    """id -> (name, criticality)."""

    @property
    def worst(self) -> str | None:
        return RATINGS[5 - self.worst_rank] if self.worst_rank else None

    @property
    def critical_systems(self) -> int:
        return sum(1 for _, c in self.systems.values() if c == Criticality.safety_critical.value)

    def sort_key(self) -> tuple[int, int, int, int, float]:
        return (
            len(self.kev_advisories),
            self.worst_rank,
            max((CRITICALITY_RANK.get(c, 0) for _, c in self.systems.values()), default=0),
            len(self.exposure_ids),
            self.top_score,
        )


@dataclass
class SystemLoad:
    id: int
    name: str
    criticality: str
    open: int = 0
    kev: int = 0
    worst_rank: int = 0

    @property
    def worst(self) -> str | None:
        return RATINGS[5 - self.worst_rank] if self.worst_rank else None


@dataclass
class Overview:
    open_total: int
    kev_total: int
    by_severity: dict[str, int]
    """CRITICAL .. NONE and ``unknown``."""
    systems: list[SystemLoad]
    """Systems with open exposures, most urgent first."""
    upgrades: list[Upgrade]
    """Patch these first: fixable upgrades, most urgent first."""
    unfixable: list[Upgrade]
    """Open exposures with no fixed version known yet."""
    system_count: int


def _open_rows(
    session: Session, organization_id: int, system_id: int | None = None
) -> list[tuple[Exposure, System]]:
    query = (
        select(Exposure, System)
        .join(System, System.id == Exposure.system_id)
        .where(
            Exposure.organization_id == organization_id,
            Exposure.resolved_at.is_(None),
            Exposure.state.in_(OPEN_STATES),
        )
    )
    if system_id is not None:
        query = query.where(Exposure.system_id == system_id)
    rows = session.execute(query).all()
    return [(exposure, system) for exposure, system in rows]


def overview(
    session: Session, organization_id: int, *, plan_size: int = 10, system_id: int | None = None
) -> Overview:
    """The organization's open exposures (or one system's), summed up and planned."""
    rows = _open_rows(session, organization_id, system_id)
    by_severity: Counter[str] = Counter()
    loads: dict[int, SystemLoad] = {}
    upgrades: dict[tuple[str, str, str, str | None], Upgrade] = {}
    for exposure, system in rows:
        rating = (exposure.severity_rating or "").upper()
        by_severity[rating if rating in RATINGS else "unknown"] += 1
        load = loads.get(system.id)
        if load is None:
            load = loads[system.id] = SystemLoad(system.id, system.name, system.criticality)
        load.open += 1
        load.kev += int(exposure.kev)
        load.worst_rank = max(load.worst_rank, exposure.severity_rank)
        key = (exposure.ecosystem, exposure.name, exposure.version, exposure.remediation)
        upgrade = upgrades.get(key)
        if upgrade is None:
            upgrade = upgrades[key] = Upgrade(*key)
        upgrade.exposure_ids.append(exposure.id)
        upgrade.advisories.add(exposure.advisory_id)
        if exposure.kev:
            upgrade.kev_advisories.add(exposure.advisory_id)
        upgrade.worst_rank = max(upgrade.worst_rank, exposure.severity_rank)
        upgrade.top_score = max(upgrade.top_score, exposure.severity_score or 0.0)
        upgrade.systems[system.id] = (system.name, system.criticality)
    ranked = sorted(upgrades.values(), key=Upgrade.sort_key, reverse=True)
    for upgrade in ranked:
        upgrade.exposure_ids.sort()
    system_count = len(
        session.scalars(select(System.id).where(System.organization_id == organization_id)).all()
    )
    return Overview(
        open_total=len(rows),
        kev_total=sum(load.kev for load in loads.values()),
        by_severity={r: by_severity.get(r, 0) for r in (*RATINGS, "unknown")},
        systems=sorted(
            loads.values(),
            key=lambda s: (s.kev, s.worst_rank, CRITICALITY_RANK.get(s.criticality, 0), s.open),
            reverse=True,
        ),
        upgrades=[u for u in ranked if u.target is not None][:plan_size],
        unfixable=[u for u in ranked if u.target is None][:plan_size],
        system_count=system_count,
    )


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """What the matching rests on: with no advisory, "nothing to patch" would mean nothing."""

    advisories: int
    updated_at: datetime | None
    """When an advisory was last imported (by ``db import``, ``db sync`` or the worker)."""
    kev_entries: int
    kev_fetched_at: datetime | None


def knowledge_base(session: Session) -> KnowledgeBase:
    kev_state = session.get(FeedState, "kev")
    return KnowledgeBase(
        advisories=session.scalar(select(func.count()).select_from(Advisory)) or 0,
        updated_at=session.scalar(select(func.max(Advisory.imported_at))),
        kev_entries=session.scalar(select(func.count()).select_from(KevEntry)) or 0,
        kev_fetched_at=kev_state.fetched_at if kev_state is not None else None,
    )


@dataclass(frozen=True, slots=True)
class Trend:
    days: list[date]
    open: list[int]
    """Open exposures at each day's end: those that appeared by then and were not yet resolved
    (by upgrade, removal or advisory change). An exposure a VEX statement has since closed (not
    affected, fixed) is left out of every day, so today's figure is the dashboard's open count."""
    kev: list[int]


def trend(
    session: Session, organization_id: int, *, days: int = 30, now: datetime | None = None
) -> Trend:
    """Day by day over the last ``days`` days (UTC), ending today."""
    now = now or utcnow()
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, UTC)
    rows = session.execute(
        select(Exposure.first_seen, Exposure.resolved_at, Exposure.kev).where(
            Exposure.organization_id == organization_id,
            Exposure.state.in_(OPEN_STATES),
            or_(Exposure.resolved_at.is_(None), Exposure.resolved_at >= start),
        )
    ).all()
    series = [first + timedelta(days=i) for i in range(days)]
    opened_count = [0] * (days + 1)
    kev = [0] * (days + 1)
    for first_seen, resolved_at, is_kev in rows:
        opened = max(0, (first_seen.astimezone(UTC).date() - first).days)
        closed = days
        if resolved_at is not None:
            closed = min(days, (resolved_at.astimezone(UTC).date() - first).days)
        if opened >= closed:
            continue
        opened_count[opened] += 1
        opened_count[closed] -= 1
        if is_kev:
            kev[opened] += 1
            kev[closed] -= 1
    return Trend(series, _running(opened_count[:days]), _running(kev[:days]))


def _running(deltas: list[int]) -> list[int]:
    total = 0
    out = []
    for delta in deltas:
        total += delta
        out.append(total)
    return out
