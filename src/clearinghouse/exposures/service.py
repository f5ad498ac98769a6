"""Keeping live exposures up to date: on inventory change and on advisory change.

Both paths compute the exposures that *should* be open for their scope (one system's new
inventory; the systems holding the packages of the changed advisories) and reconcile them
with what is stored, in the caller's transaction: new ones are inserted, resolved ones that
match again are reopened, open ones that no longer match are resolved with the reason. VEX
statements already recorded decide the state of new exposures; each organization gets one
audit event listing its changes; new exposures are published as notification events.

Advisory changes are queued by :func:`queue_advisory_changes` (an importer listener, so in the
import's own transaction) and drained by :func:`process_advisory_changes`, which reverse-matches
each changed advisory through the partial index on current components: it loads only the
components of the packages the advisory names, compiles each affected entry once, and
evaluates each distinct (ecosystem, package, version) once, however many systems hold it.

On PostgreSQL, uploads take a shared advisory lock and advisory processing and VEX recording
an exclusive one: an upload that read the knowledge base before an import committed is then
always seen by the processing of that import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearinghouse.advisories.kev import kev_cves
from clearinghouse.advisories.matching import (
    IndexedEntry,
    Matcher,
    release_matches,
    remediation_target,
)
from clearinghouse.advisories.models import Advisory, AdvisoryAlias, AffectedPackage
from clearinghouse.audit import Actor
from clearinghouse.audit.log import PendingEvent, record_events
from clearinghouse.ecosystems import name_key
from clearinghouse.exposures.models import (
    RESOLVED_STATE,
    Exposure,
    PendingAdvisoryChange,
    Resolution,
    VexStatus,
)
from clearinghouse.exposures.vex import StatementIndex, Verdict
from clearinghouse.formats.inventory import Component
from clearinghouse.formats.osv import rating_rank
from clearinghouse.inventories.models import InventoryComponent, System
from clearinghouse.notifications.events import ExposureEvent, publish_exposure_events
from clearinghouse.store import Database, bulk_insert, utcnow
from clearinghouse.versions import AffectedRanges, compile_affected

__all__ = [
    "ExposureChanges",
    "lock_matching",
    "process_advisory_changes",
    "queue_advisory_changes",
    "rematch_system",
]

_CHUNK = 500
_LOCK_KEY = 0x63686578
"""PostgreSQL advisory-lock key serialising exposure writers (``chex``)."""
ACTOR = Actor.system("exposures")

ExposureKey = tuple[int, str, str, str, str]
"""(system id, advisory id, ecosystem, name key, version): what makes an exposure unique."""


def lock_matching(session: Session, *, exclusive: bool) -> None:
    """Take the exposure lock for this transaction (PostgreSQL; SQLite serialises writers)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {function}(:key)"), {"key": _LOCK_KEY})


@dataclass(frozen=True, slots=True)
class AdvisoryInfo:
    id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity_rating: str | None
    severity_score: float | None
    kev: bool
    withdrawn: bool

    @property
    def identifiers(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


@dataclass(frozen=True, slots=True)
class Hit:
    """An exposure that should be open."""

    organization_id: int
    system_id: int
    system_name: str
    advisory_id: str
    ecosystem: str
    name: str
    name_key: str
    version: str
    purl: str
    remediation: str | None

    @property
    def key(self) -> ExposureKey:
        return (self.system_id, self.advisory_id, self.ecosystem, self.name_key, self.version)


@dataclass
class ExposureChanges:
    """What one reconciliation did (lists of audit-ready summaries)."""

    opened: list[dict[str, Any]] = field(default_factory=list)
    reopened: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    refreshed: int = 0
    published: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "opened": len(self.opened),
            "reopened": len(self.reopened),
            "resolved": len(self.resolved),
        }


# -- knowledge-base reads ---------------------------------------------------------------------


@lru_cache(maxsize=65536)
def compiled_entry(entry: str) -> AffectedRanges:
    """An ``affected[]`` entry compiled once per process (keyed by its exact JSON text)."""
    return compile_affected(orjson.loads(entry))


