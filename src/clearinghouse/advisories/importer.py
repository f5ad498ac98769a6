"""Import OSV records into the knowledge base.

Each source (one ``all.zip``, one directory) is imported in ONE transaction, written in batches
of statements: a source that fails half-way (a corrupt archive, a broken download) leaves the
database as it was. Bad records never abort a source: each is reported with its file, id and
reason, and skipped. Re-importing is idempotent: a stored record is replaced only by one with a
newer ``modified``. Listeners see the ids that changed inside the same transaction, so that
whatever they derive from advisories (exposures, notifications) commits or rolls back with them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from clearinghouse.advisories.models import Advisory, AdvisoryAlias, AffectedPackage
from clearinghouse.advisories.sources import AdvisorySource, RawRecord
from clearinghouse.ecosystems import base_ecosystem, name_key
from clearinghouse.formats.osv import parse_timestamp, record_severity, schema_errors
from clearinghouse.store import Database, bulk_insert, utcnow

ADVISORY = cast(Table, Advisory.__table__)
ADVISORY_ALIAS = cast(Table, AdvisoryAlias.__table__)
AFFECTED_PACKAGE = cast(Table, AffectedPackage.__table__)

__all__ = ["AdvisoryImporter", "BadRecord", "EcosystemCounts", "ImportReport"]

ChangeListener = Callable[[Session, Sequence[str]], None]
"""Called inside the import transaction with the ids of new or updated advisories."""
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class BadRecord:
    origin: str
    id: str | None
    reason: str


@dataclass
class EcosystemCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    """Already stored with the same or a newer ``modified``."""
    withdrawn: int = 0
    """Of the new and updated ones, how many are withdrawn."""
    invalid: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.invalid


@dataclass
class ImportReport:
    counts: dict[str, EcosystemCounts] = field(default_factory=dict)
    bad: list[BadRecord] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def ecosystem(self, name: str) -> EcosystemCounts:
        return self.counts.setdefault(name, EcosystemCounts())

    @property
    def records(self) -> int:
        return sum(c.total for c in self.counts.values())

    def merge(self, other: ImportReport) -> None:
        for name, c in other.counts.items():
            mine = self.ecosystem(name)
            mine.new += c.new
            mine.updated += c.updated
            mine.unchanged += c.unchanged
            mine.withdrawn += c.withdrawn
            mine.invalid += c.invalid
        self.bad.extend(other.bad)
        self.changed.extend(other.changed)
        self.sources.extend(other.sources)
        self.seconds += other.seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "seconds": round(self.seconds, 3),
            "records": self.records,
            "ecosystems": {
                name: {
                    "new": c.new,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                    "withdrawn": c.withdrawn,
                    "invalid": c.invalid,
                }
                for name, c in sorted(self.counts.items())
            },
            "bad_records": [{"file": b.origin, "id": b.id, "reason": b.reason} for b in self.bad],
        }


@dataclass(slots=True)
class _Prepared:
    id: str
    ecosystem: str
    modified: Any
    row: dict[str, Any]
    aliases: list[dict[str, Any]]
    affected: list[dict[str, Any]]
    withdrawn: bool


def _primary_ecosystem(record: dict[str, Any], fallback: str) -> str:
    for affected in record.get("affected") or ():
        package = affected.get("package") or {}
        ecosystem = package.get("ecosystem")
        if isinstance(ecosystem, str) and ecosystem:
            return base_ecosystem(ecosystem)
    return fallback


def prepare_record(raw: RawRecord, source_label: str) -> _Prepared | BadRecord:
    """Parse and validate one record and build its rows; a BadRecord says why not."""
    try:
        record = orjson.loads(raw.data)
    except orjson.JSONDecodeError as exc:
        return BadRecord(raw.origin, None, f"not valid JSON: {exc}")
    if not isinstance(record, dict):
        return BadRecord(raw.origin, None, "not a JSON object")
    record_id = record.get("id") if isinstance(record.get("id"), str) else None
    errors = schema_errors(record)
    if errors:
        return BadRecord(raw.origin, record_id, "OSV schema: " + "; ".join(errors))
    assert record_id is not None
    try:
        modified = parse_timestamp(record["modified"])
        published = parse_timestamp(record["published"]) if record.get("published") else None
        withdrawn = parse_timestamp(record["withdrawn"]) if record.get("withdrawn") else None
    except ValueError as exc:
        return BadRecord(raw.origin, record_id, f"bad timestamp: {exc}")
    severity = record_severity(record)
    summary = record.get("summary") or None
    if summary is None and record.get("details"):
        summary = record["details"].strip().split("\n", 1)[0][:300] or None
    row = {
        "id": record_id,
        "modified": modified,
        "published": published,
        "withdrawn": withdrawn,
        "summary": summary,
        "severity_rating": severity.rating,
        "severity_score": severity.score,
        "severity_vector": severity.vector,
        "source": source_label,
        "record": orjson.dumps(record).decode(),
        "imported_at": utcnow(),
    }
    aliases: dict[str, str] = {}
    for kind, key in (("alias", "aliases"), ("upstream", "upstream")):
        for alias in record.get(key) or ():
            if alias != record_id:
                aliases.setdefault(alias, kind)
    alias_rows = [
        {"advisory_id": record_id, "alias": alias, "kind": kind} for alias, kind in aliases.items()
    ]
    affected_rows = []
    for ordinal, affected in enumerate(record.get("affected") or ()):
        package = affected.get("package")
        if not package:
            continue  # GIT-only entries without a package are kept in the record only
        ecosystem = package["ecosystem"]
        affected_rows.append(
            {
                "advisory_id": record_id,
                "ordinal": ordinal,
                "ecosystem": ecosystem,
                "ecosystem_base": base_ecosystem(ecosystem),
                "name": package["name"],
                "name_key": name_key(ecosystem, package["name"]),
                "purl": package.get("purl"),
                "entry": orjson.dumps(affected).decode(),
            }
        )
    return _Prepared(
        record_id,
        _primary_ecosystem(record, source_label),
        modified,
        row,
        alias_rows,
        affected_rows,
        withdrawn is not None,
    )


class AdvisoryImporter:
    """Imports sources into a database, one transaction per source."""

    def __init__(
        self,
        db: Database,
        *,
        batch_size: int = 1000,
        listeners: Iterable[ChangeListener] = (),
    ) -> None:
        self.db = db
        self.batch_size = batch_size
        self.listeners = list(listeners)

    def import_sources(
        self,
        sources: Iterable[AdvisorySource],
        progress: Callable[[AdvisorySource], ProgressCallback] | None = None,
    ) -> ImportReport:
        report = ImportReport()
        for source in sources:
            report.merge(self.import_source(source, progress(source) if progress else None))
        return report

    def import_source(
        self, source: AdvisorySource, advance: ProgressCallback | None = None
    ) -> ImportReport:
        with self.db.session() as session:
            return self.import_into(session, source, advance)

    def import_into(
        self, session: Session, source: AdvisorySource, advance: ProgressCallback | None = None
    ) -> ImportReport:
        """Import ``source`` inside the caller's transaction (listeners run in it too)."""
        started = time.perf_counter()
        report = ImportReport(sources=[source.label])
        batch: dict[str, _Prepared] = {}
        for raw in source.records():
            prepared = prepare_record(raw, source.label)
            if isinstance(prepared, BadRecord):
                report.bad.append(prepared)
                report.ecosystem(source.label).invalid += 1
            else:
                kept = batch.get(prepared.id)
                if kept is not None:
                    # the same id twice in one source: the newer copy wins
                    report.ecosystem(kept.ecosystem).unchanged += 1
                    if prepared.modified <= kept.modified:
                        prepared = kept
                batch[prepared.id] = prepared
                if len(batch) >= self.batch_size:
                    self._write(session, list(batch.values()), report)
                    batch.clear()
            if advance:
                advance(1)
        if batch:
            self._write(session, list(batch.values()), report)
        if report.changed:
            for listener in self.listeners:
                listener(session, report.changed)
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, session: Session, batch: list[_Prepared], report: ImportReport) -> None:
        ids = [p.id for p in batch]
        stored = dict(
            session.execute(
                select(Advisory.id, Advisory.modified).where(Advisory.id.in_(ids))
            ).all()
        )
        new: list[_Prepared] = []
        updated: list[_Prepared] = []
        for prepared in batch:
            counts = report.ecosystem(prepared.ecosystem)
            previous = stored.get(prepared.id)
            if previous is None:
                new.append(prepared)
                counts.new += 1
            elif prepared.modified > previous:
                updated.append(prepared)
                counts.updated += 1
            else:
                counts.unchanged += 1
                continue
            if prepared.withdrawn:
                counts.withdrawn += 1
        if updated:
            updated_ids = [p.id for p in updated]
            session.execute(delete(AdvisoryAlias).where(AdvisoryAlias.advisory_id.in_(updated_ids)))
            session.execute(
                delete(AffectedPackage).where(AffectedPackage.advisory_id.in_(updated_ids))
            )
            session.execute(update(Advisory), [p.row for p in updated])
        bulk_insert(session, ADVISORY, [p.row for p in new])
        changed = new + updated
        bulk_insert(session, ADVISORY_ALIAS, [row for p in changed for row in p.aliases])
        bulk_insert(session, AFFECTED_PACKAGE, [row for p in changed for row in p.affected])
        report.changed.extend(p.id for p in changed)
