"""The database: engine, sessions, the declarative base and migrations.

SQLite (embedded, the default) and PostgreSQL run the same code. Every part of the
clearinghouse declares its tables on :class:`Base` in its own ``models`` module; Alembic
migrations (``clearinghouse/migrations``) create them, one branch per part.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Select,
    String,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
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
    faster than an ``INSERT`` executemany for thousands of rows), a driver-level executemany on
    SQLite, SQLAlchemy's executemany elsewhere.

    Every row must have the same keys. The first two bypass SQLAlchemy's statement execution,
    so this fills in the columns' Python-side defaults itself; ``COPY`` also serialises JSON
    columns, SQLite goes through each column type's bind processor.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    given = list(rows[0])
    defaults = {
        c.name: c.default
        for c in table.columns
        if c.name not in given and c.default is not None and not c.default.is_sequence
    }
    if dialect.name == "sqlite":
        _sqlite_executemany(session, table, rows, given, defaults)
        return
    if dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
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


def _sqlite_executemany(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    given: list[str],
    defaults: dict[str, Any],
) -> None:
    """One ``INSERT`` executemany on the driver, each value converted by its column type's own
    bind processor (the very conversions SQLAlchemy applies), without SQLAlchemy's per-row
    parameter bookkeeping (a third of the time of a large import)."""
    dialect = session.get_bind().dialect
    columns = [*given, *defaults]
    processors = [
        (index, processor)
        for index, name in enumerate(columns)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    default_values = list(defaults.values())
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    parameters: list[tuple[Any, ...]] = []
    for row in rows:
        values = [row[c] for c in given]
        values.extend(d.arg(None) if d.is_callable else d.arg for d in default_values)
        for index, processor in processors:
            values[index] = processor(values[index])
        parameters.append(tuple(values))
    # names are the table's own columns (table.c[name] above refuses anything else)
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
    session.connection().exec_driver_sql(statement, parameters)


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
        engine = create_engine(url, connect_args={"timeout": 30}, json_deserializer=orjson.loads)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # JSON columns are read back with orjson (several times faster than the json module; the
    # values are the same: what the json module wrote, orjson reads alike)
    return create_engine(url, pool_pre_ping=True, json_deserializer=orjson.loads)


MIGRATION_VERSIONS = Path(__file__).parent / "migrations" / "versions"
"""Alembic's version scripts (``script_location = clearinghouse:migrations``)."""


@dataclass(frozen=True, slots=True)
class MigrationHeader:
    """What a version script declares about its place in the revision graph."""

    revision: str
    down_revisions: tuple[str, ...]
    depends_on: tuple[str, ...]


def _literal_revisions(node: ast.expr | None) -> tuple[str, ...] | None:
    """A header value: None, a string or a tuple/list of strings; None if anything else."""
    if node is None:
        return ()
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


_HEADER_NAME = re.compile(r"^(revision|down_revision|depends_on)\b", re.MULTILINE)


def _read_header(path: Path) -> MigrationHeader | None:
    source = path.read_text(encoding="utf-8")
    # The header precedes the first function; parsing only that part keeps this cheap. A
    # header name assigned again further down would be missed: then give up.
    end = source.find("\ndef ")
    head, rest = (source, "") if end < 0 else (source[:end], source[end:])
    if _HEADER_NAME.search(rest):
        return None
    values: dict[str, ast.expr | None] = {}
    for statement in ast.parse(head, filename=str(path)).body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            values[statement.target.id] = statement.value
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                values[target.id] = statement.value
    if "revision" not in values or "down_revision" not in values:
        return None
    revision = _literal_revisions(values["revision"])
    down = _literal_revisions(values["down_revision"])
    depends = _literal_revisions(values.get("depends_on"))
    if revision is None or len(revision) != 1 or down is None or depends is None:
        return None
    return MigrationHeader(revision[0], down, depends)


@cache
def migration_headers() -> dict[str, MigrationHeader] | None:
    """:func:`read_migration_headers` of the clearinghouse's own scripts, read once."""
    return read_migration_headers(MIGRATION_VERSIONS)


def read_migration_headers(directory: Path) -> dict[str, MigrationHeader] | None:
    """The revision graph as the version scripts declare it, read without importing them or
    Alembic (for a cheap "is this database up to date?"); None when a script's header is not
    plain literals or names an unknown revision (then only Alembic can tell).

    Files are chosen as Alembic chooses them (``*.py``, not ``__init__``, not editor locks).
    """
    headers: dict[str, MigrationHeader] = {}
    for path in sorted(directory.iterdir()):
        name = path.name
        if not path.is_file() or not name.endswith(".py") or name.startswith(("__init__", ".#")):
            continue
        header = _read_header(path)
        if header is None or header.revision in headers:
            return None
        headers[header.revision] = header
    for header in headers.values():
        if not set(header.down_revisions + header.depends_on) <= headers.keys():
            return None  # a branch label or a missing script: Alembic resolves those
    return headers


def migration_heads(headers: dict[str, MigrationHeader]) -> set[str]:
    """Revisions no other script names as its ``down_revision`` (Alembic's heads)."""
    children = {parent for header in headers.values() for parent in header.down_revisions}
    return headers.keys() - children


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
        """Whether any migration script is not applied to this database.

        A cheap check first (one query, the scripts' headers; Alembic is not imported): when it
        proves every head applied, nothing is pending. Anything else (pending migrations, a
        revision or header it cannot read) is decided by Alembic itself, as before.
        """
        if self._up_to_date():
            return False
        return self._alembic_pending()

    def _up_to_date(self) -> bool:
        headers = migration_headers()
        if headers is None:
            return False
        try:
            with self.engine.connect() as conn:
                stored = set(conn.scalars(text("SELECT version_num FROM alembic_version")))
        except DBAPIError:
            return False  # no version table yet: Alembic decides
        if not stored:
            return False
        # alembic_version lists only the revisions nothing applied depends on: follow
        # down_revision and depends_on to every applied one.
        applied: set[str] = set()
        todo = list(stored)
        while todo:
            revision = todo.pop()
            if revision in applied:
                continue
            header = headers.get(revision)
            if header is None:
                return False  # a revision these scripts do not know: Alembic decides
            applied.add(revision)
            todo.extend(header.down_revisions)
            todo.extend(header.depends_on)
        return migration_heads(headers) <= applied

    def _alembic_pending(self) -> bool:
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


def one_of(dialect: str, column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """``column IN (values)`` with one bound parameter however many values (an array on
    PostgreSQL, a JSON array on SQLite): one statement, one round trip."""
    ordered = sorted(values)
    if dialect == "postgresql":
        return cast(ColumnElement[bool], column == any_(bindparam(None, ordered, ARRAY(String))))
    if dialect != "sqlite":
        return cast(ColumnElement[bool], column.in_(ordered))
    items: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, orjson.dumps(ordered).decode(), String))
    )
    return cast(ColumnElement[bool], column.in_(items.scalar_subquery()))


def pairs_present(
    session: Session, first: Any, second: Any, pairs: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which ``(first, second)`` value pairs some row holds: one statement per distinct first
    value (an ecosystem, say), each with all its second values in one parameter."""
    by_first: dict[str, list[str]] = defaultdict(list)
    for a, b in pairs:
        by_first[a].append(b)
    dialect = session.get_bind().dialect.name
    found: set[tuple[str, str]] = set()
    for a, names in sorted(by_first.items()):
        found.update(
            (a, str(b))
            for b in session.scalars(
                select(second).where(first == a, one_of(dialect, second, names)).distinct()
            )
        )
    return found