def advisory_infos(session: Session, advisory_ids: Iterable[str]) -> dict[str, AdvisoryInfo]:
    ids = sorted(set(advisory_ids))
    infos: dict[str, AdvisoryInfo] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        aliases: dict[str, list[str]] = defaultdict(list)
        for advisory_id, alias in session.execute(
            select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias)
            .where(AdvisoryAlias.advisory_id.in_(chunk), AdvisoryAlias.kind == "alias")
            .order_by(AdvisoryAlias.advisory_id, AdvisoryAlias.alias)
        ):
            aliases[advisory_id].append(alias)
        rows = session.execute(
            select(
                Advisory.id,
                Advisory.summary,
                Advisory.severity_rating,
                Advisory.severity_score,
                Advisory.withdrawn,
            ).where(Advisory.id.in_(chunk))
        ).all()
        cves = {r.id for r in rows if r.id.startswith("CVE-")}
        cves.update(a for names in aliases.values() for a in names if a.startswith("CVE-"))
        exploited = kev_cves(session, cves) if cves else set()
        for row in rows:
            names = tuple(aliases.get(row.id, ()))
            infos[row.id] = AdvisoryInfo(
                id=row.id,
                aliases=names,
                summary=row.summary,
                severity_rating=row.severity_rating,
                severity_score=row.severity_score,
                kev=row.id in exploited or any(n in exploited for n in names),
                withdrawn=row.withdrawn is not None,
            )
    return infos


def _entries_for(
    session: Session, packages: set[tuple[str, str]]
) -> dict[tuple[str, str], list[IndexedEntry]]:
    """Every live advisory's compiled entries for these (ecosystem base, name key) packages."""
    by_base: dict[str, list[str]] = defaultdict(list)
    for base, key in sorted(packages):
        by_base[base].append(key)
    found: dict[tuple[str, str], list[IndexedEntry]] = defaultdict(list)
    for base, keys in by_base.items():
        for start in range(0, len(keys), _CHUNK):
            rows = session.execute(
                select(
                    AffectedPackage.advisory_id,
                    AffectedPackage.ecosystem,
                    AffectedPackage.name_key,
                    AffectedPackage.entry,
                )
                .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
                .where(
                    AffectedPackage.ecosystem_base == base,
                    AffectedPackage.name_key.in_(keys[start : start + _CHUNK]),
                    Advisory.withdrawn.is_(None),
                )
                .order_by(AffectedPackage.advisory_id, AffectedPackage.ordinal)
            )
            for advisory_id, ecosystem, key, entry in rows:
                found[(base, key)].append(
                    IndexedEntry(advisory_id, ecosystem, compiled_entry(entry))
                )
    return found


# -- reconciliation ---------------------------------------------------------------------------

_EXISTING_COLUMNS = (
    Exposure.id,
    Exposure.organization_id,
    Exposure.system_id,
    Exposure.advisory_id,
    Exposure.ecosystem,
    Exposure.name_key,
    Exposure.version,
    Exposure.purl,
    Exposure.state,
    Exposure.resolved_at,
    Exposure.remediation,
    Exposure.severity_rating,
    Exposure.severity_score,
    Exposure.kev,
)


StoredRow = Any
"""A row of :data:`_EXISTING_COLUMNS` (attribute access by column name)."""


EXPOSURE = cast(Table, Exposure.__table__)


