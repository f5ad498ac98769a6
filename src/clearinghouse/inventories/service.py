"""Pushing an inventory for a system (creating the system, keeping every previous version) and
reading systems back. One push is one transaction: the system, the new inventory version, its
components, the exposures it opens and resolves, and the audit events commit together."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from clearinghouse.advisories.matching import Matcher
from clearinghouse.audit import Actor, record_event
from clearinghouse.ecosystems import base_ecosystem, name_key
from clearinghouse.exposures.service import (
    ExposureChanges,
    audit_changes,
    lock_matching,
    rematch_system,
)
from clearinghouse.formats.cyclonedx_vex import bom_identity
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Component
from clearinghouse.formats.inventory import Inventory as ParsedInventory
from clearinghouse.inventories.models import Criticality, Inventory, InventoryComponent, System
from clearinghouse.store import Database, utcnow

__all__ = ["PushResult", "find_system", "push_inventory", "system_snapshot"]

MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class PushResult:
    system: System
    inventory: Inventory
    created: bool
    """The system did not exist before this push."""
    exposures: ExposureChanges


def system_name(value: str) -> str:
    """A system name as stored: trimmed, NFC, 1-200 printable characters."""
    name = unicodedata.normalize("NFC", value.strip())
    if not name:
        raise InputError("system", "a system needs a name")
    if len(name) > MAX_NAME:
        raise InputError("system", f"a system name is at most {MAX_NAME} characters")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InputError("system", "a system name cannot contain control characters")
    return name


def system_snapshot(system: System) -> dict[str, Any]:
    return {
        "id": system.id,
        "name": system.name,
        "criticality": system.criticality,
        "current_version": system.current_version,
    }


def inventory_snapshot(inventory: Inventory) -> dict[str, Any]:
    return {
        "id": inventory.id,
        "system_id": inventory.system_id,
        "version": inventory.version,
        "format": inventory.format,
        "filename": inventory.filename,
        "sha256": inventory.sha256,
        "size": inventory.size,
        "component_count": inventory.component_count,
        "warnings": list(inventory.warnings),
        "bom_serial": inventory.bom_serial,
    }


def find_system(session: Session, organization_id: int, name: str) -> System | None:
    return session.scalar(
        select(System).where(System.organization_id == organization_id, System.name == name)
    )


def push_inventory(
    session: Session,
    db: Database,
    actor: Actor,
    organization_id: int,
    *,
    system: str,
    criticality: Criticality | None,
    filename: str,
    data: bytes,
    parsed: ParsedInventory,
    matcher: Matcher | None = None,
) -> PushResult:
    """Create the system or replace its inventory (keeping the previous versions)."""
    name = system_name(system)
    lock_matching(session, exclusive=False)
    record = session.scalar(
        select(System)
        .where(System.organization_id == organization_id, System.name == name)
        .with_for_update()
    )
    created = record is None
    now = utcnow()
    if record is None:
        record = System(
            organization_id=organization_id,
            name=name,
            criticality=(criticality or Criticality.other).value,
            current_version=0,
            created_at=now,
            updated_at=now,
        )
        session.add(record)
        session.flush()
        record_event(
            session,
            actor,
            "system.create",
            "system",
            record.id,
            after=system_snapshot(record),
            organization_id=organization_id,
        )
    elif criticality is not None and criticality.value != record.criticality:
        before = system_snapshot(record)
        record.criticality = criticality.value
        record_event(
            session,
            actor,
            "system.update",
            "system",
            record.id,
            before=before,
            after=system_snapshot(record),
            organization_id=organization_id,
        )
    inventory = _store_inventory(session, actor, record, filename, data, parsed)
    changes = rematch_system(session, db, record, parsed.components, matcher=matcher)
    audit_changes(
        session,
        actor,
        changes,
        target_type="system",
        target_id=record.id,
        cause={"inventory": inventory.id, "version": inventory.version},
    )
    return PushResult(record, inventory, created, changes)


def _store_inventory(
    session: Session,
    actor: Actor,
    system: System,
    filename: str,
    data: bytes,
    parsed: ParsedInventory,
) -> Inventory:
    identity = bom_identity(data, filename) if parsed.format.startswith("CycloneDX") else None
    version = system.current_version + 1
    inventory = Inventory(
        system_id=system.id,
        version=version,
        format=parsed.format,
        filename=filename[:1024],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        uploaded_by=actor.name,
        uploaded_at=utcnow(),
        component_count=len(parsed.components),
        warnings=list(parsed.warnings),
        subject=(parsed.name or None) and parsed.name[:1024],
        bom_serial=identity.serial if identity else None,
        bom_version=identity.version if identity else None,
        subject_ref=identity.subject_ref if identity else None,
        subject_version=identity.subject_version if identity else None,
    )
    session.add(inventory)
    session.flush()
    session.execute(
        update(InventoryComponent)
        .where(InventoryComponent.system_id == system.id, InventoryComponent.current)
        .values(current=False)
    )
    rows = [_component_row(inventory, system, c) for c in parsed.components]
    for start in range(0, len(rows), 5000):
        session.execute(insert(InventoryComponent), rows[start : start + 5000])
    before = system_snapshot(system)
    system.current_version = version
    system.updated_at = inventory.uploaded_at
    record_event(
        session,
        actor,
        "inventory.upload",
        "system",
        system.id,
        before=before,
        after={**system_snapshot(system), "inventory": inventory_snapshot(inventory)},
        organization_id=system.organization_id,
    )
    return inventory


def _component_row(inventory: Inventory, system: System, component: Component) -> dict[str, Any]:
    ecosystem = component.ecosystem
    return {
        "inventory_id": inventory.id,
        "system_id": system.id,
        "current": True,
        "purl": component.purl,
        "ecosystem": ecosystem,
        "ecosystem_base": base_ecosystem(ecosystem) if ecosystem else None,
        "name": component.name,
        "name_key": name_key(ecosystem, component.name) if ecosystem else component.name,
        "version": component.version,
        "ref": component.ref,
        "dev": component.dev,
    }


# -- reading ----------------------------------------------------------------------------------


def list_systems(session: Session, organization_id: int) -> list[tuple[System, Inventory | None]]:
    """The organization's systems with the inventory in force, by name."""
    rows = session.execute(
        select(System, Inventory)
        .outerjoin(
            Inventory,
            (Inventory.system_id == System.id) & (Inventory.version == System.current_version),
        )
        .where(System.organization_id == organization_id)
        .order_by(func.lower(System.name), System.id)
    ).all()
    return [(system, inventory) for system, inventory in rows]


def system_versions(session: Session, system_id: int) -> list[Inventory]:
    return list(
        session.scalars(
            select(Inventory).where(Inventory.system_id == system_id).order_by(Inventory.version)
        )
    )


def inventory_components(session: Session, inventory_id: int) -> list[InventoryComponent]:
    return list(
        session.scalars(
            select(InventoryComponent)
            .where(InventoryComponent.inventory_id == inventory_id)
            .order_by(InventoryComponent.id)
        )
    )
