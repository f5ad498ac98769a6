"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from clearinghouse import __version__
from clearinghouse.api.deps import get_db
from clearinghouse.store import Database

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def liveness() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", summary="Readiness: the database answers and its schema is current")
def readiness(db: Annotated[Database, Depends(get_db)]) -> Any:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        pending = db.pending_migrations()
    except Exception as exc:  # any failure means "not ready", with the reason
        return JSONResponse(status_code=503, content={"status": "unavailable", "reason": str(exc)})
    if pending:
        return JSONResponse(
            status_code=503, content={"status": "unavailable", "reason": "migrations pending"}
        )
    return {"status": "ready"}
