"""Signed-in browsers: server-side sessions and the CSRF tokens derived from them.

The cookie carries 256 random bits and nothing else; the database keeps only their SHA-256.
A form's CSRF token is an HMAC of the cookie secret, so it is per session, needs no storage
and cannot be computed by a page that cannot read the (HttpOnly) cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clearinghouse.audit import record_event
from clearinghouse.participants.models import Organization, User
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow
from clearinghouse.web.accounts import principal_for, secret_hash
from clearinghouse.web.models import WebSession
from clearinghouse.web.settings import WebSettings

TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often (reads should not write every time)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at a page: the user, their organization, and the principal they act as."""

    session_id: int
    user: User
    organization: Organization
    principal: Principal
    csrf_token: str
    flash: str | None = None


def csrf_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"clearinghouse csrf", "sha256").hexdigest()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


def start_session(
    session: Session,
    settings: WebSettings,
    user: User,
    *,
    remote: str | None = None,
    flash: str | None = None,
    now: datetime | None = None,
) -> str:
    """A fresh session for a user who just proved who they are; returns the cookie secret."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    record = WebSession(
        token_hash=secret_hash(secret),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + settings.session_max_age,
        flash=flash,
    )
    session.add(record)
    session.flush()
    session.execute(
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now)
    )
    record_event(
        session,
        principal_for(user, _org(session, user)).audit_actor,
        "user.login",
        "app_user",
        user.id,
        after={"session": record.id, "remote": remote},
    )
    return secret


def _org(session: Session, user: User) -> Organization:
    org = session.get(Organization, user.organization_id)
    assert org is not None
    return org


def load_viewer(
    session: Session,
    settings: WebSettings,
    secret: str,
    *,
    now: datetime | None = None,
) -> Viewer | None:
    """The viewer a cookie stands for, or None: unknown, expired, idle too long, or the user
    was disabled. An ended session is deleted."""
    now = now or utcnow()
    record = session.scalar(select(WebSession).where(WebSession.token_hash == secret_hash(secret)))
    if record is None:
        return None
    user = session.get(User, record.user_id)
    if (
        user is None
        or user.disabled
        or record.expires_at <= now
        or now - record.last_seen_at > settings.session_idle_timeout
    ):
        session.delete(record)
        return None
    if now - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = now
    flash = record.flash
    if flash is not None:
        record.flash = None
    org = _org(session, user)
    return Viewer(
        session_id=record.id,
        user=user,
        organization=org,
        principal=principal_for(user, org),
        csrf_token=csrf_token(secret),
        flash=flash,
    )


def set_flash(session: Session, viewer: Viewer, message: str) -> None:
    record = session.get(WebSession, viewer.session_id)
    if record is not None:
        record.flash = message[:2000]


def end_session(session: Session, viewer: Viewer) -> None:
    record = session.get(WebSession, viewer.session_id)
    if record is None:
        return
    session.delete(record)
    record_event(
        session,
        viewer.principal.audit_actor,
        "user.logout",
        "app_user",
        viewer.user.id,
        after={"session": viewer.session_id},
    )