def _update_by_id(session: Session, values: list[dict[str, Any]]) -> None:
    """One executemany UPDATE per set of columns (Core: no ORM bookkeeping per row)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for value in values:
        by_columns[tuple(sorted(value))].append(value)
    for columns, group in by_columns.items():
        statement = (
            update(EXPOSURE)
            .where(EXPOSURE.c.id == bindparam("exposure_id"))
            .values({c: bindparam(f"new_{c}") for c in columns if c != "id"})
        )
        session.execute(
            statement,
            [
                {"exposure_id": v["id"], **{f"new_{c}": v[c] for c in columns if c != "id"}}
                for v in group
            ],
        )


def _key_of(row: StoredRow) -> ExposureKey:
    return (row.system_id, row.advisory_id, row.ecosystem, row.name_key, row.version)


def _summary(
    exposure_id: int, advisory_id: str, system_id: int, purl: str, state: str
) -> dict[str, Any]:
    return {
        "id": exposure_id,
        "advisory": advisory_id,
        "system": system_id,
        "purl": purl,
        "state": state,
    }


def _severity(info: AdvisoryInfo) -> dict[str, Any]:
    return {
        "severity_rating": info.severity_rating,
        "severity_score": info.severity_score,
        "severity_rank": rating_rank(info.severity_rating),
        "kev": info.kev,
    }


@dataclass
class _Reconciliation:
    session: Session
    hits: dict[ExposureKey, Hit]
    infos: dict[str, AdvisoryInfo]
    statements: StatementIndex
    now: datetime = field(default_factory=utcnow)
    changes: ExposureChanges = field(default_factory=ExposureChanges)
    opened: list[tuple[int, Hit, str, datetime | None]] = field(default_factory=list)
    """(exposure id, hit, state, resolution undone when re-opened) to publish."""
    exploited: list[tuple[int, Hit, str, datetime | None]] = field(default_factory=list)
    """Open exposures whose advisory has just entered CISA's KEV catalog, to publish."""
    closed: list[tuple[StoredRow, str]] = field(default_factory=list)
    """Exposures just resolved, with their new state, to publish."""

    def verdict(self, hit: Hit) -> Verdict:
        return self.statements.effective(hit, self.infos[hit.advisory_id].identifiers)

    def insert(self, new_hits: list[Hit]) -> None:
        values = []
        for hit in new_hits:
            verdict = self.verdict(hit)
            values.append(
                {
                    "organization_id": hit.organization_id,
                    "system_id": hit.system_id,
                    "advisory_id": hit.advisory_id,
                    "ecosystem": hit.ecosystem,
                    "name": hit.name,
                    "name_key": hit.name_key,
                    "version": hit.version,
                    "purl": hit.purl,
                    "state": verdict.status,
                    "justification": verdict.justification,
                    "vex_statement_id": verdict.statement_id,
                    "first_seen": self.now,
                    "updated_at": self.now,
                    "remediation": hit.remediation,
                    **_severity(self.infos[hit.advisory_id]),
                }
            )
        bulk_insert(self.session, EXPOSURE, values)
        ids = self._inserted_ids(new_hits)
        for hit, value in zip(new_hits, values, strict=True):
            exposure_id = ids[hit.key]
            state = str(value["state"])
            self.changes.opened.append(
                _summary(exposure_id, hit.advisory_id, hit.system_id, hit.purl, state)
            )
            self.opened.append((exposure_id, hit, state, None))

    def _inserted_ids(self, new_hits: list[Hit]) -> dict[ExposureKey, int]:
        """Ids of the rows just inserted (executemany without RETURNING is several times
        faster on PostgreSQL than multi-row VALUES with RETURNING): they alone carry this
        reconciliation's ``first_seen`` among their advisories' exposures."""
        wanted = {hit.key for hit in new_hits}
        advisories = sorted({hit.advisory_id for hit in new_hits})
        found: dict[ExposureKey, int] = {}
        for start in range(0, len(advisories), _CHUNK):
            rows = self.session.execute(
                select(
                    EXPOSURE.c.id,
                    EXPOSURE.c.system_id,
                    EXPOSURE.c.advisory_id,
                    EXPOSURE.c.ecosystem,
                    EXPOSURE.c.name_key,
                    EXPOSURE.c.version,
                ).where(
                    EXPOSURE.c.advisory_id.in_(advisories[start : start + _CHUNK]),
                    EXPOSURE.c.first_seen == self.now,
                )
            )
            for row in rows:
                key = _key_of(row)
                if key in wanted:
                    found[key] = row.id
        return found

    def reopen(self, stored: list[StoredRow]) -> None:
        values = []
        for row in stored:
            hit = self.hits[_key_of(row)]
            verdict = self.verdict(hit)
            values.append(
                {
                    "id": row.id,
                    "resolved_at": None,
                    "resolution": None,
                    "state": verdict.status,
                    "justification": verdict.justification,
                    "vex_statement_id": verdict.statement_id,
                    "updated_at": self.now,
                    "remediation": hit.remediation,
                    "purl": hit.purl,
                    **_severity(self.infos[hit.advisory_id]),
                }
            )
            self.changes.reopened.append(
                _summary(row.id, row.advisory_id, row.system_id, hit.purl, verdict.status)
            )
            self.opened.append((row.id, hit, verdict.status, row.resolved_at))
        _update_by_id(self.session, values)

    def resolve(self, stored: list[StoredRow], resolution_of: Callable[[Any], Resolution]) -> None:
        values = []
        for row in stored:
            reason = resolution_of(row)
            state = RESOLVED_STATE[reason].value
            values.append(
                {
                    "id": row.id,
                    "resolved_at": self.now,
                    "resolution": reason.value,
                    "state": state,
                    "updated_at": self.now,
                }
            )
            summary = _summary(row.id, row.advisory_id, row.system_id, row.purl, state)
            summary["resolution"] = reason.value
            self.changes.resolved.append(summary)
            if row.state not in (VexStatus.not_affected, VexStatus.fixed):
                self.closed.append((row, state))
        _update_by_id(self.session, values)

    def refresh(self, stored: dict[ExposureKey, StoredRow]) -> None:
        """Open exposures still matching: keep remediation, severity and KEV current."""
        values = []
        for key, row in stored.items():
            hit = self.hits.get(key)
            if hit is None or row.resolved_at is not None:
                continue
            info = self.infos[hit.advisory_id]
            now = (hit.remediation, info.severity_rating, info.severity_score, info.kev)
            if (row.remediation, row.severity_rating, row.severity_score, row.kev) != now:
                if info.kev and not row.kev:
                    self.exploited.append((row.id, hit, row.state, None))
                values.append(
                    {
                        "id": row.id,
                        "remediation": hit.remediation,
                        "updated_at": self.now,
                        **_severity(info),
                    }
                )
        if values:
            _update_by_id(self.session, values)
        self.changes.refreshed = len(values)


