"""Opening the database from a command: a schema that needs ``db upgrade`` is a clean error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from clearinghouse.store import Database


def open_or_exit() -> Database:
    """The configured database, migrated as :func:`clearinghouse.store.open_database` does;
    exit code 2 with the reason when it refuses (a PostgreSQL schema that needs upgrading)."""
    from clearinghouse.store import open_database

    try:
        return open_database()
    except RuntimeError as exc:
        from clearinghouse.cli._console import print_error

        print_error(str(exc))
        raise typer.Exit(2) from None
