"""Participants, reports and knowledge-base records for the findings tests."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import orjson

from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.sources import RawRecord
from clearinghouse.audit import Actor
from clearinghouse.findings.intake import IntakeReport, submit
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.participants.service import Principal, create_organization
from clearinghouse.store import Database
from tests.conftest import shared_path


def principal(
    db: Database,
    name: str,
    kind: OrganizationKind = OrganizationKind.ai_developer,
    role: Role = Role.member,
) -> Principal:
    with db.session() as session:
        org = create_organization(session, Actor.cli(), name, kind)
        return Principal(org.id, kind, role, f"test:{name}")


def analyst(db: Database) -> Principal:
    return principal(db, "Clearinghouse", OrganizationKind.coordinator, Role.analyst)


def send(db: Database, who: Principal, document: Any, **options: Any) -> IntakeReport:
    data = document if isinstance(document, bytes) else orjson.dumps(document)
    with db.session() as session:
        return submit(session, who, data, **options)


def native(*findings: dict[str, Any]) -> dict[str, Any]:
    return {"schema": "clearinghouse-finding/1", "findings": list(findings)}


def osv_record(ecosystem: str, advisory_id: str) -> dict[str, Any]:
    with zipfile.ZipFile(shared_path("osv", ecosystem, "all.zip")) as archive:
        record: dict[str, Any] = json.loads(archive.read(f"{advisory_id}.json"))
    return record


class _Records:
    label = "test"

    def __init__(self, records: tuple[dict[str, Any], ...]) -> None:
        self._records = records

    def count(self) -> int | None:
        return len(self._records)

    def records(self) -> Any:
        for record in self._records:
            yield RawRecord(f"test:{record['id']}", orjson.dumps(record))


def import_advisories(db: Database, *records: dict[str, Any]) -> None:
    """Into the knowledge base through the importer, as a feed import would."""
    with db.session() as session:
        report = AdvisoryImporter(db).import_into(session, _Records(records))
    assert not report.bad, report.bad
