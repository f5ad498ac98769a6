"""Live exposures: opened on upload and on advisory import, resolved on upgrade, removal,
withdrawal and revision, reopened, published, audited, and the same both ways round."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from clearinghouse.advisories.feeds import load_kev
from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.sources import local_sources
from clearinghouse.audit import verify_chain
from clearinghouse.exposures import service
from clearinghouse.exposures.models import PendingAdvisoryChange, Resolution
from clearinghouse.exposures.service import (
    pending_count,
    process_advisory_changes,
    queue_advisory_changes,
)
from clearinghouse.inventories.models import InventoryComponent
from clearinghouse.notifications.events import ExposureEvent
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.exposures._data import (
    CLUSTERFUZZ,
    GIB,
    all_exposures,
    audit_events,
    count,
    import_ecosystem,
    import_records,
    open_exposures,
    organization,
    osv_record,
    pipfile_with,
    push,
    shared_bytes,
)

CLUSTERFUZZ_ADVISORIES = {
    "PYSEC-2020-148",
    "PYSEC-2021-108",
    "PYSEC-2022-42991",
    "PYSEC-2023-11",
    "PYSEC-2023-192",
    "PYSEC-2023-212",
    "PYSEC-2023-221",
    "PYSEC-2023-254",
    "PYSEC-2023-57",
    "PYSEC-2023-58",
    "PYSEC-2023-62",
    "PYSEC-2023-74",
    "PYSEC-2024-60",
}


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[ExposureEvent]:
    """The events handed to the notification outbox, in the exposure transaction."""
    events: list[ExposureEvent] = []

    def capture(session: Any, batch: list[ExposureEvent]) -> int:
        assert session.in_transaction()
        events.extend(batch)
        return len(batch)

    monkeypatch.setattr(service, "publish_exposure_events", capture)
    return events


def _identity(db: Database) -> set[tuple[str, str, str | None]]:
    return {(e.advisory_id, e.purl, e.remediation) for e in open_exposures(db)}


def test_upload_opens_exposures_with_remediation_severity_and_audit(
    db: Database, published: list[ExposureEvent]
) -> None:
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    org = organization(db)

    result = push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")

    assert result.created
    assert result.exposures.counts() == {"opened": 13, "reopened": 0, "resolved": 0}
    exposures = open_exposures(db)
    assert {e.advisory_id for e in exposures} == CLUSTERFUZZ_ADVISORIES
    requests = next(e for e in exposures if e.advisory_id == "PYSEC-2023-74")
    assert (requests.purl, requests.version, requests.state) == (
        "pkg:pypi/requests@2.21.0",
        "2.21.0",
        "affected",
    )
    assert requests.remediation == "2.31.0"
    idna = next(e for e in exposures if e.advisory_id == "PYSEC-2024-60")
    assert (idna.severity_rating, idna.remediation) == ("HIGH", "3.7")
    assert {e.exposure_id for e in published} == {e.id for e in exposures}
    assert all(e.system_name == "clusterfuzz" and e.event_type == "exposure.new" for e in published)
    [event] = audit_events(db, "exposure.update")
    assert event.organization_id == org
    assert {item["id"] for item in event.after["opened"]} == {e.id for e in exposures}
    assert verify_chain(db).broken_at is None


def test_reverse_matching_on_import_equals_matching_on_upload(
    db: Database, published: list[ExposureEvent], tmp_path: Path
) -> None:
    org = organization(db)
    push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    assert all_exposures(db) == []

    import_ecosystem(db, "PyPI")
    assert pending_count(db) == 2654  # queued in the import's own transaction
    assert process_advisory_changes(db, limit=100) == 100
    assert pending_count(db) == 2554
    process_advisory_changes(db)
    assert pending_count(db) == 0
    reverse = _identity(db)
    assert {a for a, _, _ in reverse} == CLUSTERFUZZ_ADVISORIES
    assert len(published) == 13

    # the same inventory uploaded after the import: the same exposures, remediation included
    push(db, org, "clusterfuzz-copy", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    copies = {
        (e.advisory_id, e.purl, e.remediation)
        for e in open_exposures(db)
        if e.system_id != open_exposures(db)[0].system_id
    }
    assert copies == reverse
    assert len(audit_events(db, "exposure.update")) >= 2


def test_replacement_keeps_history_and_resolves_upgraded_and_removed(db: Database) -> None:
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    org = organization(db)
    first = push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    requests_exposure = open_exposures(db, advisory_id="PYSEC-2023-74")[0]

    second = push(
        db, org, "clusterfuzz", pipfile_with({"requests": "2.31.0", "future": None}), "Pipfile.lock"
    )

    assert (first.inventory.version, second.inventory.version) == (1, 2)
    assert not second.created
    assert second.exposures.counts() == {"opened": 0, "reopened": 0, "resolved": 2}
    resolved = {e.advisory_id: e for e in all_exposures(db) if e.resolved_at is not None}
    assert resolved["PYSEC-2023-74"].id == requests_exposure.id
    assert resolved["PYSEC-2023-74"].resolution == Resolution.upgraded
    assert resolved["PYSEC-2023-74"].state == "fixed"
    assert resolved["PYSEC-2022-42991"].resolution == Resolution.removed
    assert len(open_exposures(db)) == 11
    with db.session() as session:
        current = session.scalars(
            select(InventoryComponent.inventory_id).where(InventoryComponent.current)
        ).all()
        assert set(current) == {second.inventory.id}
        assert (
            session.scalar(
                select(InventoryComponent.version).where(
                    InventoryComponent.inventory_id == first.inventory.id,
                    InventoryComponent.name_key == "requests",
                )
            )
            == "2.21.0"
        )

    # downgrading brings the same exposure back (reopened, first_seen kept)
    third = push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    assert third.exposures.counts() == {"opened": 0, "reopened": 2, "resolved": 0}
    again = open_exposures(db, advisory_id="PYSEC-2023-74")[0]
    assert again.id == requests_exposure.id
    assert again.first_seen == requests_exposure.first_seen


def test_a_reopened_exposure_is_notified_again_under_a_new_key(
    db: Database, published: list[ExposureEvent]
) -> None:
    from clearinghouse.notifications.events import exposure_subject

    import_ecosystem(db, "PyPI")
    org = organization(db)
    push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    first = next(e for e in published if e.advisory_id == "PYSEC-2023-74")
    published.clear()
    push(db, org, "clusterfuzz", pipfile_with({"requests": "2.31.0"}), "Pipfile.lock")
    resolved = next(e for e in published if e.advisory_id == "PYSEC-2023-74")
    assert resolved.event_type == "exposure.resolved"
    assert resolved.exposure_id == first.exposure_id
    assert resolved.system_name == "clusterfuzz"
    assert resolved.state == "fixed"
    published.clear()

    push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")

    again = next(e for e in published if e.advisory_id == "PYSEC-2023-74")
    assert again.exposure_id == first.exposure_id
    assert first.reopened_after is None
    assert again.reopened_after is not None
    assert exposure_subject(again) != exposure_subject(first)


def test_withdrawal_and_revision_resolve_and_a_later_revision_reopens(
    db: Database, tmp_path: Path, published: list[ExposureEvent]
) -> None:
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    org = organization(db)
    push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    published.clear()
    requests_record = osv_record("PyPI", "PYSEC-2023-74")
    flask_record = osv_record("PyPI", "PYSEC-2023-62")

    withdrawn = {**requests_record, "modified": "2030-01-01T00:00:00Z"}
    withdrawn["withdrawn"] = "2030-01-01T00:00:00Z"
    narrowed = {**flask_record, "modified": "2030-01-01T00:00:00Z"}
    narrowed["affected"] = [
        {
            "package": entry["package"],
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}]}],
        }
        for entry in flask_record["affected"]
    ]
    import_records(db, tmp_path / "revised", withdrawn, narrowed)
    assert process_advisory_changes(db) == 2

    resolved = {e.advisory_id: e for e in all_exposures(db) if e.resolved_at is not None}
    assert resolved["PYSEC-2023-74"].resolution == Resolution.withdrawn
    assert resolved["PYSEC-2023-74"].state == "not_affected"
    assert resolved["PYSEC-2023-62"].resolution == Resolution.advisory_changed
    assert len(open_exposures(db)) == 11
    assert {(e.event_type, e.advisory_id) for e in published} == {
        ("exposure.resolved", "PYSEC-2023-74"),
        ("exposure.resolved", "PYSEC-2023-62"),
    }
    published.clear()

    restored = {**flask_record, "modified": "2031-01-01T00:00:00Z"}
    import_records(db, tmp_path / "restored", restored)
    process_advisory_changes(db)
    [flask] = open_exposures(db, advisory_id="PYSEC-2023-62")
    assert flask.id == resolved["PYSEC-2023-62"].id
    assert [e.exposure_id for e in published] == [flask.id]
    causes = [event.after["cause"] for event in audit_events(db, "exposure.update")]
    assert {"advisories": ["PYSEC-2023-62", "PYSEC-2023-74"]} in causes


def test_a_new_advisory_moves_the_remediation_target_of_other_exposures(
    db: Database, tmp_path: Path
) -> None:
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    org = organization(db)
    push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    assert open_exposures(db, advisory_id="PYSEC-2023-74")[0].remediation == "2.31.0"
    # an experimental (x_) advisory covering requests 2.31.x: 2.31.0 is no longer a safe target
    later = {
        "schema_version": "1.6.0",
        "id": "x_TEST-2030-1",
        "modified": "2030-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "requests"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "2.31.0"}, {"fixed": "2.32.0"}]}
                ],
            }
        ],
    }
    import_records(db, tmp_path / "later", later)
    process_advisory_changes(db)
    assert open_exposures(db, advisory_id="PYSEC-2023-74")[0].remediation == "2.32.0"
    assert open_exposures(db, advisory_id="x_TEST-2030-1") == []  # 2.21.0 is outside its range


def test_exposures_are_kev_flagged_from_the_catalog(db: Database, tmp_path: Path) -> None:
    load_kev(db, Settings(), str(shared_path("kev", "known_exploited_vulnerabilities.json")))
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    org = organization(db)
    push(db, org, "salt-master", b"salt==3000\nrequests==2.21.0\n", "requirements.txt")
    by_id = {e.advisory_id: e for e in open_exposures(db)}
    assert by_id["PYSEC-2020-102"].kev  # CVE-2020-11651, exploited
    assert not by_id["PYSEC-2023-74"].kev


def test_a_catalog_update_flags_and_unflags_existing_exposures(
    db: Database, tmp_path: Path, published: list[ExposureEvent]
) -> None:
    # The exposures exist before CVE-2020-11651 enters the catalog, and stay after it leaves.
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    org = organization(db)
    push(db, org, "salt-master", b"salt==3000\nrequests==2.21.0\n", "requirements.txt")
    assert not {e.advisory_id: e for e in open_exposures(db)}["PYSEC-2020-102"].kev

    def catalog(*cves: str) -> str:
        path = tmp_path / f"kev-{len(cves)}.json"
        vulnerabilities = [
            {
                "cveID": cve,
                "vendorProject": "SaltStack",
                "product": "Salt",
                "vulnerabilityName": "SaltStack Salt Authentication Bypass",
                "dateAdded": "2021-11-03",
                "shortDescription": "-",
                "requiredAction": "Apply updates per vendor instructions.",
                "dueDate": "2021-11-17",
                "knownRansomwareCampaignUse": "Unknown",
                "notes": "",
            }
            for cve in cves
        ]
        path.write_text(
            json.dumps(
                {
                    "title": "CISA Catalog of Known Exploited Vulnerabilities",
                    "catalogVersion": f"2026.11.{len(cves) + 1}",
                    "dateReleased": "2026-11-22T00:00:00.000Z",
                    "count": len(vulnerabilities),
                    "vulnerabilities": vulnerabilities,
                }
            )
        )
        return str(path)

    report = load_kev(db, Settings(), catalog("CVE-2020-11651"), [queue_advisory_changes])
    assert report.advisories_changed >= 1
    published.clear()
    process_advisory_changes(db)
    by_id = {e.advisory_id: e for e in open_exposures(db)}
    assert by_id["PYSEC-2020-102"].kev
    assert not by_id["PYSEC-2023-74"].kev
    # subscribers hear that an open exposure is now known to be exploited
    [exploited] = published
    assert (exploited.event_type, exploited.advisory_id) == ("exposure.kev", "PYSEC-2020-102")
    assert exploited.kev

    load_kev(db, Settings(), catalog(), [queue_advisory_changes])
    process_advisory_changes(db)
    assert not {e.advisory_id: e for e in open_exposures(db)}["PYSEC-2020-102"].kev


def test_a_failed_import_leaves_no_pending_change(db: Database, tmp_path: Path) -> None:
    def fail(session: Any, ids: Any) -> None:
        raise RuntimeError("listener failed")

    importer = AdvisoryImporter(db, listeners=[queue_advisory_changes, fail])
    with pytest.raises(RuntimeError):
        importer.import_sources(local_sources(shared_path("osv", "CRAN", "all.zip"), GIB))
    assert count(db, PendingAdvisoryChange) == 0
    assert process_advisory_changes(db) == 0


def test_a_failure_while_matching_rolls_the_upload_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    org = organization(db)

    def broken(session: Any, events: Any) -> int:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(service, "publish_exposure_events", broken)
    events_before = len(audit_events(db, "organization.create"))
    with pytest.raises(RuntimeError):
        push(db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    assert all_exposures(db) == []
    assert count(db, InventoryComponent) == 0
    assert audit_events(db, "system.create") == []
    assert len(audit_events(db, "organization.create")) == events_before


def test_a_fresh_worker_process_drains_the_queue(sqlite_db: Database) -> None:
    import subprocess
    import sys

    org = organization(sqlite_db)
    push(sqlite_db, org, "clusterfuzz", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock")
    import_ecosystem(sqlite_db, "PyPI")
    script = (
        "from clearinghouse.exposures.service import process_advisory_changes\n"
        "from clearinghouse.store import Database\n"
        f"print(process_advisory_changes(Database({sqlite_db.url!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "2654"
    assert {e.advisory_id for e in open_exposures(sqlite_db)} == CLUSTERFUZZ_ADVISORIES
