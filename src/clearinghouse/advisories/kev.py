"""Load the KEV catalog into the knowledge base (the catalog replaces the previous one)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, union
from sqlalchemy.orm import Session

from clearinghouse.advisories.models import Advisory, AdvisoryAlias, FeedState, KevEntry
from clearinghouse.store import Database, utcnow

if TYPE_CHECKING:  # not needed to look up KEV status, which every scan does
    from clearinghouse.advisories.importer import ChangeListener
    from clearinghouse.formats.kev import KevCatalog


@dataclass(frozen=True, slots=True)
class KevImportReport:
    version: str | None
    entries: int
    added: int
    removed: int
    advisories_changed: int = 0
    """Advisories whose KEV status changed (named by id or alias by an added or removed CVE)."""


def store_kev_catalog(
    db: Database,
    catalog: KevCatalog,
    source: str,
    listeners: Iterable[ChangeListener] = (),
) -> KevImportReport:
    """Replace the stored catalog with ``catalog`` in one transaction.

    ``listeners`` (as for :class:`~clearinghouse.advisories.importer.AdvisoryImporter`) hear,
    in that transaction, of the advisories whose KEV status changed, so that exposures'
    KEV flags follow the catalog.
    """
    listeners = list(listeners)
    with db.session() as session:
        before = set(session.scalars(select(KevEntry.cve_id)))
        session.execute(delete(KevEntry))
        rows = {
            r.cve_id: {
                "cve_id": r.cve_id,
                "vendor_project": r.vendor_project,
                "product": r.product,
                "vulnerability_name": r.vulnerability_name,
                "date_added": r.date_added,
                "short_description": r.short_description,
                "required_action": r.required_action,
                "due_date": r.due_date,
                "known_ransomware_campaign_use": r.known_ransomware_campaign_use,
                "notes": r.notes,
                "cwes": list(r.cwes),
            }
            for r in catalog.records
        }
        if rows:
            session.execute(insert(KevEntry), list(rows.values()))
        _remember_feed(session, source, catalog.version, len(rows))
        after = set(rows)
        changed = advisories_naming(session, before ^ after)
        for listener in listeners:
            listener(session, changed)
    return KevImportReport(
        catalog.version, len(after), len(after - before), len(before - after), len(changed)
    )


def advisories_naming(session: Session, cve_ids: set[str]) -> list[str]:
    """Ids of the advisories that are, or alias, one of ``cve_ids``."""
    found: set[str] = set()
    ids = sorted(cve_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            session.scalars(
                union(
                    select(Advisory.id).where(Advisory.id.in_(chunk)),
                    select(AdvisoryAlias.advisory_id).where(AdvisoryAlias.alias.in_(chunk)),
                )
            )
        )
    return sorted(found)


def _remember_feed(session: Session, source: str, version: str | None, records: int) -> None:
    state = session.get(FeedState, "kev") or FeedState(name="kev")
    state.location = source
    state.version = version
    state.records = records
    state.fetched_at = utcnow()
    session.add(state)


def kev_cves(session: Session, cve_ids: set[str]) -> set[str]:
    """Which of ``cve_ids`` are in the KEV catalog."""
    found: set[str] = set()
    ids = sorted(cve_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(session.scalars(select(KevEntry.cve_id).where(KevEntry.cve_id.in_(chunk))))
    return found
