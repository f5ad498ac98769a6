"""The model registry: AI developers' models, auto-numbered versions, aliases, tags, model cards.

Who sees a model: its developer, the clearinghouse's coordinators, and the evaluator
organizations the developer shared it with. Everyone else gets :class:`NotFound`.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearinghouse.frontier.common import (
    Conflict,
    Invalid,
    NotFound,
    audit,
    clean_text,
    require_aware,
    require_kind,
    require_role,
)
from clearinghouse.frontier.models import (
    Autonomy,
    FrontierModel,
    LearningApproach,
    ModelAlias,
    ModelVersion,
    ReleaseChannel,
)
from clearinghouse.participants.models import Organization, OrganizationKind, Role
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._+\-/]{0,199}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_\-]{0,99}$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9_.:\-/]{1,100}$")
MAX_TAGS = 50


class Modality(StrEnum):
    text = "text"
    code = "code"
    image = "image"
    audio = "audio"
    video = "video"
    tabular = "tabular"
    actions = "actions"
    """Tool calls or computer actions."""


class ModelCard(BaseModel):
    """Model-card fields, named after CycloneDX ``modelCard`` and Hugging Face model cards."""

    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(default="", max_length=5000, description="Intended use, in a sentence.")
    intended_users: list[str] = Field(default_factory=list, max_length=50)
    use_cases: list[str] = Field(default_factory=list, max_length=50)
    out_of_scope_uses: list[str] = Field(default_factory=list, max_length=50)
    limitations: list[str] = Field(default_factory=list, max_length=50)
    task: str = Field(default="", max_length=100, description="Hugging Face pipeline_tag.")
    input_modalities: list[Modality] = Field(default_factory=list)
    output_modalities: list[Modality] = Field(default_factory=list)
    architecture_family: str = Field(default="", max_length=200)
    model_architecture: str = Field(default="", max_length=200)
    learning_approach: LearningApproach | None = None
    tool_use: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Tools the model can call (code-execution, shell, web-browsing...).",
    )
    autonomy: Autonomy = Autonomy.none
    training_compute_flop: float | None = Field(default=None, ge=0, le=1e40)
    release_channels: list[ReleaseChannel] = Field(default_factory=list)
    license: str = Field(default="", max_length=200, description="SPDX id or licence name.")
    base_model: str = Field(default="", max_length=300)
    training_datasets: list[str] = Field(default_factory=list, max_length=100)
    languages: list[str] = Field(default_factory=list, max_length=200)


# -- visibility ----------------------------------------------------------------------------------


def can_see_model(principal: Principal, model: FrontierModel) -> bool:
    return (
        model.organization_id == principal.organization_id
        or principal.is_coordinator
        or principal.organization_id in (model.evaluator_ids or [])
    )


def owns_model(principal: Principal, model: FrontierModel) -> bool:
    return model.organization_id == principal.organization_id


def get_model(session: Session, principal: Principal, model_id: int) -> FrontierModel:
    model = session.get(FrontierModel, model_id)
    if model is None or not can_see_model(principal, model):
        raise NotFound("no such model")
    return model


def get_version(session: Session, principal: Principal, version_id: int) -> ModelVersion:
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound("no such model version")
    model = session.get(FrontierModel, version.model_id)
    if model is None or not can_see_model(principal, model):
        raise NotFound("no such model version")
    return version


def version_model(session: Session, version: ModelVersion) -> FrontierModel:
    model = session.get(FrontierModel, version.model_id)
    assert model is not None
    return model


def own_model(session: Session, principal: Principal, model_id: int) -> FrontierModel:
    """The caller's own model, for changes (others' models do not exist for changing)."""
    model = get_model(session, principal, model_id)
    if not owns_model(principal, model):
        raise NotFound("no such model")
    require_role(principal, Role.member)
    return model


def own_version(session: Session, principal: Principal, version_id: int) -> ModelVersion:
    version = get_version(session, principal, version_id)
    own_model(session, principal, version.model_id)
    return version


# -- snapshots (what the API returns and the audit log keeps) -----------------------------------


def model_snapshot(model: FrontierModel) -> dict[str, Any]:
    return {
        "id": model.id,
        "organization_id": model.organization_id,
        "name": model.name,
        "description": model.description,
        "tags": dict(model.tags or {}),
        "evaluator_ids": list(model.evaluator_ids or []),
    }


def version_snapshot(version: ModelVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "model_id": version.model_id,
        "number": version.number,
        "label": version.label,
        "tags": dict(version.tags or {}),
        "card": dict(version.card or {}),
        "planned_release_at": version.planned_release_at,
    }


# -- validation ----------------------------------------------------------------------------------


def _name(value: str) -> str:
    value = value.strip()
    if not _NAME.match(value):
        raise Invalid(
            "a model name is 1-200 letters, digits, spaces or . _ + - /, starting with a "
            "letter or digit"
        )
    return value


def _tags(tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    if len(tags) > MAX_TAGS:
        raise Invalid(f"at most {MAX_TAGS} tags")
    for key, value in tags.items():
        if not _TAG_KEY.match(key):
            raise Invalid(f"tag key {key!r} must be 1-100 letters, digits or _ . : - /")
        if not isinstance(value, str) or len(value) > 500:
            raise Invalid(f"tag {key!r} needs a text value of at most 500 characters")
    return tags


# -- models --------------------------------------------------------------------------------------


def create_model(
    session: Session,
    principal: Principal,
    name: str,
    *,
    description: str = "",
    tags: dict[str, str] | None = None,
) -> FrontierModel:
    require_kind(principal, [OrganizationKind.ai_developer], "register models")
    require_role(principal, Role.member)
    name = _name(name)
    existing = session.scalar(
        select(FrontierModel).where(
            FrontierModel.organization_id == principal.organization_id,
            func.lower(FrontierModel.name) == name.lower(),
        )
    )
    if existing is not None:
        raise Conflict(f"your organization already has a model named {existing.name!r}")
    model = FrontierModel(
        organization_id=principal.organization_id,
        name=name,
        description=clean_text(description, "description"),
        tags=_tags(tags),
        evaluator_ids=[],
    )
    session.add(model)
    session.flush()
    audit(
        session,
        principal,
        "frontier.model.create",
        "frontier_model",
        model.id,
        after=model_snapshot(model),
    )
    return model


def list_models(session: Session, principal: Principal) -> list[FrontierModel]:
    query = select(FrontierModel).order_by(FrontierModel.id)
    if not principal.is_coordinator:
        models = session.scalars(query).all()
        return [m for m in models if can_see_model(principal, m)]
    return list(session.scalars(query))


def update_model(
    session: Session,
    principal: Principal,
    model_id: int,
    *,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> FrontierModel:
    model = own_model(session, principal, model_id)
    before = model_snapshot(model)
    if description is not None:
        model.description = clean_text(description, "description")
    if tags is not None:
        model.tags = _tags(tags)
    model.updated_at = utcnow()
    audit(
        session,
        principal,
        "frontier.model.update",
        "frontier_model",
        model.id,
        before=before,
        after=model_snapshot(model),
    )
    return model


def share_with_evaluator(
    session: Session, principal: Principal, model_id: int, evaluator: int, *, share: bool = True
) -> FrontierModel:
    """Let an evaluator organization see the model and upload evaluations (or stop it)."""
    model = own_model(session, principal, model_id)
    org = session.get(Organization, evaluator)
    if org is None or org.kind != OrganizationKind.evaluator.value:
        raise Invalid(f"organization {evaluator} is not an evaluator organization")
    before = model_snapshot(model)
    ids = [i for i in (model.evaluator_ids or []) if i != evaluator]
    if share:
        ids.append(evaluator)
    model.evaluator_ids = sorted(ids)
    model.updated_at = utcnow()
    action = "frontier.model.share" if share else "frontier.model.unshare"
    audit(
        session,
        principal,
        action,
        "frontier_model",
        model.id,
        before=before,
        after=model_snapshot(model),
    )
    return model


# -- versions ------------------------------------------------------------------------------------


def create_version(
    session: Session,
    principal: Principal,
    model_id: int,
    card: ModelCard,
    *,
    label: str = "",
    tags: dict[str, str] | None = None,
    planned_release_at: datetime | None = None,
) -> ModelVersion:
    """Register the next version: numbered one more than the highest so far."""
    model = own_model(session, principal, model_id)
    require_aware(planned_release_at, "planned_release_at")
    session.refresh(model, with_for_update=True)  # serialises numbering on PostgreSQL
    highest = session.scalar(
        select(func.max(ModelVersion.number)).where(ModelVersion.model_id == model.id)
    )
    version = ModelVersion(
        model_id=model.id,
        number=(highest or 0) + 1,
        label=clean_text(label, "label", limit=100),
        tags=_tags(tags),
        card=card.model_dump(mode="json"),
        planned_release_at=planned_release_at,
    )
    try:
        with session.begin_nested():
            session.add(version)
    except IntegrityError:
        raise Conflict("another version was registered at the same moment; try again") from None
    audit(
        session,
        principal,
        "frontier.version.create",
        "frontier_model_version",
        version.id,
        after=version_snapshot(version),
        organization_id=model.organization_id,
    )
    return version


def update_version(
    session: Session,
    principal: Principal,
    version_id: int,
    *,
    card: ModelCard | None = None,
    label: str | None = None,
    tags: dict[str, str] | None = None,
    planned_release_at: datetime | None = None,
) -> ModelVersion:
    version = own_version(session, principal, version_id)
    require_aware(planned_release_at, "planned_release_at")
    before = version_snapshot(version)
    if card is not None:
        version.card = card.model_dump(mode="json")
    if label is not None:
        version.label = clean_text(label, "label", limit=100)
    if tags is not None:
        version.tags = _tags(tags)
    if planned_release_at is not None:
        version.planned_release_at = planned_release_at
    version.updated_at = utcnow()
    audit(
        session,
        principal,
        "frontier.version.update",
        "frontier_model_version",
        version.id,
        before=before,
        after=version_snapshot(version),
    )
    return version


def list_versions(session: Session, principal: Principal, model_id: int) -> list[ModelVersion]:
    model = get_model(session, principal, model_id)
    return list(
        session.scalars(
            select(ModelVersion)
            .where(ModelVersion.model_id == model.id)
            .order_by(ModelVersion.number)
        )
    )


def resolve_version(
    session: Session, principal: Principal, model_id: int, ref: str
) -> ModelVersion:
    """A version by number (``3``) or alias (``production``)."""
    model = get_model(session, principal, model_id)
    if ref.isdigit():
        version = session.scalar(
            select(ModelVersion).where(
                ModelVersion.model_id == model.id, ModelVersion.number == int(ref)
            )
        )
    else:
        alias = session.scalar(
            select(ModelAlias).where(ModelAlias.model_id == model.id, ModelAlias.alias == ref)
        )
        version = session.get(ModelVersion, alias.version_id) if alias else None
    if version is None:
        raise NotFound(f"model {model.id} has no version {ref!r}")
    return version


def aliases(session: Session, model_id: int) -> dict[str, int]:
    """Alias -> version number."""
    rows = session.execute(
        select(ModelAlias.alias, ModelVersion.number)
        .join(ModelVersion, ModelVersion.id == ModelAlias.version_id)
        .where(ModelAlias.model_id == model_id)
        .order_by(ModelAlias.alias)
    )
    return {alias: number for alias, number in rows}


def set_alias(
    session: Session, principal: Principal, model_id: int, alias: str, number: int
) -> ModelAlias:
    """Point ``alias`` at version ``number`` (moving it if it pointed elsewhere)."""
    model = own_model(session, principal, model_id)
    if not _ALIAS.match(alias) or alias.isdigit():
        raise Invalid(
            "an alias is 1-100 lower-case letters, digits, _ or -, starting with a letter"
        )
    version = session.scalar(
        select(ModelVersion).where(ModelVersion.model_id == model.id, ModelVersion.number == number)
    )
    if version is None:
        raise Invalid(f"model {model.id} has no version {number}")
    row = session.scalar(
        select(ModelAlias).where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
    )
    before = None
    if row is None:
        row = ModelAlias(model_id=model.id, alias=alias, version_id=version.id)
        session.add(row)
    else:
        before = {"alias": alias, "version_id": row.version_id}
        row.version_id = version.id
        row.updated_at = utcnow()
    session.flush()
    audit(
        session,
        principal,
        "frontier.alias.set",
        "frontier_model",
        model.id,
        before=before,
        after={"alias": alias, "version_id": version.id, "number": number},
    )
    return row


def delete_alias(session: Session, principal: Principal, model_id: int, alias: str) -> None:
    model = own_model(session, principal, model_id)
    row = session.scalar(
        select(ModelAlias).where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
    )
    if row is None:
        raise NotFound(f"model {model.id} has no alias {alias!r}")
    audit(
        session,
        principal,
        "frontier.alias.delete",
        "frontier_model",
        model.id,
        before={"alias": alias, "version_id": row.version_id},
    )
    session.delete(row)
