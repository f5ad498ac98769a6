"""Every form that changes something needs this session's CSRF token and our own Origin; every
page carries the security headers; every form on every page carries the token."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.store import Database
from clearinghouse.web.deps import WebRoute
from clearinghouse.web.routes import PAGE_MODULES
from tests.conftest import shared_path
from tests.web.conftest import csrf_of, sign_in
from tests.web.demo import PASSWORD, add_person, build_full

EXAMPLE_PARAMS = {"channel": "email", "vulnerability_id": "x_CHS-0000-0000-0000"}


def _post_routes() -> list[str]:
    """Every page route that takes a POST, its path parameters filled in."""
    paths = []
    for module in PAGE_MODULES:
        for route in importlib.import_module(module).router.routes:
            if not isinstance(route, APIRoute) or "POST" not in (route.methods or set()):
                continue
            assert isinstance(route, WebRoute), route.path
            path = route.path
            for name in route.param_convertors:
                path = path.replace("{" + name + "}", EXAMPLE_PARAMS.get(name, "1"))
            paths.append(path)
    return sorted(paths)


def _audit_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_every_post_needs_the_sessions_csrf_token(web: TestClient, db: Database) -> None:
    add_person(db, "Clearinghouse", "carol", kind=OrganizationKind.coordinator, role=Role.admin)
    assert sign_in(web, "carol").status_code == 303
    token = csrf_of(web.get("/"))
    paths = _post_routes()
    assert len(paths) >= 15, paths
    before = _audit_count(db)
    for path in paths:
        if path in ("/login", "/invite"):
            continue
        # the upload form is multipart (a file), every other one urlencoded
        files = {"file": ("requirements.txt", b"requests==2.19.1\n")} if "upload" in path else None
        forged = token[:-1] + ("1" if token.endswith("0") else "0")  # differs in its last digit
        for data in ({}, {"csrf_token": ""}, {"csrf_token": forged}):
            answer = web.post(path, data=data, files=files, follow_redirects=False)
            assert answer.status_code == 403, (path, data, answer.status_code)
            assert "Form expired" in answer.text
        # the right token from another site's page is refused too
        answer = web.post(
            path,
            data={"csrf_token": token},
            files=files,
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert answer.status_code == 403, (path, "origin")
    assert _audit_count(db) == before  # nothing happened


def test_the_sign_in_form_needs_its_own_token_and_cookie(
    web: TestClient, other_browser: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice")
    token = csrf_of(web.get("/login"))
    fields = {"username": "alice", "password": PASSWORD}
    assert web.post("/login", data=fields, follow_redirects=False).status_code == 403
    # a token without the cookie it was issued with (another browser's) is refused
    refused = other_browser.post("/login", data={**fields, "csrf_token": token})
    assert refused.status_code == 403
    assert "chs_session" not in other_browser.cookies
    forged = web.post(
        "/login",
        data={**fields, "csrf_token": token},
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    accepted = web.post("/login", data={**fields, "csrf_token": token}, follow_redirects=False)
    assert accepted.status_code == 303


def test_tokens_belong_to_one_session(
    web: TestClient, other_browser: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice")
    sign_in(web, "alice")
    sign_in(other_browser, "alice")
    mine = csrf_of(web.get("/"))
    assert mine != csrf_of(other_browser.get("/"))
    refused = other_browser.post("/logout", data={"csrf_token": mine}, follow_redirects=False)
    assert refused.status_code == 403


@pytest.fixture
def full_site(db: Database, tmp_path: Path) -> Database:
    build_full(db, shared_path(), tmp_path)
    return db


_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def test_every_form_on_every_page_carries_the_token(web: TestClient, full_site: Database) -> None:
    """Crawl what each kind of user can reach; every POST form has the hidden CSRF field, every
    page the security headers, and no page fails."""
    checked_forms = 0
    for user in ("alice", "carol", "dave"):
        web.cookies.clear()
        assert sign_in(web, user).status_code == 303
        seen: set[str] = set()
        todo = ["/"]
        while todo and len(seen) < 60:
            path = todo.pop(0)
            if path in seen:
                continue
            seen.add(path)
            page = web.get(path, follow_redirects=False)
            if page.status_code == 303 and path.startswith("/advisories/"):
                todo.append(page.headers["location"])  # an alias leads to its advisory
                continue
            assert page.status_code == 200, (user, path, page.status_code)
            assert "default-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["x-frame-options"] == "DENY"
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["cache-control"] == "no-store"
            for attributes, body in _FORM.findall(page.text):
                if 'method="post"' in attributes:
                    assert 'name="csrf_token"' in body, (path, attributes)
                    checked_forms += 1
            for href in re.findall(r'href="(/[^"]*)"', page.text):
                href = href.replace("&amp;", "&")
                if (
                    not href.startswith(("/static", "/docs", "//"))
                    and "proof-of-concept" not in href
                ):
                    todo.append(href)
    assert checked_forms > 20


def test_a_mistyped_address_gets_a_page_and_api_clients_keep_json(
    web: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice")
    browser = {"Accept": "text/html,application/xhtml+xml"}
    anonymous = web.get("/no-such-page", headers=browser)
    assert anonymous.status_code == 404
    assert "Not found" in anonymous.text
    assert 'href="/login"' in anonymous.text
    assert "default-src 'self'" in anonymous.headers["content-security-policy"]
    sign_in(web, "alice")
    signed_in = web.get("/no-such-page", headers=browser)
    assert 'href="/systems"' in signed_in.text  # the navigation of a signed-in user
    assert web.get("/no-such-page").json() == {"detail": "Not Found"}
    assert web.get("/api/v1/nothing", headers=browser).json() == {"detail": "Not Found"}
