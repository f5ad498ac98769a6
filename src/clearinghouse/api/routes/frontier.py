"""The covered-frontier-model program over HTTP: the model registry, evaluations, ML-BOM export
and the instance's signing key. Designation, engagements, access and incidents have their own
``frontier_*`` router modules; all share :class:`FrontierRoute`, which turns the program's
errors into responses (404 for anything not the caller's, never 403 about its existence).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from clearinghouse.api.deps import PrincipalDep, SessionDep, _bearer, get_settings
from clearinghouse.frontier import evaluations, registry
from clearinghouse.frontier.common import FrontierError
from clearinghouse.frontier.export import version_mlbom
from clearinghouse.frontier.models import Evaluation, FrontierModel, ModelVersion
from clearinghouse.frontier.registry import ModelCard
from clearinghouse.frontier.signing import key_id, load_or_create_key, public_key_pem
from clearinghouse.participants.service import Principal
from clearinghouse.settings import Settings

SettingsDep = Annotated[Settings, Depends(get_settings)]


class FrontierRoute(APIRoute):
    """Answers a :class:`FrontierError` with its status and message (after the rollback)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except FrontierError as exc:
                return JSONResponse(status_code=exc.status, content={"detail": exc.message})

        return guarded


router = APIRouter(
    prefix="/api/v1/frontier", tags=["frontier: registry"], route_class=FrontierRoute
)


# -- schemas -------------------------------------------------------------------------------------


class ModelIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    tags: dict[str, str] = Field(default_factory=dict)


class ModelPatch(BaseModel):
    description: str | None = Field(default=None, max_length=20000)
    tags: dict[str, str] | None = None


class VersionIn(BaseModel):
    label: str = Field(default="", max_length=100)
    tags: dict[str, str] = Field(default_factory=dict)
    planned_release_at: datetime | None = None
    card: ModelCard = Field(default_factory=ModelCard)


class VersionPatch(BaseModel):
    label: str | None = Field(default=None, max_length=100)
    tags: dict[str, str] | None = None
    planned_release_at: datetime | None = None
    card: ModelCard | None = None


class AliasIn(BaseModel):
    version: int = Field(ge=1, description="The version number the alias points at.")


class ShareIn(BaseModel):
    evaluator_id: int


def model_out(session: Any, model: FrontierModel) -> dict[str, Any]:
    return registry.model_snapshot(model) | {
        "aliases": registry.aliases(session, model.id),
        "created_at": model.created_at,
        "updated_at": model.updated_at,
    }


def version_out(version: ModelVersion) -> dict[str, Any]:
    return registry.version_snapshot(version) | {
        "created_at": version.created_at,
        "updated_at": version.updated_at,
    }


def evaluation_out(evaluation: Evaluation) -> dict[str, Any]:
    return evaluations.evaluation_snapshot(evaluation) | {
        "task_id": evaluation.task_id,
        "run_id": evaluation.run_id,
        "task_version": evaluation.task_version,
        "error": evaluation.error,
        "scores": evaluation.scores,
        "log_bytes": evaluation.log_bytes,
        "inspect_version": evaluation.inspect_version,
        "eval_created_at": evaluation.eval_created_at,
        "uploaded_by": evaluation.uploaded_by,
        "uploaded_at": evaluation.uploaded_at,
    }


# -- models and versions -------------------------------------------------------------------------


