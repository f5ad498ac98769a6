"""People who sign in: users with argon2id passwords, lockout after repeated failures, and
invitations. Every change (and every sign-in, failed sign-in and lockout) is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clearinghouse.audit import Actor, record_event
from clearinghouse.frontier.common import CLEARED_KINDS, DESIGNATION_CLEARANCE
from clearinghouse.participants.models import Organization, OrganizationKind, Role, User
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow
from clearinghouse.web.models import Invitation, LoginAttempt, WebSession
from clearinghouse.web.settings import WebSettings

PASSWORD_HASHER = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106's second recommended option)."""

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
KNOWN_CLEARANCES = (DESIGNATION_CLEARANCE,)
ATTEMPT_RETENTION = timedelta(days=30)

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}")
_dummy: dict[int, str] = {}


class AccountError(ValueError):
    """A request about an account that cannot be honoured; the message says why."""


def principal_for(user: User, org: Organization) -> Principal:
    return Principal(
        organization_id=org.id,
        organization_kind=OrganizationKind(org.kind),
        role=Role(user.role),
        actor=f"user:{user.username}",
        user_id=user.id,
        clearances=frozenset(user.clearances or ()),
    )


def user_snapshot(user: User) -> dict[str, object]:
    """What the audit log keeps about a user (never the password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "clearances": list(user.clearances or []),
        "disabled": user.disabled,
        "locked_until": user.locked_until,
    }


def secret_hash(secret: str) -> str:
    """SHA-256 hex: session and invitation secrets are 256 random bits, so a fast hash is safe."""
    return hashlib.sha256(secret.encode()).hexdigest()


# -- passwords and users -------------------------------------------------------------------------


def check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode()) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password is at most {MAX_PASSWORD_LENGTH} bytes")
    if password.strip().lower() == username.strip().lower():
        raise AccountError("a password cannot be the username")


def check_username(username: str) -> str:
    username = username.strip()
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            "a username is 1-150 letters, digits or . _ @ + - (starting with a letter or digit)"
        )
    return username


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def _check_clearances(org: Organization, clearances: frozenset[str]) -> list[str]:
    unknown = sorted(clearances - set(KNOWN_CLEARANCES))
    if unknown:
        raise AccountError(
            f"unknown clearance {unknown[0]!r}; known: {', '.join(KNOWN_CLEARANCES)}"
        )
    if clearances and OrganizationKind(org.kind) not in CLEARED_KINDS:
        raise AccountError(
            f"{org.name} ({org.kind}) cannot hold a clearance: only coordinator and evaluator "
            "staff may"
        )
    return sorted(clearances)


def create_user(
    session: Session,
    actor: Actor,
    org: Organization,
    username: str,
    role: Role,
    *,
    password: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
    clearances: frozenset[str] = frozenset(),
) -> User:
    username = check_username(username)
    if find_user(session, username) is not None:
        raise AccountError(f"the username {username!r} is taken")
    if password is not None:
        check_password(password, username)
    user = User(
        organization_id=org.id,
        username=username,
        email=(email or "").strip() or None,
        display_name=(display_name or "").strip()[:200] or None,
        role=role.value,
        password_hash=PASSWORD_HASHER.hash(password) if password is not None else None,
        clearances=_check_clearances(org, clearances),
        disabled=False,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor,
        "user.create",
        "app_user",
        user.id,
        after=user_snapshot(user),
        organization_id=org.id,
    )
    return user


def set_password(session: Session, actor: Actor, user: User, password: str) -> int:
    """Replace the password; every session of the user ends. Returns how many ended."""
    check_password(password, user.username)
    user.password_hash = PASSWORD_HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    ended = end_all_sessions(session, user.id)
    record_event(
        session,
        actor,
        "user.password",
        "app_user",
        user.id,
        after={"sessions_ended": ended},
        organization_id=user.organization_id,
    )
    return ended


def unlock(session: Session, actor: Actor, user: User) -> None:
    before = user_snapshot(user)
    user.failed_logins = 0
    user.locked_until = None
    record_event(
        session,
        actor,
        "user.unlock",
        "app_user",
        user.id,
        before=before,
        after=user_snapshot(user),
        organization_id=user.organization_id,
    )


def end_all_sessions(session: Session, user_id: int) -> int:
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


# -- signing in ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignIn:
    user: User | None
    """Set only when the password was right and the account may sign in."""
    locked_until: datetime | None = None


def _dummy_hash() -> str:
    """A hash of a random password, made with the hasher in use (so it costs the same)."""
    key = id(PASSWORD_HASHER)
    if key not in _dummy:
        _dummy[key] = PASSWORD_HASHER.hash(secrets.token_urlsafe(16))
    return _dummy[key]


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_matches(user: User, password: str) -> bool:
    return user.password_hash is not None and _verify(user.password_hash, password)


def _recent_failures(session: Session, user_id: int, since: datetime) -> int:
    reset = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.user_id == user_id,
            LoginAttempt.outcome.in_(("success", "lockout")),
        )
    )
    start = max(since, reset) if reset is not None else since
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.user_id == user_id,
                LoginAttempt.outcome == "failure",
                LoginAttempt.at > start,
            )
        )
        or 0
    )


def sign_in(
    session: Session,
    settings: WebSettings,
    username: str,
    password: str,
    *,
    remote: str | None = None,
    now: datetime | None = None,
) -> SignIn:
    """Check a username and password, counting failures toward the lockout.

    A locked account refuses even the right password until the lockout ends. Unknown names,
    disabled accounts and accounts without a password cost one argon2 verification too, so the
    answer's timing does not tell them apart from a wrong password.
    """
    now = now or utcnow()
    typed = username.strip().lower()[:150]
    user = find_user(session, typed) if typed else None
    org = session.get(Organization, user.organization_id) if user is not None else None
    right = _verify(user.password_hash if user is not None else None, password)

    def attempt(outcome: str) -> None:
        session.add(
            LoginAttempt(
                username=typed,
                user_id=user.id if user is not None else None,
                at=now,
                outcome=outcome,
                remote=(remote or "")[:64] or None,
            )
        )

    if user is None or org is None:
        attempt("unknown")
        return SignIn(None)
    actor = Actor(f"user:{user.username}", user.organization_id)
    if user.disabled or user.password_hash is None:
        attempt("disabled")
        return SignIn(None)
    if user.locked_until is not None and user.locked_until > now:
        attempt("locked")
        return SignIn(None, user.locked_until)
    if not right:
        failures = _recent_failures(session, user.id, now - settings.login_failure_window) + 1
        user.failed_logins = failures
        if failures >= settings.login_max_failures:
            attempt("lockout")
            user.locked_until = now + settings.lockout_duration
            user.failed_logins = 0
            record_event(
                session,
                actor,
                "user.lockout",
                "app_user",
                user.id,
                after={"failures": failures, "locked_until": user.locked_until, "remote": remote},
            )
            return SignIn(None, user.locked_until)
        attempt("failure")
        record_event(
            session,
            actor,
            "user.login_failed",
            "app_user",
            user.id,
            after={"failures": failures, "remote": remote},
        )
        return SignIn(None)
    attempt("success")
    user.failed_logins = 0
    user.locked_until = None
    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORD_HASHER.hash(password)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPT_RETENTION))
    return SignIn(user)


# -- invitations ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    token: str
    """Goes in the link, shown once; only its hash is stored."""
    record: Invitation


def invitation_snapshot(invitation: Invitation) -> dict[str, object]:
    return {
        "id": invitation.id,
        "role": invitation.role,
        "email": invitation.email,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
        "accepted_user_id": invitation.accepted_user_id,
        "revoked_at": invitation.revoked_at,
    }


def invite(
    session: Session,
    actor: Actor,
    org: Organization,
    role: Role,
    *,
    lifetime: timedelta,
    email: str | None = None,
    now: datetime | None = None,
) -> IssuedInvitation:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    record = Invitation(
        organization_id=org.id,
        token_hash=secret_hash(token),
        role=role.value,
        email=(email or "").strip()[:320] or None,
        created_by=actor.name,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        actor,
        "invitation.create",
        "web_invitation",
        record.id,
        after=invitation_snapshot(record),
        organization_id=org.id,
    )
    return IssuedInvitation(token, record)


def open_invitation(
    session: Session, token: str, *, now: datetime | None = None
) -> Invitation | None:
    """The invitation a link stands for, while it can still be accepted."""
    now = now or utcnow()
    record = session.scalar(select(Invitation).where(Invitation.token_hash == secret_hash(token)))
    if (
        record is None
        or record.accepted_at is not None
        or record.revoked_at is not None
        or record.expires_at <= now
    ):
        return None
    return record


def accept_invitation(
    session: Session,
    token: str,
    username: str,
    password: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    now: datetime | None = None,
) -> User:
    now = now or utcnow()
    record = open_invitation(session, token, now=now)
    if record is None:
        raise AccountError("this invitation link is not valid: it was used, revoked or expired")
    org = session.get(Organization, record.organization_id)
    assert org is not None
    name = check_username(username)
    actor = Actor(f"user:{name}", org.id)
    user = create_user(
        session,
        actor,
        org,
        name,
        Role(record.role),
        password=password,
        email=email or record.email,
        display_name=display_name,
    )
    before = invitation_snapshot(record)
    record.accepted_at = now
    record.accepted_user_id = user.id
    record_event(
        session,
        actor,
        "invitation.accept",
        "web_invitation",
        record.id,
        before=before,
        after=invitation_snapshot(record),
        organization_id=org.id,
    )
    return user


def revoke_invitation(session: Session, actor: Actor, record: Invitation) -> None:
    if record.revoked_at is not None or record.accepted_at is not None:
        return
    before = invitation_snapshot(record)
    record.revoked_at = utcnow()
    record_event(
        session,
        actor,
        "invitation.revoke",
        "web_invitation",
        record.id,
        before=before,
        after=invitation_snapshot(record),
        organization_id=record.organization_id,
    )


def organization_people(session: Session, organization_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == organization_id)
            .order_by(func.lower(User.username))
        )
    )


def organization_invitations(session: Session, organization_id: int) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.organization_id == organization_id)
            .order_by(Invitation.id.desc())
        )
    )
