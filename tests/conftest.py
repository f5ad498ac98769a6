"""Test configuration shared by every test module.

``shared_data`` is the read-only public data set beside the repository (``../shared/data`` or
``$CLEARINGHOUSE_SHARED``). Tests that need it skip when it is absent, except in CI where
``CLEARINGHOUSE_REQUIRE_SHARED=1`` turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.service_fixtures"]


def _shared_root() -> Path:
    env = os.environ.get("CLEARINGHOUSE_SHARED")
    return Path(env) if env else REPO.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Path inside the shared data set; skips (or fails in CI) when it is missing."""
    path = _shared_root().joinpath(*parts)
    if not path.exists():
        message = f"shared data not found: {path} (set CLEARINGHOUSE_SHARED)"
        if os.environ.get("CLEARINGHOUSE_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_path()


# -- databases -----------------------------------------------------------------------------------
# Every test that takes ``db`` runs on SQLite, and also on PostgreSQL when
# CLEARINGHOUSE_TEST_POSTGRES_URL is set (CI sets it); each PostgreSQL test gets its own schema.

POSTGRES_URL = os.environ.get("CLEARINGHOUSE_TEST_POSTGRES_URL", "")


def _backends() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    params.append(
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="CLEARINGHOUSE_TEST_POSTGRES_URL is not set"
            ),
        )
    )
    return params


def _postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def make_test_database(backend: str, tmp_path: Path) -> Iterator[object]:
    from sqlalchemy import create_engine, text

    from clearinghouse.store import Database

    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'clearinghouse.db'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(_postgres_schema_url(schema))
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=_backends())
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """An empty, migrated database (SQLite, and PostgreSQL when configured)."""
    yield from make_test_database(request.param, tmp_path)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[object]:
    """An empty, migrated SQLite database, for tests that do not depend on the backend."""
    yield from make_test_database("sqlite", tmp_path)


# -- a real HTTP server on loopback serving the shared data (the OSV bucket layout) --------------


@pytest.fixture(scope="session")
def shared_http(shared_data: Path) -> Iterator[str]:
    """Base URL of a local HTTP server serving ``shared_data`` (supports If-Modified-Since)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(shared_data))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
