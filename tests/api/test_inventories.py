"""POST/GET /api/v1/inventories: multipart upload with the size checked while streaming,
history kept, parse errors as 4xx with the database unchanged, 404 across organizations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.exposures.service import process_advisory_changes
from clearinghouse.inventories.models import Inventory, InventoryComponent, System
from clearinghouse.participants.models import Role
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.exposures._data import CLUSTERFUZZ, count, import_ecosystem, pipfile_with
from tests.service_fixtures import Caller, add_caller


def _upload(
    client: TestClient,
    caller: Caller,
    data: bytes,
    filename: str = "Pipfile.lock",
    system: str | None = "pharmacy",
    criticality: str | None = None,
) -> httpx.Response:
    form = {}
    if system is not None:
        form["system"] = system
    if criticality is not None:
        form["criticality"] = criticality
    return client.post(
        "/api/v1/inventories",
        files={"file": (filename, data, "application/octet-stream")},
        data=form,
        headers=caller.headers,
    )


def _state(db: Database) -> tuple[int, int, int, int]:
    return (
        count(db, System),
        count(db, Inventory),
        count(db, InventoryComponent),
        count(db, AuditEvent),
    )


def test_upload_list_and_read_with_history(client: TestClient, db: Database) -> None:
    import_ecosystem(db, "PyPI")
    process_advisory_changes(db)
    hospital = add_caller(db, "Rural Hospital", role=Role.member)
    lock = shared_path(*CLUSTERFUZZ).read_bytes()

    created = _upload(client, hospital, lock, criticality="safety-critical")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["created"] is True
    assert body["opened"] == 13
    system = body["system"]
    assert system["criticality"] == "safety-critical"
    assert system["current"]["version"] == 1
    assert system["current"]["format"] == "Pipfile.lock"
    assert system["exposures"] == {"open": 13, "kev": 0, "worst": "HIGH"}

    replaced = _upload(client, hospital, pipfile_with({"requests": "2.31.0"}))
    assert replaced.status_code == 201
    assert replaced.json()["created"] is False
    assert replaced.json()["resolved"] == 1

    listed = client.get("/api/v1/inventories", headers=hospital.headers).json()
    assert [(s["name"], s["current"]["version"]) for s in listed] == [("pharmacy", 2)]

    detail = client.get(f"/api/v1/inventories/{system['id']}", headers=hospital.headers).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["versions"][0]["sha256"] != detail["versions"][1]["sha256"]
    assert len(detail["components"]) == 92
    requests = next(c for c in detail["components"] if c["name"] == "requests" and not c["dev"])
    assert requests["purl"] == "pkg:pypi/requests@2.31.0"
    old = client.get(
        f"/api/v1/inventories/{system['id']}/versions/1", headers=hospital.headers
    ).json()
    assert "pkg:pypi/requests@2.21.0" in {c["purl"] for c in old["components"]}


def test_another_organization_gets_404_everywhere(client: TestClient, db: Database) -> None:
    mine = add_caller(db, "Water District")
    theirs = add_caller(db, "Community Bank")
    system_id = _upload(client, mine, b"requests==2.21.0\n", "requirements.txt").json()["system"][
        "id"
    ]
    for path in (f"/api/v1/inventories/{system_id}", f"/api/v1/inventories/{system_id}/versions/1"):
        assert client.get(path, headers=theirs.headers).status_code == 404
        assert client.get(path, headers=mine.headers).status_code == 200
    assert client.get("/api/v1/inventories", headers=theirs.headers).json() == []
    # the same system name in another organization is another system
    other = _upload(client, theirs, b"requests==2.31.0\n", "requirements.txt").json()
    assert other["created"] is True
    assert other["system"]["id"] != system_id


def test_malformed_inventories_are_4xx_and_change_nothing(client: TestClient, db: Database) -> None:
    caller = add_caller(db, "Local Utility", role=Role.member)
    before = _state(db)
    cases = [
        (("lockfiles", "malformed", "Packagist", "double-comma", "composer.lock"), 422, "JSON"),
        (("lockfiles", "malformed", "PyPI", "not-toml", "poetry.lock"), 422, "TOML"),
        (("lockfiles", "malformed", "Maven", "invalid-xml-name", "pom.xml"), 422, "XML"),
    ]
    for parts, status, word in cases:
        path = shared_path(*parts)
        response = _upload(client, caller, path.read_bytes(), path.name)
        assert response.status_code == status, response.text
        assert word in response.json()["detail"]
        assert response.json()["source"] == path.name
    unknown = _upload(client, caller, b"\x00\x01binary", "firmware.bin")
    assert unknown.status_code == 415
    assert _upload(client, caller, b"", "requirements.txt").status_code == 422
    assert _upload(client, caller, b"requests==1\n", system=None).status_code == 400
    bad_level = _upload(client, caller, b"requests==1\n", "requirements.txt", criticality="high")
    assert bad_level.status_code == 422
    assert "safety-critical" in bad_level.json()["detail"]
    assert _state(db) == before


@pytest.fixture
def small_client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, database_url=db.url, max_input_bytes=4096)
    with TestClient(create_app(settings, db=db)) as client:
        yield client


def test_oversize_uploads_are_refused_while_streaming(
    small_client: TestClient, db: Database
) -> None:
    caller = add_caller(db, "Small Clinic")
    before = _state(db)
    big = b"requests==2.31.0\n" * 400  # 6.8 KiB against a 4 KiB limit

    def chunks() -> Iterator[bytes]:
        boundary = b"--x"
        yield boundary + b'\r\nContent-Disposition: form-data; name="system"\r\n\r\nclinic\r\n'
        yield (
            boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="r.txt"\r\n\r\n'
        )
        yield from (big[i : i + 1024] for i in range(0, len(big), 1024))
        yield b"\r\n" + boundary + b"--\r\n"

    response = small_client.post(
        "/api/v1/inventories",
        content=chunks(),
        headers={**caller.headers, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413
    assert "4.0 KiB limit" in response.json()["detail"]
    declared = _upload(small_client, caller, big, "requirements.txt")
    assert declared.status_code == 413
    assert _state(db) == before


def test_uploading_needs_the_member_role(client: TestClient, db: Database) -> None:
    reader = add_caller(db, "Auditor", role=Role.read_only)
    response = _upload(client, reader, b"requests==2.31.0\n", "requirements.txt")
    assert response.status_code == 403
    assert client.get("/api/v1/inventories", headers=reader.headers).status_code == 200
    assert client.post("/api/v1/inventories").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/inventories/99999999999999999999",
        "/api/v1/findings/99999999999999999999",
        "/api/v1/exposures/99999999999999999999",
        "/api/v1/deliveries/99999999999999999999",
        "/api/v1/inventories/2147483648",
    ],
)
def test_an_id_no_row_can_have_is_a_client_error_not_a_crash(
    client: TestClient, db: Database, path: str
) -> None:
    caller = add_caller(db, "Rural Hospital")
    answer = client.get(path, headers=caller.headers)
    assert answer.status_code in (404, 422), (path, answer.status_code, answer.text)
