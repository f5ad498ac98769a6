"""Request dependencies: the database session, the authenticated principal, role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from clearinghouse.participants.models import Role
from clearinghouse.participants.service import Principal, authenticate
from clearinghouse.settings import Settings
from clearinghouse.store import Database

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer chs_...`")


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    with db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""Committed before the response is sent (``scope="function"``): a client told 201 can read
what it made at once, from any server, and a failed commit is an error, never a false 201."""


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the token is unknown, expired or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(role: Role) -> Callable[[Principal], Principal]:
    """Dependency factory: the principal must hold ``role`` (or a higher one)."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.role.allows(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the {role.value} role or higher"
            )
        return principal

    return check


MemberDep = Annotated[Principal, Depends(require_role(Role.member))]
AnalystDep = Annotated[Principal, Depends(require_role(Role.analyst))]
AdminDep = Annotated[Principal, Depends(require_role(Role.admin))]


def not_found(what: str = "not found") -> HTTPException:
    """The one answer for anything missing OR belonging to someone else (never 403)."""
    return HTTPException(status.HTTP_404_NOT_FOUND, what)
