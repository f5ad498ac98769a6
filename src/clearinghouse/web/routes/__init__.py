"""The web interface's pages, one router (mounted by ``clearinghouse.api.app``)."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

PAGE_MODULES = (
    "clearinghouse.web.routes.auth",
    "clearinghouse.web.routes.operator",
    "clearinghouse.web.routes.settings",
    "clearinghouse.web.routes.advisories",
    "clearinghouse.web.routes.triage",
    "clearinghouse.web.routes.frontier",
)

router = APIRouter(include_in_schema=False)
for _name in PAGE_MODULES:
    router.include_router(importlib.import_module(_name).router)
