"""Frontier-program fixtures: real Inspect logs, and the program's participants with tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.audit import Actor
from clearinghouse.participants.models import OrganizationKind, Role, Sector
from clearinghouse.participants.service import create_organization, issue_token
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from tests.conftest import REPO
from tests.service_fixtures import Caller


@pytest.fixture(scope="session")
def inspect_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real eval logs (``cybench.eval``, ``cybench.json``, ...) written by Inspect with
    ``mockllm/model``, in a subprocess so Inspect's logging set-up stays out of this one."""
    out = tmp_path_factory.mktemp("inspect-logs")
    home = tmp_path_factory.mktemp("inspect-home")
    env = dict(os.environ)
    env.update(
        {
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "INSPECT_LOG_DIR": str(out),
            "PYTHONPATH": str(REPO),
        }
    )
    subprocess.run(
        [sys.executable, "-m", "tests.frontier.make_logs", str(out)],
        check=True,
        env=env,
        cwd=REPO,
        timeout=300,
        capture_output=True,
    )
    return {path.name: path for path in out.iterdir() if path.is_file()}


@dataclass
class Program:
    """The participants of the program, each with one token."""

    developer: Caller
    other_developer: Caller
    evaluator: Caller
    other_evaluator: Caller
    official: Caller
    """A coordinator analyst holding the designation clearance."""
    coordinator: Caller
    """A coordinator analyst without it."""
    operator: Caller
    developer_reader: Caller


def add_token(
    db: Database,
    name: str,
    kind: OrganizationKind,
    role: Role = Role.admin,
    clearances: frozenset[str] = frozenset(),
    *,
    organization_id: int | None = None,
) -> Caller:
    from clearinghouse.participants.models import Organization

    with db.session() as session:
        if organization_id is None:
            org = create_organization(
                session,
                Actor.cli(),
                name,
                kind,
                sector=Sector.healthcare if kind is OrganizationKind.operator else None,
            )
        else:
            found = session.get(Organization, organization_id)
            assert found is not None
            org = found
        issued = issue_token(session, Actor.cli(), org, role, clearances=clearances)
        return Caller(org.id, issued.token)


@pytest.fixture
def program(db: Database) -> Program:
    developer = add_token(db, "Frontier Lab", OrganizationKind.ai_developer)
    coordinator = add_token(db, "Clearinghouse", OrganizationKind.coordinator, Role.analyst)
    return Program(
        developer=developer,
        other_developer=add_token(db, "Other Lab", OrganizationKind.ai_developer),
        evaluator=add_token(db, "Evaluation Institute", OrganizationKind.evaluator, Role.member),
        other_evaluator=add_token(db, "Other Evaluator", OrganizationKind.evaluator),
        official=add_token(
            db,
            "",
            OrganizationKind.coordinator,
            Role.analyst,
            frozenset({"designation"}),
            organization_id=coordinator.organization_id,
        ),
        coordinator=coordinator,
        operator=add_token(db, "Rural Hospital", OrganizationKind.operator),
        developer_reader=add_token(
            db,
            "",
            OrganizationKind.ai_developer,
            Role.read_only,
            organization_id=developer.organization_id,
        ),
    )


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db.url)


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, db=db)
    with TestClient(app) as test_client:
        yield test_client


CARD = {
    "purpose": "General-purpose assistant with agentic coding",
    "intended_users": ["software engineers"],
    "use_cases": ["code review", "vulnerability triage"],
    "limitations": ["may hallucinate package names"],
    "task": "text-generation",
    "input_modalities": ["text", "image"],
    "output_modalities": ["text", "code"],
    "architecture_family": "transformer",
    "model_architecture": "decoder-only mixture of experts",
    "learning_approach": "self-supervised",
    "tool_use": ["code-execution", "web-browsing"],
    "autonomy": "supervised-agent",
    "training_compute_flop": 3.2e26,
    "release_channels": ["api", "enterprise"],
    "license": "proprietary",
    "training_datasets": ["public web crawl 2025"],
    "languages": ["en", "fr"],
}


def register_version(
    client: TestClient, program: Program, *, planned: str | None = None, share: bool = True
) -> tuple[int, int]:
    """A model with one version, shared with the evaluator: (model id, version id)."""
    model = client.post(
        "/api/v1/frontier/models",
        json={"name": "Atlas", "description": "frontier model", "tags": {"team": "core"}},
        headers=program.developer.headers,
    )
    assert model.status_code == 201, model.text
    model_id = model.json()["id"]
    version = client.post(
        f"/api/v1/frontier/models/{model_id}/versions",
        json={"label": "2026-06", "card": CARD, "planned_release_at": planned},
        headers=program.developer.headers,
    )
    assert version.status_code == 201, version.text
    if share:
        shared = client.post(
            f"/api/v1/frontier/models/{model_id}/evaluators",
            json={"evaluator_id": program.evaluator.organization_id},
            headers=program.developer.headers,
        )
        assert shared.status_code == 200, shared.text
    return model_id, version.json()["id"]


def upload(
    client: TestClient, caller: Caller, version_id: int, path: Path, filename: str | None = None
) -> httpx.Response:
    return client.post(
        f"/api/v1/frontier/versions/{version_id}/evaluations",
        params={"filename": filename if filename is not None else path.name},
        content=path.read_bytes(),
        headers=caller.headers | {"Content-Type": "application/octet-stream"},
    )
