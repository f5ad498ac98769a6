"""GET /api/v1/exposures (filters, pagination), one exposure, and VEX over HTTP: statements
one by one and imported documents, audited, scoped to the caller's organization."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from clearinghouse.advisories.feeds import load_kev
from clearinghouse.audit import verify_chain
from clearinghouse.exposures.service import process_advisory_changes
from clearinghouse.participants.models import Role
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.exposures._data import (
    CLUSTERFUZZ,
    JACKSON_XXE,
    audit_events,
    import_ecosystem,
    import_records,
)
from tests.service_fixtures import Caller, add_caller


def _upload(client: TestClient, caller: Caller, system: str, data: bytes, name: str) -> Any:
    response = client.post(
        "/api/v1/inventories",
        files={"file": (name, data)},
        data={"system": system},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _exposures(client: TestClient, caller: Caller, **params: Any) -> httpx.Response:
    return client.get("/api/v1/exposures", params=params, headers=caller.headers)


@pytest.fixture
def hospital(client: TestClient, db: Database, tmp_path: Path) -> Caller:
    """An operator with two systems: clusterfuzz (13 PyPI exposures) and salt (KEV-listed)."""
    load_kev(db, Settings(), str(shared_path("kev", "known_exploited_vulnerabilities.json")))
    import_ecosystem(db, "PyPI")
    import_records(db, tmp_path / "kb", JACKSON_XXE)
    process_advisory_changes(db)
    caller = add_caller(db, "Rural Hospital", role=Role.member)
    _upload(client, caller, "clusterfuzz", shared_path(*CLUSTERFUZZ).read_bytes(), "Pipfile.lock")
    _upload(client, caller, "salt", b"salt==3000\n", "requirements.txt")
    return caller


def test_filters_and_pagination(client: TestClient, hospital: Caller) -> None:
    everything = _exposures(client, hospital, limit=1000).json()
    total = everything["total"]
    assert total == len(everything["items"]) > 13
    first = everything["items"][0]
    assert first["kev"] is True  # most urgent first
    assert first["system"]["name"] == "salt"

    pages = [_exposures(client, hospital, limit=5, offset=o).json() for o in range(0, total, 5)]
    assert all(page["total"] == total for page in pages)
    assert [i["id"] for page in pages for i in page["items"]] == [
        i["id"] for i in everything["items"]
    ]

    kev = _exposures(client, hospital, kev="true").json()
    assert kev["total"] >= 1
    assert all(i["kev"] for i in kev["items"])
    high = _exposures(client, hospital, min_severity="high", limit=1000).json()["items"]
    assert high
    assert all(i["severity"]["rating"] in ("HIGH", "CRITICAL") for i in high)
    clusterfuzz = _exposures(client, hospital, system="clusterfuzz").json()
    assert clusterfuzz["total"] == 13
    by_id = _exposures(client, hospital, system_id=clusterfuzz["items"][0]["system"]["id"])
    assert by_id.json()["total"] == 13
    by_alias = _exposures(client, hospital, advisory="CVE-2023-32681").json()
    assert [i["advisory"]["id"] for i in by_alias["items"]] == ["PYSEC-2023-74"]
    assert "CVE-2023-32681" in by_alias["items"][0]["advisory"]["aliases"]
    assert by_alias["items"][0]["remediation"] == "2.31.0"
    assert _exposures(client, hospital, state="not_affected").json()["total"] == 0
    assert _exposures(client, hospital, status="resolved").json()["total"] == 0
    assert _exposures(client, hospital, min_severity="severe").status_code == 422
    assert _exposures(client, hospital, status="gone").status_code == 422


def test_one_exposure_and_a_statement_about_it(
    client: TestClient, db: Database, hospital: Caller
) -> None:
    [item] = _exposures(client, hospital, advisory="PYSEC-2023-74").json()["items"]
    path = f"/api/v1/exposures/{item['id']}"
    detail = client.get(path, headers=hospital.headers).json()
    assert detail["package"] == {
        "ecosystem": "PyPI",
        "name": "requests",
        "version": "2.21.0",
        "purl": "pkg:pypi/requests@2.21.0",
    }
    assert detail["statements"] == []

    refused = client.post(f"{path}/vex", json={"status": "not_affected"}, headers=hospital.headers)
    assert refused.status_code == 422
    assert "needs a justification" in refused.json()["detail"]

    stated = client.post(
        f"{path}/vex",
        json={
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "The proxy-authorization path is never used: no proxies.",
        },
        headers=hospital.headers,
    )
    assert stated.status_code == 201, stated.text
    body = stated.json()
    assert body["exposure"]["state"] == "not_affected"
    assert body["statement"]["purl"] == "pkg:pypi/requests@2.21.0"
    assert body["statement"]["system_id"] == item["system"]["id"]
    detail = client.get(path, headers=hospital.headers).json()
    assert [s["id"] for s in detail["statements"]] == [body["statement"]["id"]]
    assert detail["vex_statement_id"] == body["statement"]["id"]
    assert _exposures(client, hospital, state="not_affected").json()["total"] == 1
    assert {e.action for e in audit_events(db, "vex.statement.create")} == {"vex.statement.create"}
    assert verify_chain(db).broken_at is None


def test_statements_and_imports_over_http(
    client: TestClient, db: Database, hospital: Caller
) -> None:
    dropwizard = shared_path("sbom", "cyclonedx", "dropwizard-1.3.15.cdx-1.2.json")
    _upload(client, hospital, "dropwizard", dropwizard.read_bytes(), "bom.json")
    [jackson] = _exposures(client, hospital, advisory="CVE-2020-25649").json()["items"]
    assert jackson["state"] == "affected"

    vex = shared_path("sbom", "cyclonedx-vex", "Use-Cases", "Case-12", "vex.json")
    missing = client.post(
        "/api/v1/vex/import",
        files={"file": ("vex.json", vex.read_bytes())},
        headers=hospital.headers,
    )
    assert missing.status_code == 422
    assert "acme-product" in missing.json()["detail"]
    imported = client.post(
        "/api/v1/vex/import",
        files={"file": ("vex.json", vex.read_bytes())},
        data={"system": "dropwizard"},
        headers=hospital.headers,
    )
    assert imported.status_code == 201, imported.text
    result = imported.json()
    assert result["format"] == "CycloneDX 1.4 JSON"
    assert [s["vulnerability"] for s in result["statements"]] == [
        "CVE-2020-25649",
        "CVE-2020-35491",
        "CVE-2020-14195",
    ]
    assert result["exposures_changed"] == 1
    after = client.get(f"/api/v1/exposures/{jackson['id']}", headers=hospital.headers).json()
    assert (after["state"], after["justification"]) == (
        "not_affected",
        "vulnerable_code_not_in_execute_path",
    )

    recorded = client.post(
        "/api/v1/vex",
        json={
            "vulnerability": "GHSA-288c-cq4h-88gq",
            "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind",
            "status": "affected",
            "action_statement": "Upgrade to 2.9.10.7",
        },
        headers=hospital.headers,
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["exposures_changed"] == 1
    listed = client.get(
        "/api/v1/vex", params={"vulnerability": "CVE-2020-25649"}, headers=hospital.headers
    )
    assert listed.json()["total"] == 1  # the manual one names the GHSA id, not the CVE
    assert client.get("/api/v1/vex", headers=hospital.headers).json()["total"] == 4

    for bad, status in (
        (b"<bom/>", 422),
        (b'{"hello": "world"}', 415),
        (json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}).encode(), 422),
    ):
        response = client.post(
            "/api/v1/vex/import", files={"file": ("x.json", bad)}, headers=hospital.headers
        )
        assert response.status_code == status, response.text
    assert client.get("/api/v1/vex", headers=hospital.headers).json()["total"] == 4


def test_another_organization_sees_nothing(
    client: TestClient, db: Database, hospital: Caller
) -> None:
    bank = add_caller(db, "Community Bank", role=Role.admin)
    [item] = _exposures(client, hospital, advisory="PYSEC-2023-74").json()["items"]
    assert _exposures(client, bank).json()["total"] == 0
    assert client.get(f"/api/v1/exposures/{item['id']}", headers=bank.headers).status_code == 404
    response = client.post(
        f"/api/v1/exposures/{item['id']}/vex", json={"status": "fixed"}, headers=bank.headers
    )
    assert response.status_code == 404
    statement = client.post(
        "/api/v1/vex",
        json={
            "vulnerability": "PYSEC-2023-74",
            "purl": "pkg:pypi/requests",
            "status": "fixed",
            "system_id": item["system"]["id"],
        },
        headers=bank.headers,
    )
    assert statement.status_code == 404
    own = client.post(
        "/api/v1/vex",
        json={"vulnerability": "PYSEC-2023-74", "purl": "pkg:pypi/requests", "status": "fixed"},
        headers=bank.headers,
    ).json()["statement"]
    assert client.get(f"/api/v1/vex/{own['id']}", headers=hospital.headers).status_code == 404
    unchanged = client.get(f"/api/v1/exposures/{item['id']}", headers=hospital.headers).json()
    assert unchanged["state"] == "affected"
