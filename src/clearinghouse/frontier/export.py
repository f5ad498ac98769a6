"""A model version as a CycloneDX 1.6 ML-BOM, with the evaluation metrics the caller may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clearinghouse import __version__
from clearinghouse.formats.mlbom import EvaluationMetric, ModelRelease, build_mlbom
from clearinghouse.frontier.common import organization_name
from clearinghouse.frontier.evaluations import list_evaluations
from clearinghouse.frontier.registry import get_version, version_model
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow


def version_mlbom(session: Session, principal: Principal, version_id: int) -> dict[str, Any]:
    version = get_version(session, principal, version_id)
    model = version_model(session, version)
    metrics = []
    for evaluation in list_evaluations(session, principal, version.id):
        for score in evaluation.scores or []:
            values = score.get("metrics") or {}
            stderr = values.get("stderr")
            for name, value in values.items():
                if name == "stderr":
                    continue
                metrics.append(
                    EvaluationMetric(
                        task=evaluation.task,
                        scorer=str(score.get("name") or score.get("scorer") or ""),
                        metric=name,
                        value=float(value),
                        stderr=None if stderr is None else float(stderr),
                        log_sha256=evaluation.log_sha256,
                    )
                )
    release = ModelRelease(
        model_name=model.name,
        version=version.label or str(version.number),
        supplier=organization_name(session, model.organization_id),
        card=dict(version.card or {}),
        description=model.description,
        tags={**(model.tags or {}), **(version.tags or {})},
        planned_release_at=version.planned_release_at,
        bom_ref=f"model-{model.id}-v{version.number}",
        metrics=metrics,
    )
    return build_mlbom(release, timestamp=utcnow(), tool_version=__version__)