def reconcile(
    session: Session,
    existing: Sequence[StoredRow],
    hits: dict[ExposureKey, Hit],
    infos: dict[str, AdvisoryInfo],
    resolution_of: Callable[[Any], Resolution],
) -> ExposureChanges:
    """Bring ``existing`` (every stored exposure in scope) in line with ``hits``."""
    stored = {_key_of(row): row for row in existing}
    new_hits = [hit for key, hit in hits.items() if key not in stored]
    reopen = [row for key, row in stored.items() if key in hits and row.resolved_at is not None]
    resolve = [row for key, row in stored.items() if key not in hits and row.resolved_at is None]
    statements = StatementIndex(session)
    statements.load(
        (hit.organization_id, infos[hit.advisory_id].identifiers)
        for hit in [*new_hits, *(hits[_key_of(row)] for row in reopen)]
    )
    work = _Reconciliation(session, hits, infos, statements)
    if new_hits:
        work.insert(new_hits)
    if reopen:
        work.reopen(reopen)
    if resolve:
        work.resolve(resolve, resolution_of)
    work.refresh(stored)
    work.changes.published = _publish(
        session, {"exposure.new": work.opened, "exposure.kev": work.exploited}, infos
    ) + _publish_resolved(session, work.closed, infos)
    return work.changes


def _publish_resolved(
    session: Session, closed: list[tuple[StoredRow, str]], infos: dict[str, AdvisoryInfo]
) -> int:
    """``exposure.resolved`` events, from the stored rows (the advisory may be gone)."""
    if not closed:
        return 0
    system_ids = {row.system_id for row, _ in closed}
    query = select(System.id, System.name).where(System.id.in_(system_ids))
    names: dict[int, str] = {row.id: row.name for row in session.execute(query)}
    events = []
    for row, state in closed:
        info = infos.get(row.advisory_id)
        events.append(
            ExposureEvent(
                event_type="exposure.resolved",
                organization_id=row.organization_id,
                system_id=row.system_id,
                system_name=names.get(row.system_id, ""),
                exposure_id=row.id,
                advisory_id=row.advisory_id,
                aliases=info.aliases if info else (),
                summary=info.summary if info else None,
                severity_rating=row.severity_rating,
                severity_score=row.severity_score,
                kev=row.kev,
                purl=row.purl,
                version=row.version,
                remediation=row.remediation,
                state=state,
            )
        )
    return publish_exposure_events(session, events)


