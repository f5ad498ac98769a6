"""Real advisories and inventories for the exposure tests (all read from ../shared/data)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from clearinghouse.advisories.importer import AdvisoryImporter, ImportReport
from clearinghouse.advisories.sources import local_sources
from clearinghouse.audit import Actor
from clearinghouse.audit.models import AuditEvent
from clearinghouse.exposures.models import Exposure
from clearinghouse.exposures.service import queue_advisory_changes
from clearinghouse.formats.inventory import ParseContext, parse_inventory
from clearinghouse.inventories.models import Criticality
from clearinghouse.inventories.service import PushResult, push_inventory
from clearinghouse.participants.models import OrganizationKind
from clearinghouse.participants.service import create_organization
from clearinghouse.store import Database
from tests.conftest import shared_path

GIB = 1 << 30
CLUSTERFUZZ = ("lockfiles", "PyPI", "clusterfuzz-src", "Pipfile.lock")
"""92 pinned packages, 13 PyPI advisories against 7 of them (cryptography, requests, ...)."""

JACKSON_XXE: dict[str, Any] = {
    # The OSV form of the public GitHub advisory GHSA-288c-cq4h-88gq (CVE-2020-25649), the
    # vulnerability of the CycloneDX VEX use cases; the shared data has no Maven bulk archive.
    "schema_version": "1.6.0",
    "id": "GHSA-288c-cq4h-88gq",
    "modified": "2024-03-15T12:00:00Z",
    "published": "2020-12-03T19:36:19Z",
    "aliases": ["CVE-2020-25649"],
    "summary": "XML External Entity (XXE) Injection in Jackson Databind",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"}],
    "affected": [
        {
            "package": {
                "ecosystem": "Maven",
                "name": "com.fasterxml.jackson.core:jackson-databind",
                "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind",
            },
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [
                        {"introduced": "0"},
                        {"fixed": "2.6.7.4"},
                        {"introduced": "2.7.0"},
                        {"fixed": "2.9.10.7"},
                        {"introduced": "2.10.0"},
                        {"fixed": "2.10.5.1"},
                    ],
                }
            ],
        }
    ],
}


def import_ecosystem(db: Database, ecosystem: str) -> ImportReport:
    return AdvisoryImporter(db, listeners=[queue_advisory_changes]).import_sources(
        local_sources(shared_path("osv", ecosystem, "all.zip"), GIB)
    )


def osv_record(ecosystem: str, advisory_id: str) -> dict[str, Any]:
    with zipfile.ZipFile(shared_path("osv", ecosystem, "all.zip")) as archive:
        record: dict[str, Any] = json.loads(archive.read(f"{advisory_id}.json"))
    return record


def import_records(db: Database, directory: Path, *records: dict[str, Any]) -> ImportReport:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):
        old.unlink()
    for record in records:
        (directory / f"{record['id']}.json").write_text(json.dumps(record))
    return AdvisoryImporter(db, listeners=[queue_advisory_changes]).import_sources(
        local_sources(directory, GIB)
    )


def organization(db: Database, name: str = "Rural Hospital") -> int:
    with db.session() as session:
        return create_organization(session, Actor.cli(), name, OrganizationKind.operator).id


def push(
    db: Database,
    organization_id: int,
    system: str,
    data: bytes,
    filename: str,
    criticality: Criticality | None = None,
) -> PushResult:
    parsed = parse_inventory(data, ParseContext(source=filename))
    with db.session() as session:
        return push_inventory(
            session,
            db,
            Actor.cli(),
            organization_id,
            system=system,
            criticality=criticality,
            filename=filename,
            data=data,
            parsed=parsed,
        )


def shared_bytes(*parts: str) -> bytes:
    return shared_path(*parts).read_bytes()


def pipfile_with(changes: dict[str, str | None]) -> bytes:
    """The clusterfuzz Pipfile.lock with some pins changed (``None``: package removed), in both
    its default and develop sections."""
    lock = json.loads(shared_bytes(*CLUSTERFUZZ))
    for section in ("default", "develop"):
        for name, version in changes.items():
            if name not in lock[section]:
                continue
            if version is None:
                del lock[section][name]
            else:
                lock[section][name]["version"] = f"=={version}"
    return json.dumps(lock).encode()


def open_exposures(db: Database, **where: Any) -> list[Exposure]:
    with db.session() as session:
        query = select(Exposure).where(Exposure.resolved_at.is_(None))
        for column, value in where.items():
            query = query.where(getattr(Exposure, column) == value)
        return list(session.scalars(query.order_by(Exposure.id)))


def all_exposures(db: Database) -> list[Exposure]:
    with db.session() as session:
        return list(session.scalars(select(Exposure).order_by(Exposure.id)))


def audit_actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def audit_events(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


def count(db: Database, model: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
