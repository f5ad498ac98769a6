"""Signing in and out: argon2id passwords, lockout after repeated failures, server-side sessions
whose cookie scripts cannot read, and nothing but the sign-in page for a stranger."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clearinghouse.audit import verify_chain
from clearinghouse.audit.models import AuditEvent
from clearinghouse.participants.models import User
from clearinghouse.store import Database, utcnow
from clearinghouse.web import accounts
from clearinghouse.web.models import LoginAttempt, WebSession
from tests.web.conftest import WEB_SETTINGS, csrf_of, make_client, post_form, sign_in
from tests.web.demo import PASSWORD, add_person


def _actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _sessions(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(WebSession)) or 0


def test_a_stranger_sees_only_the_sign_in_page(web: TestClient, db: Database) -> None:
    add_person(db, "Rural Hospital", "alice")
    for path in ("/", "/systems", "/exposures/1", "/settings/notifications", "/triage"):
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login")
    assert web.get("/systems?x=1", follow_redirects=False).headers["location"] == (
        "/login?next=/systems%3Fx%3D1"
    )
    page = web.get("/login")
    assert "Sign in" in page.text
    assert "No accounts yet" not in page.text


def test_the_right_password_signs_in_and_the_hash_is_argon2id(
    web: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice", display_name="Alice Moreno")
    with db.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "alice"))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored

    answer = sign_in(web, "Alice", PASSWORD)  # usernames are not case-sensitive
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    home = web.get("/")
    assert home.status_code == 200
    assert "Alice Moreno" in home.text
    assert "Rural Hospital" in home.text
    assert "user.login" in _actions(db)
    assert verify_chain(db).broken_at is None


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(
    web: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice")
    for asked, landed in (
        ("/systems", "/systems"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ):
        web.cookies.clear()
        form = web.get("/login", params={"next": asked})
        answer = web.post(
            "/login",
            data={
                "csrf_token": csrf_of(form),
                "username": "alice",
                "password": PASSWORD,
                "next": asked,
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == landed, asked


def test_wrong_passwords_lock_the_account_even_for_the_right_one(
    web: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice")
    for _ in range(WEB_SETTINGS.login_max_failures):
        refused = sign_in(web, "alice", "not the password at all")
        assert refused.status_code == 401
        assert "do not match" in refused.text
        assert "chs_session" not in refused.cookies
    locked = sign_in(web, "alice", PASSWORD)
    assert locked.status_code == 401
    assert web.get("/", follow_redirects=False).status_code == 303
    with db.session() as session:
        outcomes = list(session.scalars(select(LoginAttempt.outcome).order_by(LoginAttempt.id)))
        user = session.scalar(select(User).where(User.username == "alice"))
        assert user is not None
        assert user.locked_until is not None
        remaining = user.locked_until - utcnow()
    assert outcomes == ["failure", "failure", "lockout", "locked"]
    assert timedelta(minutes=14) < remaining <= WEB_SETTINGS.lockout_duration
    assert _actions(db).count("user.login_failed") == 2
    assert "user.lockout" in _actions(db)
    # the same answer as for a wrong password: a guesser learns nothing from it
    assert sign_in(web, "nobody-here", PASSWORD).text.count("do not match") == 1


def test_a_lockout_ends_by_itself_or_when_an_admin_unlocks(
    web: TestClient, other_browser: TestClient, db: Database
) -> None:
    alice = add_person(db, "Rural Hospital", "alice")
    add_person(db, "Rural Hospital", "admin")
    for _ in range(WEB_SETTINGS.login_max_failures):
        sign_in(web, "alice", "wrong password, again")
    with db.session() as session:
        later = utcnow() + WEB_SETTINGS.lockout_duration + timedelta(seconds=1)
        outcome = accounts.sign_in(session, WEB_SETTINGS, "alice", PASSWORD, now=later)
        assert outcome.user is not None
        session.rollback()

    assert sign_in(other_browser, "admin").status_code == 303
    people = other_browser.get("/people")
    assert "locked until" in people.text
    with db.session() as session:
        user_id = session.scalar(select(User.id).where(User.username == alice.username))
    unlocked = post_form(other_browser, "/people", f"/people/{user_id}/unlock")
    assert unlocked.status_code == 303
    assert sign_in(web, "alice").status_code == 303
    assert "user.unlock" in _actions(db)


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(
    db: Database, tmp_path: Path
) -> None:
    add_person(db, "Rural Hospital", "alice")
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        with make_client(db, tmp_path, base) as client:
            answer = sign_in(client, "alice")
            assert answer.status_code == 303
            cookie = next(
                c for c in answer.headers.get_list("set-cookie") if c.startswith("chs_session=")
            )
            attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert {"httponly", "samesite", "path"} <= attributes
            assert "samesite=lax" in cookie.lower()
            assert ("secure" in attributes) is secure
            secret = client.cookies["chs_session"]
            assert len(secret) >= 43  # 256 random bits
    with db.session() as session:
        hashes = list(session.scalars(select(WebSession.token_hash)))
    assert secret not in hashes  # only its SHA-256 is stored
    assert accounts.secret_hash(secret) in hashes


def test_signing_out_ends_the_session_on_the_server(
    web: TestClient, other_browser: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice")
    sign_in(web, "alice")
    stolen = web.cookies["chs_session"]
    assert _sessions(db) == 1
    out = post_form(web, "/", "/logout")
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert _sessions(db) == 0
    # the old cookie, replayed from elsewhere, no longer opens anything
    other_browser.cookies.set("chs_session", stolen)
    assert other_browser.get("/", follow_redirects=False).status_code == 303
    assert "user.logout" in _actions(db)


def test_changing_the_password_signs_out_every_other_session(
    web: TestClient, other_browser: TestClient, db: Database
) -> None:
    add_person(db, "Rural Hospital", "alice")
    sign_in(web, "alice")
    sign_in(other_browser, "alice")
    new = "a different long passphrase"
    mismatch = post_form(
        web,
        "/account",
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "new_password_confirm": new + "x"},
    )
    assert mismatch.status_code == 400
    assert "differ" in mismatch.text
    changed = post_form(
        web,
        "/account",
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert changed.status_code == 303
    assert "Password changed" in web.get("/account").text
    assert other_browser.get("/", follow_redirects=False).status_code == 303
    assert sign_in(other_browser, "alice", PASSWORD).status_code == 401
    assert sign_in(other_browser, "alice", new).status_code == 303


def test_the_first_sign_in_page_says_how_to_create_the_first_user(web: TestClient) -> None:
    page = web.get("/login")
    assert "No accounts yet" in page.text
    assert "clearinghouse org create" in page.text
    assert "clearinghouse user create" in page.text


def test_signing_in_over_a_session_replaces_it(web: TestClient, db: Database) -> None:
    """A sign-in form left open in a tab, used by someone else on the same browser."""
    add_person(db, "Rural Hospital", "alice")
    add_person(db, "Rural Hospital", "bea")
    token = csrf_of(web.get("/login"))
    for username in ("alice", "bea"):
        answer = web.post(
            "/login",
            data={"csrf_token": token, "username": username, "password": PASSWORD},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        if username == "alice":
            first = web.cookies["chs_session"]
    assert web.cookies["chs_session"] != first
    assert _sessions(db) == 1  # alice's session ended; nothing reopens it
    assert "bea" in web.get("/").text
