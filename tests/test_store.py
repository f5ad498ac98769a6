"""The database handle: migrations are applied once and then recognised as applied."""

from __future__ import annotations

from pathlib import Path

import pytest

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


# -- the cheap "up to date?" check on opening ---------------------------------------------------
def test_the_scripts_headers_give_alembics_revision_graph() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from clearinghouse.store import migration_headers, migration_heads

    cfg = Config()
    cfg.set_main_option("script_location", "clearinghouse:migrations")
    script = ScriptDirectory.from_config(cfg)
    headers = migration_headers()
    assert headers is not None
    assert migration_heads(headers) == set(script.get_heads())
    for revision in script.walk_revisions():
        header = headers[revision.revision]
        assert set(header.down_revisions) == set(revision._versioned_down_revisions)
        assert set(header.depends_on) == set(revision._normalized_resolved_dependencies)
    assert len(headers) == len(list(script.walk_revisions()))


def test_a_migrated_database_is_recognised_without_alembic(db: Database) -> None:
    assert db._up_to_date() is True


def test_a_database_missing_one_branch_is_upgraded_or_refused(db: Database) -> None:
    """Roll one branch back, as if its migration were new: the cheap check must not pass it."""
    from sqlalchemy import text

    from clearinghouse.store import migration_headers, migration_heads

    headers = migration_headers()
    assert headers is not None
    with db.engine.begin() as conn:
        stored = set(conn.scalars(text("SELECT version_num FROM alembic_version")))
        assert "web_0001" in stored
        assert "web_0001" in migration_heads(headers)
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = 'web_0001'"))
        for table in ("web_login_attempt", "web_invitation", "web_session"):
            conn.execute(text(f"DROP TABLE {table}"))
    assert db._up_to_date() is False
    assert db.pending_migrations() is True
    if db.is_sqlite:
        db.ensure_schema()
        assert db.pending_migrations() is False
    else:
        with pytest.raises(RuntimeError, match="db upgrade"):
            db.ensure_schema()


def test_an_unknown_stored_revision_is_left_to_alembic(db: Database) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('from_the_future')"))
    assert db._up_to_date() is False


def test_headers_that_are_not_plain_literals_are_left_to_alembic(tmp_path: Path) -> None:
    from clearinghouse.store import read_migration_headers as migration_headers

    (tmp_path / "a_0001.py").write_text('revision = "a_0001"\ndown_revision = None\n')
    (tmp_path / "b_0001.py").write_text(
        'revision = "b_0001"\ndown_revision = "a_0001"\ndepends_on = None\n'
    )
    headers = migration_headers(tmp_path)
    assert headers is not None
    assert set(headers) == {"a_0001", "b_0001"}
    (tmp_path / "c_0001.py").write_text('revision = "c" + "_0001"\ndown_revision = "b_0001"\n')
    assert migration_headers(tmp_path) is None
    (tmp_path / "c_0001.py").write_text(
        'revision = "c_0001"\ndown_revision = "b_0001"\n\ndef f():\n    pass\n'
        'down_revision = "a_0001"\n'
    )
    assert migration_headers(tmp_path) is None
    (tmp_path / "c_0001.py").write_text('revision = "c_0001"\ndown_revision = "branch@head"\n')
    assert migration_headers(tmp_path) is None
