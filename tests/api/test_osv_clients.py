"""Real OSV clients against the real server: pip-audit and osv-lib, over loopback HTTP.

The service runs on uvicorn in a thread (127.0.0.1, a port of its own) over a knowledge base
imported from the shared PyPI archive. What the clients report is compared with what our own
scanner (``clearinghouse scan``) says for the same packages.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.sources import local_sources
from clearinghouse.api.app import create_app
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from tests.conftest import shared_path

GIB = 1 << 30

REQUIREMENTS = """\
jinja2==2.4.1
Django==3.2.0
requests==2.19.0
PyYAML==5.3
urllib3==1.24.1
flask==0.12
pillow==8.1.0
six==1.16.0
"""
"""Pinned, known-vulnerable versions (and one clean package)."""

_NO_NETWORK = {
    # any HTTP(S) call that is not to loopback goes to a closed port and fails the client
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
}


@dataclass
class Server:
    url: str
    database_url: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every HTTP request the server received."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    archive = shared_path("osv", "PyPI", "all.zip")
    data_dir = tmp_path_factory.mktemp("osv-server")
    db = Database(f"sqlite:///{data_dir / 'clearinghouse.db'}")
    db.upgrade()
    AdvisoryImporter(db).import_sources(local_sources(archive, GIB))
    app = create_app(Settings(data_dir=data_dir, database_url=db.url), db=db)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # accepting from here on: clients queue until uvicorn serves
    port = sock.getsockname()[1]
    state = Server(f"http://127.0.0.1:{port}", db.url)

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            state.requests.append((scope["method"], scope["path"]))
        await app(scope, receive, send)

    config = uvicorn.Config(recording, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        db.dispose()


def _our_scan(server: Server, requirements: Path) -> dict[str, dict[str, list[str]]]:
    """``clearinghouse scan`` on the same file and database: {package: {id: fixed}}."""
    env = {**os.environ, **_NO_NETWORK, "CLEARINGHOUSE_DATABASE_URL": server.database_url}
    result = subprocess.run(
        [sys.executable, "-m", "clearinghouse", "scan", str(requirements), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr  # 1: something is vulnerable
    report = json.loads(result.stdout)
    return {
        component["name"].lower(): {v["id"]: v["fixed"] for v in component["vulnerabilities"]}
        for component in report["components"]
    }


def test_pip_audit_reports_what_our_scanner_reports(server: Server, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(REQUIREMENTS)
    before = len(server.requests)
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(requirements),
        # trust the pins: without these pip-audit resolves the file by running pip against PyPI
        "--no-deps",
        "--disable-pip",
        "--vulnerability-service",
        "osv",
        "--osv-url",
        f"{server.url}/v1/query",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **_NO_NETWORK},
        check=False,
        timeout=300,
    )

    assert result.returncode == 1, result.stderr  # pip-audit: 1 means "vulnerabilities found"
    audit = {
        dependency["name"]: {v["id"]: v["fix_versions"] for v in dependency["vulns"]}
        for dependency in json.loads(result.stdout)["dependencies"]
    }
    ours = _our_scan(server, requirements)

    pinned = {"jinja2", "django", "requests", "pyyaml", "urllib3", "flask", "pillow", "six"}
    assert set(audit) == set(ours) == pinned
    for package, vulns in ours.items():
        assert set(audit[package]) == set(vulns), package
        for advisory_id, fixed in vulns.items():
            assert sorted(audit[package][advisory_id]) == sorted(fixed), advisory_id
    assert audit["six"] == {}
    assert audit["jinja2"] == {
        "PYSEC-2014-8": ["2.7.2"],
        "PYSEC-2014-82": ["2.7.3"],
        "PYSEC-2019-217": ["2.10.1"],
        "PYSEC-2019-220": ["2.8.1"],
        "PYSEC-2021-66": ["2.11.3"],
    }
    assert sum(len(v) for v in audit.values()) == 67
    # one POST /v1/query per requirement, and nothing else
    assert server.requests[before:] == [("POST", "/v1/query")] * 8


def _osv_lib() -> Any:
    try:
        from osv import api, exception, model
    except ImportError:  # pragma: no cover - scripts/setup test installs it
        pytest.fail("osv-lib is missing: scripts/setup test installs it (pip --no-deps)")
    return api, exception, model


def _ecosystem_fixes(vuln: Any) -> list[str]:
    """``fixed`` events of the ECOSYSTEM ranges of an osv-lib ``OsvVulnerability``."""
    return [
        event.fixed
        for affected in vuln.affected
        for version_range in affected.ranges or ()
        if version_range.type_.value == "ECOSYSTEM"
        for event in version_range.events
        if event.fixed
    ]


def test_osv_lib_queries_in_batch_then_fetches_each_record(server: Server) -> None:
    from packageurl import PackageURL

    api, _, model = _osv_lib()

    class LocalOsvApi(api.OsvApi):  # type: ignore[misc]
        _api_host = server.url

    client = LocalOsvApi()
    purls = ["pkg:pypi/jinja2@2.4.1", "pkg:pypi/requests@2.19.0", "pkg:pypi/six@1.16.0"]
    queries = [{"package": model.OsvPackage(purl=PackageURL.from_string(p))} for p in purls]
    before = len(server.requests)

    vulns = client.query_batch(queries=queries, fully_hydrate=True)

    expected = {
        "PYSEC-2014-8",
        "PYSEC-2014-82",
        "PYSEC-2019-217",
        "PYSEC-2019-220",
        "PYSEC-2021-66",
        "PYSEC-2018-28",
        "PYSEC-2023-74",
    }
    assert {str(v.id_) for v in vulns} == expected
    seen = server.requests[before:]
    assert seen[0] == ("POST", "/v1/querybatch")
    assert sorted(seen[1:]) == sorted(("GET", f"/v1/vulns/{i}") for i in expected)
    requests_fix = next(v for v in vulns if str(v.id_) == "PYSEC-2018-28")
    assert _ecosystem_fixes(requests_fix) == ["2.20.0"]
    assert requests_fix.modified.year == 2021  # parsed from our RFC 3339 "...Z" timestamps


def test_osv_lib_single_query_and_lookup(server: Server) -> None:
    api, exception, model = _osv_lib()

    class LocalOsvApi(api.OsvApi):  # type: ignore[misc]
        _api_host = server.url

    client = LocalOsvApi()
    package = model.OsvPackage(ecosystem="PyPI", name="PyYAML")

    found = client.query(package=package, version="5.3")
    record = client.vulns(id_="PYSEC-2021-142")

    assert {str(v.id_) for v in found} == {"PYSEC-2020-96", "PYSEC-2021-142"}
    assert record.summary is None or isinstance(record.summary, str)
    assert _ecosystem_fixes(record) == ["5.4"]
    with pytest.raises(exception.OsvApiErrorResponseException, match="Bug not found"):
        client.vulns(id_="PYSEC-0000-0")
    # osv-lib encodes its own OsvEcosystem enum as an object: refused precisely, not guessed
    broken = model.OsvPackage(ecosystem=model.OsvEcosystem.PYPI, name="pyyaml")
    with pytest.raises(exception.OsvApiErrorResponseException, match="TYPE_STRING"):
        client.query(package=broken, version="5.3")
