"""The database handle: migrations are applied once and then recognised as applied."""

from __future__ import annotations

from pathlib import Path

from clearinghouse.store import Database


def test_a_migrated_database_has_no_pending_migrations(db: Database) -> None:
    assert db.pending_migrations() is False


def test_an_empty_database_has_pending_migrations(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert empty.pending_migrations() is True
    finally:
        empty.dispose()


def test_bulk_insert_fills_python_defaults_and_json_on_every_backend(db: Database) -> None:
    from datetime import date
    from typing import Any, cast

    from sqlalchemy import Table, select

    from clearinghouse.advisories.models import KevEntry
    from clearinghouse.store import bulk_insert

    def entry(cve: str, **extra: Any) -> dict[str, Any]:
        return {
            "cve_id": cve,
            "vendor_project": "Acme",
            "product": "Widget",
            "vulnerability_name": "Acme Widget RCE",
            "date_added": date(2026, 11, 1),
            "short_description": "-",
            "required_action": "Patch.",
            "due_date": None,
            "known_ransomware_campaign_use": "Unknown",
            **extra,
        }

    table = cast(Table, KevEntry.__table__)
    with db.session() as session:
        bulk_insert(session, table, [entry("CVE-2026-0001"), entry("CVE-2026-0002")])
        bulk_insert(session, table, [entry("CVE-2026-0003", cwes=["CWE-79", "CWE-89"])])
        bulk_insert(session, table, [])
    with db.session() as session:
        rows = {k.cve_id: k for k in session.scalars(select(KevEntry))}
    assert set(rows) == {"CVE-2026-0001", "CVE-2026-0002", "CVE-2026-0003"}
    assert (rows["CVE-2026-0001"].notes, rows["CVE-2026-0001"].cwes) == ("", [])
    assert rows["CVE-2026-0003"].cwes == ["CWE-79", "CWE-89"]
    assert rows["CVE-2026-0002"].date_added == date(2026, 11, 1)
