"""Model registry: models, auto-numbered versions, aliases, tags, model cards, ML-BOM export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from referencing import Registry, Resource

from clearinghouse.formats.mlbom import MlBomError, ModelRelease, build_mlbom
from clearinghouse.store import utcnow
from tests.conftest import shared_path
from tests.frontier.conftest import CARD, Program, register_version, upload

API = "/api/v1/frontier"


def cyclonedx_16() -> jsonschema.protocols.Validator:
    """The shared CycloneDX 1.6 schema, with the SPDX and JSF schemas it references."""
    folder = shared_path("schemas", "cyclonedx")
    schema = json.loads((folder / "bom-1.6.schema.json").read_text())
    resources = []
    for name in ("spdx.schema.json", "jsf-0.82.schema.json"):
        contents = json.loads((folder / name).read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    registry: Registry[Any] = Registry().with_resources(resources)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def schema_errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in cyclonedx_16().iter_errors(document)
    ]


def test_versions_are_numbered_and_aliases_move(client: TestClient, program: Program) -> None:
    model_id, first = register_version(client, program)
    second = client.post(
        f"{API}/models/{model_id}/versions",
        json={"label": "2026-09", "card": CARD},
        headers=program.developer.headers,
    ).json()
    assert second["number"] == 2
    other = client.post(f"{API}/models", json={"name": "Boreas"}, headers=program.developer.headers)
    other_first = client.post(
        f"{API}/models/{other.json()['id']}/versions", json={}, headers=program.developer.headers
    )
    assert other_first.json()["number"] == 1  # numbering is per model
    assert (
        client.get(f"{API}/versions/{first}", headers=program.developer.headers).json()["number"]
        == 1
    )

    put = client.put(
        f"{API}/models/{model_id}/aliases/production",
        json={"version": 1},
        headers=program.developer.headers,
    )
    assert put.json()["aliases"] == {"production": 1}
    resolved = client.get(
        f"{API}/models/{model_id}/versions/production", headers=program.developer.headers
    )
    assert resolved.json()["id"] == first
    client.put(
        f"{API}/models/{model_id}/aliases/production",
        json={"version": 2},
        headers=program.developer.headers,
    )
    moved = client.get(
        f"{API}/models/{model_id}/versions/production", headers=program.developer.headers
    )
    assert moved.json()["number"] == 2
    assert (
        client.put(
            f"{API}/models/{model_id}/aliases/production",
            json={"version": 9},
            headers=program.developer.headers,
        ).status_code
        == 422
    )
    assert (
        client.delete(
            f"{API}/models/{model_id}/aliases/production", headers=program.developer.headers
        ).status_code
        == 204
    )
    assert (
        client.get(
            f"{API}/models/{model_id}/versions/production", headers=program.developer.headers
        ).status_code
        == 404
    )


def test_model_card_and_tags_round_trip(client: TestClient, program: Program) -> None:
    model_id, version_id = register_version(client, program)
    version = client.get(f"{API}/versions/{version_id}", headers=program.developer.headers).json()
    assert version["card"]["training_compute_flop"] == 3.2e26
    assert version["card"]["autonomy"] == "supervised-agent"
    assert version["card"]["release_channels"] == ["api", "enterprise"]
    patched = client.patch(
        f"{API}/models/{model_id}",
        json={"tags": {"risk-tier": "high"}},
        headers=program.developer.headers,
    )
    assert patched.json()["tags"] == {"risk-tier": "high"}
    bad = client.post(
        f"{API}/models/{model_id}/versions",
        json={"card": {"autonomy": "total"}},
        headers=program.developer.headers,
    )
    assert bad.status_code == 422
    unknown_field = client.post(
        f"{API}/models/{model_id}/versions",
        json={"card": {"favourite_colour": "blue"}},
        headers=program.developer.headers,
    )
    assert unknown_field.status_code == 422


def test_only_ai_developers_register_and_others_see_nothing(
    client: TestClient, program: Program
) -> None:
    refused = client.post(f"{API}/models", json={"name": "X"}, headers=program.operator.headers)
    assert refused.status_code == 403
    model_id, version_id = register_version(client, program, share=False)
    for caller in (program.other_developer, program.operator, program.evaluator):
        assert client.get(f"{API}/models/{model_id}", headers=caller.headers).status_code == 404
        assert client.get(f"{API}/versions/{version_id}", headers=caller.headers).status_code == 404
        assert client.get(f"{API}/models", headers=caller.headers).json() == []
    assert client.get(f"{API}/models/{model_id}", headers=program.coordinator.headers).is_success
    # shared with the evaluator, it becomes visible to it (and only it)
    client.post(
        f"{API}/models/{model_id}/evaluators",
        json={"evaluator_id": program.evaluator.organization_id},
        headers=program.developer.headers,
    )
    assert client.get(f"{API}/versions/{version_id}", headers=program.evaluator.headers).is_success
    assert (
        client.get(f"{API}/versions/{version_id}", headers=program.other_evaluator.headers)
    ).status_code == 404
    # the evaluator sees it but cannot change it; neither can a read-only developer token
    assert (
        client.patch(
            f"{API}/models/{model_id}", json={"description": "x"}, headers=program.evaluator.headers
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"{API}/models/{model_id}",
            json={"description": "x"},
            headers=program.developer_reader.headers,
        ).status_code
        == 403
    )


def test_duplicate_model_names_conflict(client: TestClient, program: Program) -> None:
    register_version(client, program)
    again = client.post(f"{API}/models", json={"name": "atlas"}, headers=program.developer.headers)
    assert again.status_code == 409
    other = client.post(
        f"{API}/models", json={"name": "Atlas"}, headers=program.other_developer.headers
    )
    assert other.status_code == 201


def test_mlbom_is_valid_cyclonedx_16_with_the_model_card(
    client: TestClient, program: Program, inspect_logs: dict[str, Path]
) -> None:
    _, version_id = register_version(client, program, planned="2026-08-01T00:00:00Z")
    assert upload(client, program.evaluator, version_id, inspect_logs["cybench.eval"]).is_success
    response = client.get(f"{API}/versions/{version_id}/mlbom", headers=program.developer.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.cyclonedx+json")
    bom = response.json()
    assert schema_errors(bom) == []
    assert bom["specVersion"] == "1.6"
    component = bom["components"][0]
    assert component["type"] == "machine-learning-model"
    assert component["supplier"]["name"] == "Frontier Lab"
    assert component["version"] == "2026-06"
    card = component["modelCard"]
    params = card["modelParameters"]
    assert params["approach"] == {"type": "self-supervised"}
    assert params["task"] == "text-generation"
    assert params["inputs"] == [{"format": "text"}, {"format": "image"}]
    assert params["datasets"] == [{"type": "dataset", "name": "public web crawl 2025"}]
    assert card["considerations"]["useCases"][0] == CARD["purpose"]
    props = {(p["name"], p["value"]) for p in card["properties"]}
    assert ("clearinghouse:training-compute-flop", "3.2e+26") in props
    assert ("clearinghouse:tool-use", "code-execution") in props
    assert ("clearinghouse:autonomy", "supervised-agent") in props
    assert ("clearinghouse:release-channel", "api") in props
    assert ("clearinghouse:planned-release", "2026-08-01T00:00:00Z") in props
    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    accuracy = next(m for m in metrics if m["type"] == "accuracy")
    assert accuracy["value"] == "0.75"
    assert accuracy["slice"].startswith("cybench")
    assert float(accuracy["confidenceInterval"]["lowerBound"]) < 0.75
    assert component["licenses"] == [{"license": {"name": "proprietary"}}]
    # strangers get nothing
    assert (
        client.get(f"{API}/versions/{version_id}/mlbom", headers=program.operator.headers)
    ).status_code == 404


@pytest.mark.parametrize(
    ("license_text", "expected"),
    [
        ("Apache-2.0", [{"license": {"id": "Apache-2.0"}}]),
        ("apache-2.0", [{"license": {"id": "Apache-2.0"}}]),
        ("MIT OR Apache-2.0", [{"expression": "MIT OR Apache-2.0"}]),
        ("Llama 3 Community License", [{"license": {"name": "Llama 3 Community License"}}]),
    ],
)
def test_mlbom_licences(license_text: str, expected: list[dict[str, Any]]) -> None:
    release = ModelRelease("m", "1", "Lab", {"license": license_text})
    bom = build_mlbom(release, timestamp=utcnow(), tool_version="0")
    assert bom["components"][0]["licenses"] == expected
    assert schema_errors(bom) == []


def test_an_invalid_mlbom_is_never_handed_out() -> None:
    release = ModelRelease("m", "1", "Lab", {"learning_approach": "telepathy"})
    with pytest.raises(MlBomError, match=r"not valid CycloneDX 1\.6"):
        build_mlbom(release, timestamp=utcnow(), tool_version="0")