def _publish(
    session: Session,
    by_type: dict[str, list[tuple[int, Hit, str, datetime | None]]],
    infos: dict[str, AdvisoryInfo],
) -> int:
    events = []
    for event_type, exposures in by_type.items():
        events.extend(_events(event_type, exposures, infos))
    return publish_exposure_events(session, events) if events else 0


def _events(
    event_type: str,
    exposures: list[tuple[int, Hit, str, datetime | None]],
    infos: dict[str, AdvisoryInfo],
) -> list[ExposureEvent]:
    events = []
    for exposure_id, hit, state, reopened_after in exposures:
        if state in (VexStatus.not_affected, VexStatus.fixed):
            continue
        info = infos[hit.advisory_id]
        events.append(
            ExposureEvent(
                event_type=event_type,
                organization_id=hit.organization_id,
                system_id=hit.system_id,
                system_name=hit.system_name,
                exposure_id=exposure_id,
                advisory_id=hit.advisory_id,
                aliases=info.aliases,
                summary=info.summary,
                severity_rating=info.severity_rating,
                severity_score=info.severity_score,
                kev=info.kev,
                purl=hit.purl,
                version=hit.version,
                remediation=hit.remediation,
                state=state,
                reopened_after=reopened_after.isoformat() if reopened_after else None,
            )
        )
    return events


def audit_changes(
    session: Session,
    actor: Actor,
    changes: ExposureChanges,
    *,
    target_type: str,
    target_id: str | int,
    cause: dict[str, Any],
) -> None:
    """One audit event per organization listing its exposures opened, reopened and resolved."""
    by_org: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"opened": [], "reopened": [], "resolved": []}
    )
    systems = {
        item["system"]
        for items in (changes.opened, changes.reopened, changes.resolved)
        for item in items
    }
    if not systems:
        return
    org_of = dict(
        session.execute(
            select(System.id, System.organization_id).where(System.id.in_(systems))
        ).all()
    )
    for name, items in (
        ("opened", changes.opened),
        ("reopened", changes.reopened),
        ("resolved", changes.resolved),
    ):
        for item in items:
            by_org[org_of[item["system"]]][name].append(item)
    record_events(
        session,
        actor,
        [
            PendingEvent(
                "exposure.update",
                target_type,
                target_id,
                after={"cause": cause, **lists},
                organization_id=organization_id,
            )
            for organization_id, lists in sorted(by_org.items())
        ],
    )


# -- inventory change -------------------------------------------------------------------------


def rematch_system(
    session: Session,
    db: Database,
    system: System,
    components: Sequence[Component],
    *,
    matcher: Matcher | None = None,
) -> ExposureChanges:
    """Match a system's new inventory and reconcile its exposures (caller audits)."""
    results = (matcher or Matcher(db)).scan(components)
    hits: dict[ExposureKey, Hit] = {}
    infos: dict[str, AdvisoryInfo] = {}
    for result in results:
        component = result.component
        if not result.vulnerabilities or component.ecosystem is None or not component.version:
            continue
        key = name_key(component.ecosystem, component.name)
        for match in result.vulnerabilities:
            facts = match.advisory
            infos.setdefault(
                facts.id,
                AdvisoryInfo(
                    facts.id,
                    facts.aliases,
                    facts.summary,
                    facts.severity_rating,
                    facts.severity_score,
                    facts.kev,
                    withdrawn=False,
                ),
            )
            hit = Hit(
                system.organization_id,
                system.id,
                system.name,
                facts.id,
                component.ecosystem,
                component.name,
                key,
                component.version,
                component.purl,
                result.remediation,
            )
            hits.setdefault(hit.key, hit)
    existing = session.execute(
        select(*_EXISTING_COLUMNS).where(Exposure.system_id == system.id)
    ).all()
    present: dict[tuple[str, str], set[str]] = defaultdict(set)
    for component in components:
        if component.ecosystem is not None and component.version:
            present[(component.ecosystem, name_key(component.ecosystem, component.name))].add(
                component.version
            )
    stale = {row.advisory_id for row in existing if row.resolved_at is None} - set(infos)
    infos.update(advisory_infos(session, stale))

    def resolution_of(row: StoredRow) -> Resolution:
        versions = present.get((row.ecosystem, row.name_key))
        if not versions:
            return Resolution.removed
        if row.version not in versions:
            return Resolution.upgraded
        info = infos.get(row.advisory_id)
        return (
            Resolution.withdrawn
            if info is None or info.withdrawn
            else (Resolution.advisory_changed)
        )

    return reconcile(session, existing, hits, infos, resolution_of)


