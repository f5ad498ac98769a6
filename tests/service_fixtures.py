"""Service fixtures: an API client on a fresh database, organizations and tokens to call it with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.audit import Actor
from clearinghouse.participants.models import OrganizationKind, Role, Sector
from clearinghouse.participants.service import create_organization, issue_token
from clearinghouse.settings import Settings
from clearinghouse.store import Database


@dataclass
class Caller:
    """A token of one organization, ready to put in headers."""

    organization_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_caller(
    db: Database,
    name: str,
    kind: OrganizationKind = OrganizationKind.operator,
    role: Role = Role.admin,
    sector: Sector | None = None,
) -> Caller:
    with db.session() as session:
        org = create_organization(
            session,
            Actor.cli(),
            name,
            kind,
            sector=sector if kind is OrganizationKind.operator else None,
        )
        issued = issue_token(session, Actor.cli(), org, role)
        return Caller(org.id, issued.token)


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, database_url=db.url)
    app = create_app(settings, db=db)
    with TestClient(app) as test_client:
        yield test_client
