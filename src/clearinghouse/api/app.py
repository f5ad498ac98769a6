"""The FastAPI application factory."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError

from clearinghouse import __version__
from clearinghouse.api.logs import log_requests
from clearinghouse.formats.errors import InputError
from clearinghouse.settings import Settings, get_settings
from clearinghouse.store import Database, open_database
from clearinghouse.web.deps import install_error_pages
from clearinghouse.web.render import STATIC as WEB_STATIC

ROUTER_MODULES = (
    "clearinghouse.api.routes.health",
    "clearinghouse.api.routes.osv",
    "clearinghouse.api.routes.participants",
    "clearinghouse.api.routes.frontier",
    "clearinghouse.api.routes.frontier_designation",
    "clearinghouse.api.routes.frontier_engagements",
    "clearinghouse.api.routes.frontier_access",
    "clearinghouse.api.routes.frontier_incidents",
    "clearinghouse.api.routes.inventories",
    "clearinghouse.api.routes.exposures",
    "clearinghouse.api.routes.vex",
    "clearinghouse.api.routes.notifications",
    "clearinghouse.api.routes.findings",
    "clearinghouse.web.routes",
)
"""Each module exposes ``router``; later parts append theirs here."""

DESCRIPTION = """\
The AI cybersecurity clearinghouse API.

* `/v1/query`, `/v1/querybatch`, `/v1/vulns/{id}`: the OSV API, for existing OSV clients
  (public advisories only; no token needed).
* `/api/v1/...`: participants' own data (inventories, exposures, notifications...), with an API
  token: `Authorization: Bearer chs_...`. Anything that is not yours answers 404.
"""


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    lifespan_hooks: list[Any] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    database = db or open_database(settings)
    hooks = list(lifespan_hooks or [])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stops = []
        for hook in hooks:
            stops.append(hook(app))
        try:
            yield
        finally:
            for stop in reversed(stops):
                if callable(stop):
                    stop()

    app = FastAPI(
        title="Clearinghouse",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.middleware("http")(log_requests)

    @app.exception_handler(InputError)
    async def input_error(_: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status, content={"detail": exc.reason, "source": exc.source}
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def value_out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # A value in the request the database cannot hold (PostgreSQL: an integer out of
        # range; SQLite: an int over 64 bits), e.g. an id no row can have: the transaction
        # rolled back, nothing was written.
        return JSONResponse(
            status_code=422,
            content={"detail": "a value in the request is out of range for this service"},
        )

    for module_name in ROUTER_MODULES:
        module = importlib.import_module(module_name)
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=WEB_STATIC), name="static")
    install_error_pages(app)
    return app
