"""What every page depends on: the viewer (from the session cookie), CSRF-checked forms, and a
route class that turns the parts' errors into pages and sets the security headers."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse

from clearinghouse.findings.workflow import NotVisible
from clearinghouse.frontier.common import FrontierError
from clearinghouse.participants.models import Role
from clearinghouse.store import Database
from clearinghouse.web.render import render
from clearinghouse.web.sessions import Viewer, csrf_matches, load_viewer
from clearinghouse.web.settings import WebSettings, load_web_settings

SESSION_COOKIE = "chs_session"
ANONYMOUS_CSRF_COOKIE = "chs_csrf"
MAX_FORM_FIELDS = 200

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class LoginRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


class PageNotFound(Exception):
    """Missing, or not the viewer's to see: one answer for both, never 403."""


class NotAllowed(Exception):
    """The viewer sees the thing but their role may not do this."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfFailure(Exception):
    """A form that did not carry this session's token, or came from another site."""


def web_settings(request: Request) -> WebSettings:
    settings: WebSettings | None = getattr(request.app.state, "web_settings", None)
    if settings is None:
        settings = load_web_settings()
        request.app.state.web_settings = settings
    return settings


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_secure(request: Request) -> bool:
    configured = web_settings(request).cookie_secure
    return is_https(request) if configured is None else configured


def optional_viewer(request: Request) -> Viewer | None:
    secret = request.cookies.get(SESSION_COOKIE)
    viewer = None
    if secret:
        with database(request).session() as session:
            viewer = load_viewer(session, web_settings(request), secret)
    request.state.viewer = viewer
    if viewer is not None:
        request.state.principal = viewer.principal
    return viewer


def require_viewer(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise LoginRequired()
    return viewer


ViewerDep = Annotated[Viewer, Depends(require_viewer)]
OptionalViewerDep = Annotated[Viewer | None, Depends(optional_viewer)]


def require_role(viewer: Viewer, role: Role) -> None:
    if not viewer.principal.role.allows(role):
        raise NotAllowed(f"This needs the {role.value} role; yours is {viewer.principal.role}.")


def check_origin(request: Request) -> None:
    """A form post whose Origin (sent by every current browser) is another site is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin != own:
        raise CsrfFailure()


async def checked_form(request: Request, viewer: ViewerDep) -> FormData:
    """The posted form, once its CSRF token proved it came from one of our pages."""
    check_origin(request)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    token = form.get("csrf_token")
    if not csrf_matches(viewer.csrf_token, token if isinstance(token, str) else None):
        raise CsrfFailure()
    return form


FormDep = Annotated[FormData, Depends(checked_form)]


async def anonymous_form(request: Request) -> FormData:
    """Forms shown before sign-in (sign-in, accepting an invitation): double-submit cookie."""
    check_origin(request)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    token = form.get("csrf_token")
    cookie = request.cookies.get(ANONYMOUS_CSRF_COOKIE)
    if not cookie or not csrf_matches(cookie, token if isinstance(token, str) else None):
        raise CsrfFailure()
    return form


AnonymousFormDep = Annotated[FormData, Depends(anonymous_form)]


def anonymous_csrf_token(request: Request) -> str:
    return request.cookies.get(ANONYMOUS_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_anonymous_csrf(request: Request, response: Response, token: str) -> None:
    if request.cookies.get(ANONYMOUS_CSRF_COOKIE) != token:
        response.set_cookie(
            ANONYMOUS_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=cookie_secure(request),
            path="/",
        )


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )


def field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    viewer = getattr(request.state, "viewer", None)
    return render(request, "error.html", viewer, title=title, status=status, message=message)


def _secure(response: Response, request: Request) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cache-Control", "no-store")
    if is_https(request):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


class WebRoute(APIRoute):
    """Pages answer in HTML: sign-in redirects, one 404 page for missing and not-yours."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                target = request.url.path
                if request.url.query and request.method == "GET":
                    target += "?" + request.url.query
                next_part = "" if target == "/" else "?next=" + quote(target, safe="/")
                response = see_other("/login" + next_part)
            except (PageNotFound, NotVisible, RequestValidationError):
                response = _error_page(
                    request, 404, "Not found", "There is nothing here, or it is not yours to see."
                )
            except FrontierError as exc:
                message = exc.message if exc.status != 404 else "There is nothing here."
                title = "Not found" if exc.status == 404 else "Not possible"
                response = _error_page(request, exc.status, title, message)
            except NotAllowed as exc:
                response = _error_page(request, 403, "Not allowed", exc.message)
            except CsrfFailure:
                response = _error_page(
                    request,
                    403,
                    "Form expired",
                    "This form has expired or did not come from this site. Go back, reload "
                    "the page and send it again.",
                )
            except HTTPException as exc:
                if exc.status_code == 404:
                    message = "There is nothing here, or it is not yours to see."
                else:
                    message = str(exc.detail)
                response = _error_page(request, exc.status_code, "Error", message)
            return _secure(response, request)

        return page


API_PREFIXES = ("/api/", "/v1/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz")


def install_error_pages(app: FastAPI) -> None:
    """A mistyped address answers a browser with the site's 404 page, not a JSON body; API
    clients (and every API path) keep FastAPI's JSON answer."""

    @app.exception_handler(StarletteHTTPException)
    async def not_found_page(request: Request, exc: StarletteHTTPException) -> Response:
        wants_page = "text/html" in request.headers.get("accept", "")
        if exc.status_code != 404 or not wants_page or request.url.path.startswith(API_PREFIXES):
            return await http_exception_handler(request, exc)
        await run_in_threadpool(optional_viewer, request)
        page = _error_page(
            request, 404, "Not found", "There is nothing here, or it is not yours to see."
        )
        return _secure(page, request)
