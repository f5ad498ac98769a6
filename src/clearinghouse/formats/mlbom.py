"""CycloneDX 1.6 ML-BOM for one model version: a ``machine-learning-model`` component with its
``modelCard``.

cyclonedx-python-lib has no model-card classes, so the document is built here and checked with
the library's own CycloneDX 1.6 JSON schema validator before it is handed out. Card fields that
CycloneDX has no place for (tool use, autonomy, training compute, release channels, Hugging Face
``base_model``...) travel as ``properties`` under the ``clearinghouse:`` and ``huggingface:``
namespaces.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import orjson

from clearinghouse.formats.osv import format_timestamp

SPEC_VERSION = "1.6"
_Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class EvaluationMetric:
    """One metric of one scorer of one evaluation run."""

    task: str
    scorer: str
    metric: str
    value: float
    stderr: float | None = None
    log_sha256: str = ""


@dataclass(frozen=True, slots=True)
class ModelRelease:
    """What the ML-BOM says about a model version."""

    model_name: str
    version: str
    supplier: str
    card: dict[str, Any]
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    planned_release_at: datetime | None = None
    bom_ref: str = "model"
    metrics: Sequence[EvaluationMetric] = ()


class MlBomError(RuntimeError):
    """The document we built is not valid CycloneDX 1.6 (a bug, never the user's input)."""


def _properties(release: ModelRelease) -> list[dict[str, str]]:
    card = release.card
    props: list[tuple[str, str]] = []
    for tool in card.get("tool_use") or []:
        props.append(("clearinghouse:tool-use", tool))
    props.append(("clearinghouse:autonomy", card.get("autonomy") or "none"))
    flop = card.get("training_compute_flop")
    if flop is not None:
        props.append(("clearinghouse:training-compute-flop", f"{float(flop):.6g}"))
    for channel in card.get("release_channels") or []:
        props.append(("clearinghouse:release-channel", channel))
    if release.planned_release_at is not None:
        props.append(
            ("clearinghouse:planned-release", format_timestamp(release.planned_release_at))
        )
    for use in card.get("out_of_scope_uses") or []:
        props.append(("huggingface:out-of-scope-use", use))
    if card.get("base_model"):
        props.append(("huggingface:base_model", card["base_model"]))
    if card.get("task"):
        props.append(("huggingface:pipeline_tag", card["task"]))
    for language in card.get("languages") or []:
        props.append(("huggingface:language", language))
    for key, value in sorted(release.tags.items()):
        props.append((f"clearinghouse:tag:{key}", value))
    return [{"name": name, "value": value} for name, value in props]


def _performance(metrics: Sequence[EvaluationMetric]) -> list[dict[str, Any]]:
    out = []
    for m in metrics:
        entry: dict[str, Any] = {
            "type": m.metric,
            "value": f"{m.value:.6g}",
            "slice": f"{m.task} / {m.scorer}",
        }
        if m.stderr is not None:
            entry["confidenceInterval"] = {
                "lowerBound": f"{m.value - _Z95 * m.stderr:.6g}",
                "upperBound": f"{m.value + _Z95 * m.stderr:.6g}",
            }
        out.append(entry)
    return out


def _model_card(release: ModelRelease) -> dict[str, Any]:
    card = release.card
    parameters: dict[str, Any] = {}
    if card.get("learning_approach"):
        parameters["approach"] = {"type": card["learning_approach"]}
    if card.get("task"):
        parameters["task"] = card["task"]
    if card.get("architecture_family"):
        parameters["architectureFamily"] = card["architecture_family"]
    if card.get("model_architecture"):
        parameters["modelArchitecture"] = card["model_architecture"]
    if card.get("training_datasets"):
        parameters["datasets"] = [
            {"type": "dataset", "name": name} for name in card["training_datasets"]
        ]
    if card.get("input_modalities"):
        parameters["inputs"] = [{"format": m} for m in card["input_modalities"]]
    if card.get("output_modalities"):
        parameters["outputs"] = [{"format": m} for m in card["output_modalities"]]
    considerations: dict[str, Any] = {}
    use_cases = ([card["purpose"]] if card.get("purpose") else []) + list(
        card.get("use_cases") or []
    )
    if card.get("intended_users"):
        considerations["users"] = list(card["intended_users"])
    if use_cases:
        considerations["useCases"] = use_cases
    if card.get("limitations"):
        considerations["technicalLimitations"] = list(card["limitations"])
    model_card: dict[str, Any] = {"bom-ref": f"{release.bom_ref}-card"}
    if parameters:
        model_card["modelParameters"] = parameters
    if release.metrics:
        model_card["quantitativeAnalysis"] = {"performanceMetrics": _performance(release.metrics)}
    if considerations:
        model_card["considerations"] = considerations
    model_card["properties"] = _properties(release)
    return model_card


def _licenses(license_text: str) -> list[dict[str, Any]]:
    """An SPDX id, an SPDX expression, or else a licence name (``proprietary``)."""
    from cyclonedx.spdx import fixup_id, is_expression

    text = license_text.strip()
    if not text:
        return []
    spdx_id = fixup_id(text)
    if spdx_id is not None:
        return [{"license": {"id": spdx_id}}]
    if " " in text and is_expression(text):
        return [{"expression": text}]
    return [{"license": {"name": text}}]


def build_mlbom(
    release: ModelRelease,
    *,
    timestamp: datetime,
    tool_version: str,
    serial: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The ML-BOM document (a dict ready for JSON), validated against CycloneDX 1.6."""
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": release.bom_ref,
        "supplier": {"name": release.supplier},
        "manufacturer": {"name": release.supplier},
        "name": release.model_name,
        "version": release.version,
    }
    if release.description:
        component["description"] = release.description
    licenses = _licenses(str(release.card.get("license") or ""))
    if licenses:
        component["licenses"] = licenses
    component["modelCard"] = _model_card(release)
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": (serial or uuid.uuid4()).urn,
        "version": 1,
        "metadata": {
            "timestamp": format_timestamp(timestamp),
            "tools": {
                "components": [
                    {
                        "type": "application",
                        "name": "clearinghouse",
                        "version": tool_version,
                    }
                ]
            },
            "component": {
                "type": "machine-learning-model",
                "bom-ref": f"{release.bom_ref}-release",
                "name": release.model_name,
                "version": release.version,
            },
        },
        "components": [component],
    }
    validate_mlbom(document)
    return document


@cache
def _validator() -> Any:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.V1_6)


def validate_mlbom(document: dict[str, Any]) -> None:
    error = _validator().validate_str(orjson.dumps(document).decode())
    if error is not None:
        message = getattr(getattr(error, "data", None), "message", str(error))
        raise MlBomError(f"the ML-BOM is not valid CycloneDX 1.6: {message}")
