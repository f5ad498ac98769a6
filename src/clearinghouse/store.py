"""The database: engine, sessions, the declarative base and migrations.

SQLite (embedded, the default) and PostgreSQL run the same code. Every part of the
clearinghouse declares its tables on :class:`Base` in its own ``models`` module; Alembic
migrations (``clearinghouse/migrations``) create them, one branch per part.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    insert,
    inspect,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from clearinghouse.settings import Settings, get_settings

MODEL_MODULES = (
    "clearinghouse.advisories.models",
    "clearinghouse.participants.models",
    "clearinghouse.audit.models",
    "clearinghouse.inventories.models",
    "clearinghouse.exposures.models",
    "clearinghouse.notifications.models",
    "clearinghouse.frontier.models",
    "clearinghouse.findings.models",
    "clearinghouse.web.models",
)
"""Modules declaring tables; imported before metadata is used (migrations, checks)."""

JSONB = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON column type: JSONB on PostgreSQL, JSON text elsewhere."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction: ``COPY`` on PostgreSQL (several times
    faster than an ``INSERT`` executemany for thousands of rows), executemany elsewhere.

    Every row must have the same keys. ``COPY`` bypasses SQLAlchemy, so this fills in the
    columns' Python-side defaults and serialises JSON columns itself.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    given = list(rows[0])
    defaults = {
        c.name: c.default
        for c in table.columns
        if c.name not in given and c.default is not None and not c.default.is_sequence
    }
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    columns = [*given, *defaults]
    driver = session.connection().connection.driver_connection
    assert driver is not None
    names = ", ".join(f'"{c}"' for c in columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        for row in rows:
            values = [row[c] for c in given]
            values.extend(
                d.arg(None) if d.is_callable else d.arg  # type: ignore[attr-defined]
                for d in defaults.values()
            )
            if json_columns:
                values = [
                    orjson.dumps(v).decode() if name in json_columns and v is not None else v
                    for name, v in zip(columns, values, strict=True)
                ]
            copy.write_row(values)


def load_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """An engine plus a session factory; one per process (or per test)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._script_heads: set[str] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    # -- migrations -------------------------------------------------------------------------
    def alembic_config(self) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", "clearinghouse:migrations")
        cfg.attributes["engine"] = self.engine
        return cfg

    def upgrade(self) -> None:
        """Apply every pending migration (all branches)."""
        from alembic import command

        command.upgrade(self.alembic_config(), "heads")

    def pending_migrations(self) -> bool:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self.alembic_config())
        if self._script_heads is None:
            self._script_heads = set(script.get_heads())
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
        # alembic_version keeps only the revisions nothing applied depends on: a branch that
        # another one ``depends_on`` is applied without being listed.
        applied = {revision.revision for revision in script.iterate_revisions(current, "base")}
        return not self._script_heads <= applied

    def ensure_schema(self) -> None:
        """Bring the schema up to date: automatically on SQLite, by request on PostgreSQL."""
        if not self.pending_migrations():
            return
        if self.is_sqlite:
            self.upgrade()
            return
        if not inspect(self.engine).get_table_names():
            self.upgrade()  # an empty database: nothing to lose by creating the schema
            return
        raise RuntimeError(
            "the database schema is out of date: run `clearinghouse db upgrade` first"
        )


def open_database(settings: Settings | None = None, *, migrate: bool = True) -> Database:
    settings = settings or get_settings()
    db = Database(settings.sqlalchemy_url)
    if migrate:
        db.ensure_schema()
    return db
