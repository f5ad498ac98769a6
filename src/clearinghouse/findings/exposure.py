"""Who is exposed to a vulnerability: operators, systems, their sectors and criticality.

Read-only over the exposures and inventories parts. A vulnerability that restates or became
a knowledge-base advisory counts that advisory's live exposures; a new one (not public, so
no exposure rows exist) is matched against the inventories in force by package and affected
versions — the same facts, computed without publishing anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clearinghouse.ecosystems import base_ecosystem, name_key

__all__ = ["ExposureFacts", "exposure_facts", "inventory_packages"]

_CHUNK = 400


@dataclass
class ExposureFacts:
    operators: set[int] = field(default_factory=set)
    systems: set[int] = field(default_factory=set)
    sectors: set[str] = field(default_factory=set)
    criticalities: set[str] = field(default_factory=set)
    source: str = "none"
    """``exposures`` (live exposure rows of the advisory) or ``inventories`` (matched now)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "operators": len(self.operators),
            "systems": len(self.systems),
            "sectors": sorted(self.sectors),
            "criticality": sorted(self.criticalities),
            "source": self.source,
        }


def inventory_packages(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (ecosystem base, name key) pairs some inventory in force contains."""
    from clearinghouse.inventories.models import InventoryComponent
    from clearinghouse.store import pairs_present

    current = select(InventoryComponent).where(InventoryComponent.current.is_(True)).subquery()
    return pairs_present(session, current.c.ecosystem_base, current.c.name_key, set(keys))


def _from_exposures(
    session: Session, advisory_of: Mapping[str, str], facts: dict[str, ExposureFacts]
) -> None:
    from clearinghouse.exposures.models import Exposure
    from clearinghouse.inventories.models import System
    from clearinghouse.participants.models import Organization

    by_advisory: dict[str, list[str]] = defaultdict(list)
    for vulnerability_id, advisory_id in advisory_of.items():
        by_advisory[advisory_id].append(vulnerability_id)
    advisory_ids = sorted(by_advisory)
    for start in range(0, len(advisory_ids), _CHUNK):
        rows = session.execute(
            select(
                Exposure.advisory_id,
                Exposure.organization_id,
                Exposure.system_id,
                System.criticality,
                Organization.sector,
            )
            .join(System, System.id == Exposure.system_id)
            .join(Organization, Organization.id == Exposure.organization_id)
            .where(
                Exposure.advisory_id.in_(advisory_ids[start : start + _CHUNK]),
                Exposure.resolved_at.is_(None),
                Exposure.state.in_(("affected", "under_investigation")),
            )
        )
        for advisory_id, org_id, system_id, criticality, sector in rows:
            for vulnerability_id in by_advisory[advisory_id]:
                fact = facts[vulnerability_id]
                fact.source = "exposures"
                fact.operators.add(org_id)
                fact.systems.add(system_id)
                if sector:
                    fact.sectors.add(sector)
                fact.criticalities.add(criticality)


def _from_inventories(
    session: Session,
    affected_of: Mapping[str, Sequence[Mapping[str, Any]]],
    facts: dict[str, ExposureFacts],
) -> None:
    from clearinghouse.inventories.models import InventoryComponent, System
    from clearinghouse.participants.models import Organization
    from clearinghouse.versions import compile_affected

    wanted: dict[tuple[str, str], list[tuple[str, Any]]] = defaultdict(list)
    for vulnerability_id, entries in affected_of.items():
        for entry in entries:
            package = entry.get("package") or {}
            if not isinstance(package.get("ecosystem"), str) or not isinstance(
                package.get("name"), str
            ):
                continue
            key = (
                base_ecosystem(package["ecosystem"]),
                name_key(package["ecosystem"], package["name"]),
            )
            wanted[key].append((vulnerability_id, compile_affected(entry)))
    keys = sorted(wanted)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = session.execute(
            select(
                InventoryComponent.ecosystem_base,
                InventoryComponent.name_key,
                InventoryComponent.version,
                System.id,
                System.organization_id,
                System.criticality,
                Organization.sector,
            )
            .join(System, System.id == InventoryComponent.system_id)
            .join(Organization, Organization.id == System.organization_id)
            .where(
                InventoryComponent.current.is_(True),
                or_(
                    *(
                        and_(
                            InventoryComponent.ecosystem_base == b, InventoryComponent.name_key == n
                        )
                        for b, n in chunk
                    )
                ),
            )
        )
        for row in rows:
            if row.version is None:
                continue
            version, system_id, org_id = row.version, row.id, row.organization_id
            criticality, sector = row.criticality, row.sector
            for vulnerability_id, ranges in wanted[(str(row.ecosystem_base), str(row.name_key))]:
                if ranges.contains(version):
                    fact = facts[vulnerability_id]
                    fact.source = "inventories"
                    fact.operators.add(org_id)
                    fact.systems.add(system_id)
                    if sector:
                        fact.sectors.add(sector)
                    fact.criticalities.add(criticality)


def exposure_facts(
    session: Session,
    vulnerabilities: Iterable[tuple[str, str | None, Sequence[Mapping[str, Any]]]],
) -> dict[str, ExposureFacts]:
    """Facts per vulnerability id, from ``(id, advisory id or None, affected entries)``."""
    facts: dict[str, ExposureFacts] = {}
    advisory_of: dict[str, str] = {}
    affected_of: dict[str, Sequence[Mapping[str, Any]]] = {}
    for vulnerability_id, advisory_id, affected in vulnerabilities:
        facts[vulnerability_id] = ExposureFacts()
        if advisory_id:
            advisory_of[vulnerability_id] = advisory_id
        elif affected:
            affected_of[vulnerability_id] = affected
    if advisory_of:
        _from_exposures(session, advisory_of, facts)
    if affected_of:
        _from_inventories(session, affected_of, facts)
    return facts
