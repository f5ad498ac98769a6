"""Systems and inventories: every version kept, components indexed for reverse matching, bad
input refused with the database unchanged, and the ``clearinghouse inventory`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clearinghouse.audit.models import AuditEvent
from clearinghouse.cli import app
from clearinghouse.exposures.models import Exposure, PendingAdvisoryChange
from clearinghouse.exposures.service import process_advisory_changes
from clearinghouse.formats.errors import InputError
from clearinghouse.inventories.models import Criticality, Inventory, InventoryComponent, System
from clearinghouse.settings import get_settings
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.exposures._data import (
    CLUSTERFUZZ,
    audit_events,
    count,
    import_ecosystem,
    organization,
    push,
    shared_bytes,
)


def test_components_are_indexed_by_ecosystem_and_normalised_name(db: Database) -> None:
    org = organization(db)
    lock = b"Flask_Cors==3.0.10\nzope.interface==5.4.0\n"
    result = push(db, org, "portal", lock, "requirements.txt")
    with db.session() as session:
        rows = session.execute(
            select(
                InventoryComponent.ecosystem_base,
                InventoryComponent.name,
                InventoryComponent.name_key,
                InventoryComponent.version,
                InventoryComponent.current,
            ).where(InventoryComponent.inventory_id == result.inventory.id)
        ).all()
    assert sorted(rows) == [
        ("PyPI", "Flask_Cors", "flask-cors", "3.0.10", True),
        ("PyPI", "zope.interface", "zope-interface", "5.4.0", True),
    ]


def test_every_version_is_kept_with_its_provenance(db: Database) -> None:
    org = organization(db)
    first = push(
        db, org, "pharmacy", shared_bytes(*CLUSTERFUZZ), "Pipfile.lock", Criticality.safety_critical
    )
    cargo = shared_bytes("lockfiles", "crates.io", "spdx-example11", "Cargo.lock")
    second = push(db, org, "pharmacy", cargo, "Cargo.lock")

    assert first.created
    assert not second.created
    with db.session() as session:
        system = session.get(System, first.system.id)
        assert system is not None
        assert (system.current_version, system.criticality) == (2, "safety-critical")
        versions = session.scalars(
            select(Inventory).where(Inventory.system_id == system.id).order_by(Inventory.version)
        ).all()
    assert [(v.version, v.format, v.filename, v.component_count) for v in versions] == [
        (1, "Pipfile.lock", "Pipfile.lock", 92),
        (2, "Cargo.lock", "Cargo.lock", 69),
    ]
    assert versions[0].sha256 != versions[1].sha256
    assert versions[0].uploaded_by.startswith("cli:")
    assert count(db, InventoryComponent) == 92 + 69
    uploads = audit_events(db, "inventory.upload")
    assert [e.after["inventory"]["version"] for e in uploads] == [1, 2]
    assert uploads[1].before["current_version"] == 1


def test_criticality_changes_are_audited(db: Database) -> None:
    org = organization(db)
    data = b"requests==2.31.0\n"
    push(db, org, "billing", data, "requirements.txt")
    push(db, org, "billing", data, "requirements.txt", Criticality.business_critical)
    [update] = audit_events(db, "system.update")
    assert (update.before["criticality"], update.after["criticality"]) == (
        "other",
        "business-critical",
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [("   ", "needs a name"), ("x" * 201, "at most 200"), ("a\tb", "control characters")],
)
def test_system_names_are_checked(db: Database, name: str, reason: str) -> None:
    org = organization(db)
    with pytest.raises(InputError, match=reason):
        push(db, org, name, b"requests==2.31.0\n", "requirements.txt")
    assert count(db, System) == 0


@pytest.fixture
def cli_db(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", sqlite_db.url)
    get_settings.cache_clear()
    yield sqlite_db
    get_settings.cache_clear()


def test_cli_push_and_list(cli_db: Database, tmp_path: Path) -> None:
    import_ecosystem(cli_db, "PyPI")
    process_advisory_changes(cli_db)
    organization(cli_db, "Water District")
    lock = shared_path(*CLUSTERFUZZ)
    runner = CliRunner()

    pushed = runner.invoke(
        app,
        [
            "inventory",
            "push",
            str(lock),
            "--system",
            "scada-historian",
            "--criticality",
            "safety-critical",
            "--format",
            "json",
        ],
    )
    assert pushed.exit_code == 0, pushed.output
    summary = json.loads(pushed.stdout)
    assert summary["inventory"]["version"] == 1
    assert summary["exposures"]["opened"] == 13

    listed = runner.invoke(app, ["inventory", "list", "--org", "Water District", "-f", "json"])
    assert listed.exit_code == 0, listed.output
    [system] = json.loads(listed.stdout)
    assert system["name"] == "scada-historian"
    assert system["criticality"] == "safety-critical"
    assert system["exposures"]["open"] == 13

    with cli_db.session() as session:
        actors = set(
            session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "inventory.upload"))
        )
    assert all(actor.startswith("cli:") for actor in actors)


def test_cli_refuses_a_malformed_lockfile_and_changes_nothing(cli_db: Database) -> None:
    organization(cli_db, "Water District")
    events = count(cli_db, AuditEvent)
    bad = shared_path("lockfiles", "malformed", "Packagist", "double-comma", "composer.lock")
    result = CliRunner().invoke(app, ["inventory", "push", str(bad), "--system", "web"])
    assert result.exit_code != 0
    assert count(cli_db, System) == 0
    assert count(cli_db, AuditEvent) == events


def test_cli_needs_an_organization_when_there_are_several(cli_db: Database) -> None:
    organization(cli_db, "A")
    organization(cli_db, "B")
    lock = shared_path(*CLUSTERFUZZ)
    result = CliRunner().invoke(app, ["inventory", "push", str(lock), "--system", "x"])
    assert result.exit_code == 2
    assert "--org" in result.output


def test_db_import_matches_changed_advisories_unless_told_not_to(cli_db: Database) -> None:
    organization(cli_db, "Water District")
    cargo = shared_path("lockfiles", "crates.io", "spdx-example11", "Cargo.lock")
    runner = CliRunner()
    assert (
        runner.invoke(app, ["inventory", "push", str(cargo), "--system", "gateway"]).exit_code == 0
    )

    crates = shared_path("osv", "crates.io", "all.zip")
    later = runner.invoke(app, ["db", "import", str(crates), "--no-match", "-f", "json"])
    assert later.exit_code == 0, later.output
    assert json.loads(later.stdout)["exposures_matched"] is None
    assert count(cli_db, Exposure) == 0
    assert count(cli_db, PendingAdvisoryChange) == 1206

    go = shared_path("osv", "Go", "all.zip")
    now = runner.invoke(app, ["db", "import", str(go), "-f", "json"])  # --match is the default
    assert now.exit_code == 0, now.output
    report = json.loads(now.stdout)
    go_changed = sum(e["new"] + e["updated"] for e in report["ecosystems"].values())
    assert report["exposures_matched"]["advisories"] == 1206 + go_changed
    assert count(cli_db, PendingAdvisoryChange) == 0
    assert count(cli_db, Exposure) == 10
