"""Signing in and out, accepting an invitation, changing one's password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import delete, exists, select

from clearinghouse.participants.models import User
from clearinghouse.web import accounts
from clearinghouse.web.accounts import AccountError
from clearinghouse.web.deps import (
    SESSION_COOKIE,
    AnonymousFormDep,
    FormDep,
    OptionalViewerDep,
    ViewerDep,
    WebRoute,
    anonymous_csrf_token,
    cookie_secure,
    database,
    field,
    see_other,
    set_anonymous_csrf,
    set_session_cookie,
    web_settings,
)
from clearinghouse.web.models import WebSession
from clearinghouse.web.render import render, when
from clearinghouse.web.sessions import end_session, start_session

router = APIRouter(route_class=WebRoute)

FAILED = (
    "The username and password do not match, or the account is locked for a while after "
    "repeated failures. Check both and try again."
)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme) may follow sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def _login_page(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = anonymous_csrf_token(request)
    with database(request).session() as session:
        first_run = not session.scalar(select(exists().where(User.id.is_not(None))))
    response = render(
        request,
        "login.html",
        None,
        title="Sign in",
        status=status,
        anonymous_csrf=token,
        next_url=next_url,
        username=username,
        error=error,
        first_run=first_run,
    )
    set_anonymous_csrf(request, response, token)
    return response


@router.get("/login")
def login_form(
    request: Request,
    viewer: OptionalViewerDep,
    next_url: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    if viewer is not None:
        return see_other(safe_next(next_url))
    return _login_page(request, next_url=safe_next(next_url))


@router.post("/login")
def login(request: Request, form: AnonymousFormDep) -> Response:
    username = field(form, "username")
    password = form.get("password")
    next_url = safe_next(field(form, "next"))
    settings = web_settings(request)
    secret = None
    with database(request).session() as session:
        outcome = accounts.sign_in(
            session,
            settings,
            username,
            password if isinstance(password, str) else "",
            remote=_remote(request),
        )
        if outcome.user is not None:
            previous = request.cookies.get(SESSION_COOKIE)
            if previous:  # signing in over another session ends that one
                session.execute(
                    delete(WebSession).where(
                        WebSession.token_hash == accounts.secret_hash(previous)
                    )
                )
            secret = start_session(session, settings, outcome.user, remote=_remote(request))
    if secret is None:
        return _login_page(request, next_url=next_url, username=username, error=FAILED, status=401)
    response = see_other(next_url)
    set_session_cookie(request, response, secret)
    return response


@router.post("/logout")
def logout(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    with database(request).session() as session:
        end_session(session, viewer)
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=cookie_secure(request), httponly=True)
    return response


# -- invitations ---------------------------------------------------------------------------------


def _invite_page(
    request: Request,
    token: str,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with database(request).session() as session:
        invitation = accounts.open_invitation(session, token)
        org_name = None
        if invitation is not None:
            from clearinghouse.participants.models import Organization

            org = session.get(Organization, invitation.organization_id)
            org_name = org.name if org else None
        role = invitation.role if invitation is not None else None
        expires = when(invitation.expires_at) if invitation is not None else None
    csrf = anonymous_csrf_token(request)
    response = render(
        request,
        "invite.html",
        None,
        title="Join your organization",
        status=status if invitation is not None else 404,
        anonymous_csrf=csrf,
        token=token,
        valid=invitation is not None,
        organization=org_name,
        role=role,
        expires=expires,
        error=error,
        values=values or {},
        min_length=accounts.MIN_PASSWORD_LENGTH,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    set_anonymous_csrf(request, response, csrf)
    return response


@router.get("/invite")
def invitation_form(
    request: Request, token: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    return _invite_page(request, token)


@router.post("/invite")
def accept_invitation(request: Request, form: AnonymousFormDep) -> Response:
    token = field(form, "token")[:100]
    username = field(form, "username")
    password = form.get("password")
    confirm = form.get("password_confirm")
    values = {
        "username": username,
        "display_name": field(form, "display_name"),
        "email": field(form, "email"),
    }
    if not isinstance(password, str) or password != confirm:
        return _invite_page(
            request, token, error="The two passwords differ.", values=values, status=400
        )
    settings = web_settings(request)
    try:
        with database(request).session() as session:
            user = accounts.accept_invitation(
                session,
                token,
                username,
                password,
                display_name=values["display_name"],
                email=values["email"] or None,
            )
            secret = start_session(session, settings, user, remote=_remote(request))
    except AccountError as exc:
        return _invite_page(request, token, error=str(exc), values=values, status=400)
    response = see_other("/")
    set_session_cookie(request, response, secret)
    return response


# -- my account ----------------------------------------------------------------------------------


@router.get("/account")
def account(request: Request, viewer: ViewerDep) -> Response:
    return render(
        request,
        "account.html",
        viewer,
        title="Your account",
        section="account",
        error=None,
        min_length=accounts.MIN_PASSWORD_LENGTH,
    )


@router.post("/account/password")
def change_password(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    current = form.get("current_password")
    new = form.get("new_password")
    error = None
    if not isinstance(new, str) or new != form.get("new_password_confirm"):
        error = "The two new passwords differ."
    else:
        try:
            with database(request).session() as session:
                user = session.get(User, viewer.user.id)
                assert user is not None
                if not accounts.password_matches(user, current if isinstance(current, str) else ""):
                    raise AccountError("The current password is not right.")
                accounts.set_password(session, viewer.principal.audit_actor, user, new)
                secret = start_session(
                    session,
                    web_settings(request),
                    user,
                    remote=_remote(request),
                    flash="Password changed. Every other session was signed out.",
                )
        except AccountError as exc:
            error = str(exc)
    if error is not None:
        return render(
            request,
            "account.html",
            viewer,
            title="Your account",
            section="account",
            error=error,
            min_length=accounts.MIN_PASSWORD_LENGTH,
            status=400,
        )
    response = see_other("/account")
    set_session_cookie(request, response, secret)
    return response
