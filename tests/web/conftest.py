"""Web fixtures: the app with its pages on a fresh database, and a browser's way of signing in
(fetch the form, send it back with its CSRF token and cookie)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from clearinghouse.web.settings import WebSettings
from tests.web.demo import PASSWORD

WEB_SETTINGS = WebSettings(login_max_failures=3)
"""Three wrong passwords lock an account (five by default): keeps the lockout tests short."""

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of the (first) form on a page."""
    found = _CSRF.search(page.text)
    assert found is not None, f"no form with a CSRF token on {page.url}"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """What a browser does: get the sign-in form, post it back. Answers the POST's response."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    return client.post(
        "/login",
        data={"csrf_token": csrf_of(form), "username": username, "password": password},
        follow_redirects=False,
    )


def post_form(
    client: TestClient, page: str, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Post a form of ``page`` (with that page's CSRF token) to ``action``, without following."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(
        action, data={"csrf_token": csrf_of(shown), **(data or {})}, follow_redirects=False
    )


def make_client(db: Database, tmp_path: Path, base_url: str = "http://testserver") -> TestClient:
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=db.url), db=db)
    app.state.web_settings = WEB_SETTINGS
    return TestClient(app, base_url=base_url)


@pytest.fixture
def web(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """A browser-like client (keeps cookies, follows no redirect unless told) of the app."""
    with make_client(db, tmp_path) as client:
        yield client


@pytest.fixture
def other_browser(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """A second browser on the same server, with its own cookie jar."""
    with make_client(db, tmp_path) as client:
        yield client