# -- advisory change --------------------------------------------------------------------------


def queue_advisory_changes(session: Session, advisory_ids: Sequence[str]) -> None:
    """Importer listener: remember changed advisories in the import's own transaction."""
    ids = sorted(set(advisory_ids))
    if not ids:
        return
    dialect = session.get_bind().dialect.name
    now = utcnow()
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(PendingAdvisoryChange).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(PendingAdvisoryChange).on_conflict_do_nothing()
    else:  # pragma: no cover - the two supported backends are above
        raise RuntimeError(f"unsupported database {dialect}")
    for start in range(0, len(ids), 5000):
        session.execute(
            statement, [{"advisory_id": a, "queued_at": now} for a in ids[start : start + 5000]]
        )


def pending_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(PendingAdvisoryChange)) or 0


def process_advisory_changes(
    db: Database, limit: int | None = None, *, batch_size: int = 200
) -> int:
    """Bring exposures up to date with queued advisory changes; returns how many were done.

    Each batch (claimed, reverse-matched, reconciled, published, dequeued) is one
    transaction; ``limit`` caps the number of advisories handled in this call.
    """
    done = 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        with db.session() as session:
            lock_matching(session, exclusive=True)
            claim = (
                select(PendingAdvisoryChange.advisory_id)
                .order_by(PendingAdvisoryChange.queued_at, PendingAdvisoryChange.advisory_id)
                .limit(size)
            )
            if session.get_bind().dialect.name == "postgresql":
                claim = claim.with_for_update(skip_locked=True)
            ids = list(session.scalars(claim))
            if not ids:
                break
            apply_advisory_changes(session, ids)
            session.execute(
                delete(PendingAdvisoryChange).where(PendingAdvisoryChange.advisory_id.in_(ids))
            )
        done += len(ids)
    return done


def apply_advisory_changes(
    session: Session, advisory_ids: Sequence[str], actor: Actor = ACTOR
) -> ExposureChanges:
    """Reverse-match changed advisories against every inventory in force and reconcile."""
    infos = advisory_infos(session, advisory_ids)
    live = {a for a, info in infos.items() if not info.withdrawn}
    packages: set[tuple[str, str]] = set()
    live_sorted = sorted(live)
    for start in range(0, len(live_sorted), _CHUNK):
        packages.update(
            session.execute(
                select(AffectedPackage.ecosystem_base, AffectedPackage.name_key)
                .where(AffectedPackage.advisory_id.in_(live_sorted[start : start + _CHUNK]))
                .distinct()
            ).all()
        )
    entries = _entries_for(session, packages) if packages else {}
    hits, refresh = _reverse_match(session, packages, entries, live)
    existing: list[StoredRow] = []
    ids = sorted(set(advisory_ids))
    for start in range(0, len(ids), _CHUNK):
        existing.extend(
            session.execute(
                select(*_EXISTING_COLUMNS).where(
                    Exposure.advisory_id.in_(ids[start : start + _CHUNK])
                )
            ).all()
        )

    def resolution_of(row: StoredRow) -> Resolution:
        info = infos.get(row.advisory_id)
        return (
            Resolution.withdrawn
            if info is None or info.withdrawn
            else (Resolution.advisory_changed)
        )

    changes = reconcile(session, existing, hits, infos, resolution_of)
    changes.refreshed += _refresh_remediation(session, refresh)
    audit_changes(
        session,
        actor,
        changes,
        target_type="advisory",
        target_id=ids[0] if len(ids) == 1 else f"{len(ids)} advisories",
        cause={"advisories": ids},
    )
    return changes