@router.get("/models", summary="Models I may see (mine, shared with me, or all for coordinators)")
def list_models(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    return [model_out(session, m) for m in registry.list_models(session, principal)]


@router.post("/models", status_code=status.HTTP_201_CREATED, summary="Register a model")
def create_model(body: ModelIn, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    model = registry.create_model(
        session, principal, body.name, description=body.description, tags=body.tags
    )
    return model_out(session, model)


@router.get("/models/{model_id}", summary="One model")
def get_model(model_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return model_out(session, registry.get_model(session, principal, model_id))


@router.patch("/models/{model_id}", summary="Change a model's description or tags")
def patch_model(
    model_id: int, body: ModelPatch, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    model = registry.update_model(
        session, principal, model_id, description=body.description, tags=body.tags
    )
    return model_out(session, model)


@router.post("/models/{model_id}/evaluators", summary="Share a model with an evaluator")
def share_model(
    model_id: int, body: ShareIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    model = registry.share_with_evaluator(session, principal, model_id, body.evaluator_id)
    return model_out(session, model)


@router.delete("/models/{model_id}/evaluators/{evaluator_id}", summary="Stop sharing a model")
def unshare_model(
    model_id: int, evaluator_id: int, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    model = registry.share_with_evaluator(session, principal, model_id, evaluator_id, share=False)
    return model_out(session, model)


@router.get("/models/{model_id}/versions", summary="A model's versions")
def list_versions(model_id: int, principal: PrincipalDep, session: SessionDep) -> list[Any]:
    return [version_out(v) for v in registry.list_versions(session, principal, model_id)]


@router.post(
    "/models/{model_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Register the next version (numbered automatically) with its model card",
)
def create_version(
    model_id: int, body: VersionIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    version = registry.create_version(
        session,
        principal,
        model_id,
        body.card,
        label=body.label,
        tags=body.tags,
        planned_release_at=body.planned_release_at,
    )
    return version_out(version)


@router.get("/models/{model_id}/versions/{ref}", summary="A version by number or alias")
def resolve_version(
    model_id: int, ref: str, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    return version_out(registry.resolve_version(session, principal, model_id, ref))


@router.put("/models/{model_id}/aliases/{alias}", summary="Point an alias at a version")
def set_alias(
    model_id: int, alias: str, body: AliasIn, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    registry.set_alias(session, principal, model_id, alias, body.version)
    return {"model_id": model_id, "aliases": registry.aliases(session, model_id)}


@router.delete(
    "/models/{model_id}/aliases/{alias}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an alias",
)
def delete_alias(model_id: int, alias: str, principal: PrincipalDep, session: SessionDep) -> None:
    registry.delete_alias(session, principal, model_id, alias)


@router.get("/versions/{version_id}", summary="One version, by id")
def get_version(version_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return version_out(registry.get_version(session, principal, version_id))


@router.patch("/versions/{version_id}", summary="Change a version's card, label, tags or date")
def patch_version(
    version_id: int, body: VersionPatch, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    version = registry.update_version(
        session,
        principal,
        version_id,
        card=body.card,
        label=body.label,
        tags=body.tags,
        planned_release_at=body.planned_release_at,
    )
    return version_out(version)


@router.get(
    "/versions/{version_id}/mlbom",
    summary="The version as a CycloneDX 1.6 ML-BOM",
    response_class=Response,
    responses={200: {"content": {"application/vnd.cyclonedx+json": {}}}},
)
def export_mlbom(version_id: int, principal: PrincipalDep, session: SessionDep) -> Response:
    document = version_mlbom(session, principal, version_id)
    return Response(
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        media_type="application/vnd.cyclonedx+json; version=1.6",
    )


# -- evaluations ---------------------------------------------------------------------------------


@router.post(
    "/versions/{version_id}/evaluations",
    status_code=status.HTTP_201_CREATED,
    summary="Upload an Inspect AI eval log (.eval or .json) as the request body",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_evaluation(
    version_id: int,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    filename: Annotated[str, Query(max_length=255, description="The log's file name")] = "",
) -> dict[str, Any]:
    """The body is streamed to a temporary file, refused past ``CLEARINGHOUSE_MAX_INPUT_BYTES``,
    then read with ``inspect_ai.log.read_eval_log``."""
    from clearinghouse.api.deps import get_principal

    settings: Settings = request.app.state.settings
    db = request.app.state.db
    source = filename or "upload"

    def check() -> Principal:
        with db.session() as session:
            principal = get_principal(request, session, credentials)
            evaluations.require_uploader(session, principal, version_id)
            return principal

    principal = await run_in_threadpool(check)

    import tempfile
    from pathlib import Path

    from clearinghouse.formats.safety import check_size

    with tempfile.TemporaryDirectory(prefix="eval-upload-") as tmp:
        suffix = Path(source).suffix.lower()
        path = Path(tmp) / ("upload" + (suffix if suffix in (".eval", ".json") else ""))
        written = 0
        with path.open("wb") as out:
            async for chunk in request.stream():
                written += len(chunk)
                check_size(source, written, settings.max_input_bytes)
                out.write(chunk)

        def store() -> dict[str, Any]:
            with db.session() as session:
                evaluation = evaluations.upload_evaluation(
                    session,
                    principal,
                    version_id,
                    source,
                    path,
                    limit=settings.max_input_bytes,
                    archive_limit=settings.max_archive_bytes,
                )
                return evaluation_out(evaluation)

        return await run_in_threadpool(store)


@router.get("/versions/{version_id}/evaluations", summary="A version's evaluations I may see")
def list_evaluations(
    version_id: int, principal: PrincipalDep, session: SessionDep
) -> list[dict[str, Any]]:
    return [evaluation_out(e) for e in evaluations.list_evaluations(session, principal, version_id)]


@router.get("/evaluations/{evaluation_id}", summary="One evaluation")
def get_evaluation(
    evaluation_id: int, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    return evaluation_out(evaluations.get_evaluation(session, principal, evaluation_id))


@router.get("/benchmarks", summary="The cyber benchmarks recognised from task names")
def benchmarks(principal: PrincipalDep) -> list[dict[str, str]]:
    from clearinghouse.frontier.benchmarks import CYBER_BENCHMARKS

    return [{"key": b.key, "name": b.name, "pattern": b.pattern.pattern} for b in CYBER_BENCHMARKS]


# -- the instance's signing key ------------------------------------------------------------------


@router.get(
    "/signing-key",
    summary="The public Ed25519 key that signs referral packets (PEM)",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
def signing_key(settings: SettingsDep) -> Response:
    key = load_or_create_key(settings.signing_key_file)
    return Response(
        public_key_pem(key),
        media_type="application/x-pem-file",
        headers={"X-Key-Id": key_id(key)},
    )