def _reverse_match(
    session: Session,
    packages: set[tuple[str, str]],
    entries: dict[tuple[str, str], list[IndexedEntry]],
    live: set[str],
) -> tuple[dict[ExposureKey, Hit], dict[tuple[str, str, str], str | None]]:
    """Hits of the ``live`` advisories among current components, and the remediation target
    of every (ecosystem, name key, version) examined."""
    by_base: dict[str, list[str]] = defaultdict(list)
    for base, key in sorted(packages):
        by_base[base].append(key)
    hits: dict[ExposureKey, Hit] = {}
    verdicts: dict[tuple[str, str, str], tuple[list[str], str | None, bool]] = {}
    for base, keys in by_base.items():
        for start in range(0, len(keys), _CHUNK):
            rows = session.execute(
                select(
                    InventoryComponent.system_id,
                    System.organization_id,
                    System.name.label("system_name"),
                    InventoryComponent.ecosystem,
                    InventoryComponent.name,
                    InventoryComponent.name_key,
                    InventoryComponent.version,
                    InventoryComponent.purl,
                )
                .join(System, System.id == InventoryComponent.system_id)
                .where(
                    InventoryComponent.current,
                    InventoryComponent.ecosystem_base == base,
                    InventoryComponent.name_key.in_(keys[start : start + _CHUNK]),
                    InventoryComponent.version.is_not(None),
                )
            ).all()
            for row in rows:
                group = (row.ecosystem, row.name_key, row.version)
                verdict = verdicts.get(group)
                if verdict is None:
                    verdict = _verdict(row, entries.get((base, row.name_key), []), live)
                    verdicts[group] = verdict
                advisories, remediation, _ = verdict
                for advisory_id in advisories:
                    hit = Hit(
                        row.organization_id,
                        row.system_id,
                        row.system_name,
                        advisory_id,
                        row.ecosystem,
                        row.name,
                        row.name_key,
                        row.version,
                        row.purl,
                        remediation,
                    )
                    hits.setdefault(hit.key, hit)
    targets = {group: remediation for group, (_, remediation, hit) in verdicts.items() if hit}
    return hits, targets


def _verdict(
    row: StoredRow, entries: list[IndexedEntry], live: set[str]
) -> tuple[list[str], str | None, bool]:
    """(changed advisories affecting this version, remediation target, affected at all)."""
    relevant = [e for e in entries if release_matches(row.ecosystem, e.ecosystem)]
    affecting = {e.advisory_id for e in relevant if e.ranges.contains(row.version)}
    if not affecting:
        return [], None, False
    component = Component(row.purl, row.ecosystem, row.name, row.version)
    return sorted(affecting & live), remediation_target(component, relevant), True


def _refresh_remediation(session: Session, targets: dict[tuple[str, str, str], str | None]) -> int:
    """New ranges can move the remediation target of other advisories' open exposures (the
    changed advisories' own exposures already carry the same target)."""
    if not targets:
        return 0
    conditions = [
        EXPOSURE.c.name_key == bindparam("package_key"),
        EXPOSURE.c.version == bindparam("package_version"),
        EXPOSURE.c.ecosystem == bindparam("package_ecosystem"),
        EXPOSURE.c.resolved_at.is_(None),
        EXPOSURE.c.remediation.is_distinct_from(bindparam("target")),
    ]
    statement = (
        update(EXPOSURE)
        .where(*conditions)
        .values(remediation=bindparam("target"), updated_at=bindparam("now"))
    )
    now = utcnow()
    result = session.execute(
        statement,
        [
            {
                "package_key": key,
                "package_version": version,
                "package_ecosystem": ecosystem,
                "target": target,
                "now": now,
            }
            for (ecosystem, key, version), target in targets.items()
        ],
    )
    return max(getattr(result, "rowcount", 0) or 0, 0)
