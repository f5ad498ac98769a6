"""``clearinghouse scan``: exit status 0 / 1 / 2, the stable JSON report, SARIF and CycloneDX VEX
that their own schemas accept, and folders of lockfiles — on the real PyPI advisories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.sources import ZipArchive
from clearinghouse.store import Database
from clearinghouse.versions import compare, is_affected
from tests.conftest import shared_path
from tests.frontier.test_registry import schema_errors

VULNERABLE = "jinja2==2.10\nurllib3==1.24.1\nsix==1.16.0\n"
CLEAN = "six==1.16.0\n"


@pytest.fixture(scope="module")
def knowledge_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose SQLite database holds the real PyPI advisories."""
    data_dir = tmp_path_factory.mktemp("scan-data")
    db = Database(f"sqlite:///{data_dir / 'clearinghouse.db'}")
    db.upgrade()
    AdvisoryImporter(db).import_source(
        ZipArchive(shared_path("osv", "PyPI", "all.zip"), "PyPI", 1 << 32)
    )
    db.dispose()
    return data_dir


Scan = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def scan(knowledge_base: Path) -> Scan:
    """``clearinghouse scan ARGS`` in a process of its own, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARINGHOUSE_")}
    env.update({"CLEARINGHOUSE_DATA_DIR": str(knowledge_base), "COLUMNS": "200"})

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clearinghouse", "scan", *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def _pypi_records(name: str) -> list[dict[str, Any]]:
    with zipfile.ZipFile(shared_path("osv", "PyPI", "all.zip")) as archive:
        records = [json.loads(archive.read(n)) for n in archive.namelist()]
    return [
        r
        for r in records
        if not r.get("withdrawn")
        and any(a.get("package", {}).get("name", "").lower() == name for a in r["affected"])
    ]


def test_vulnerable_lockfile_exits_1_with_the_documented_json(scan: Scan, tmp_path: Path) -> None:
    lockfile = tmp_path / "requirements.txt"
    lockfile.write_text(VULNERABLE)
    result = scan(lockfile, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "clearinghouse-scan/1"
    assert report["sources"] == [
        {"path": str(lockfile), "format": "requirements.txt", "components": 3, "warnings": []}
    ]
    by_name = {c["name"]: c for c in report["components"]}
    assert set(by_name) == {"jinja2", "urllib3", "six"}  # clean components are listed too
    assert by_name["six"]["vulnerabilities"] == []
    assert by_name["six"]["remediation"] is None
    assert report["summary"]["components"] == 3
    assert report["summary"]["vulnerable_components"] == 2

    jinja2 = by_name["jinja2"]
    assert jinja2["purl"] == "pkg:pypi/jinja2@2.10"
    records = _pypi_records("jinja2")
    expected = {
        r["id"]
        for r in records
        for a in r["affected"]
        if a["package"]["name"].lower() == "jinja2" and is_affected(a, "2.10")
    }
    assert expected
    assert {v["id"] for v in jinja2["vulnerabilities"]} == expected
    for vulnerability in jinja2["vulnerabilities"]:
        assert set(vulnerability) >= {"id", "aliases", "fixed", "severity", "kev", "summary"}
        assert any(alias.startswith("CVE-") for alias in vulnerability["aliases"])
    # the remediation is above the current version and clear of every jinja2 advisory
    target = jinja2["remediation"]
    assert compare("PyPI", target, "2.10") > 0
    for record in records:
        for affected in record["affected"]:
            if affected["package"]["name"].lower() == "jinja2":
                assert not is_affected(affected, target), (record["id"], target)


def test_clean_lockfile_exits_0(scan: Scan, tmp_path: Path) -> None:
    lockfile = tmp_path / "requirements.txt"
    lockfile.write_text(CLEAN)
    result = scan(lockfile)
    assert result.returncode == 0, result.stderr
    assert "1 components scanned: 0 vulnerable" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        (("lockfiles", "malformed", "PyPI", "not-toml", "poetry.lock"), "poetry.lock"),
        (("lockfiles", "malformed", "Packagist", "double-comma", "composer.lock"), "composer.lock"),
    ],
)
def test_malformed_real_lockfile_exits_2_naming_it(
    scan: Scan, parts: tuple[str, ...], reason: str
) -> None:
    path = shared_path(*parts)
    result = scan(path, "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert str(path) in result.stderr
    assert reason in result.stderr
    assert "Traceback" not in result.stderr


def test_hostile_xml_and_missing_files_exit_2(scan: Scan, tmp_path: Path) -> None:
    bomb = tmp_path / "bom.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library">'
        "<name>&b;</name></component></components></bom>"
    )
    result = scan(bomb)
    assert result.returncode == 2
    assert "entit" in result.stderr.lower()
    missing = scan(tmp_path / "nowhere.lock")
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_sarif_report_is_valid_sarif_2_1_0(scan: Scan, tmp_path: Path) -> None:
    lockfile = tmp_path / "requirements.txt"
    lockfile.write_text(VULNERABLE)
    result = scan(lockfile, "--format", "sarif")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    schema = json.loads(shared_path("schemas", "sarif", "sarif-schema-2.1.0.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [e.message for e in validator.iter_errors(document)] == []
    results = document["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {
        v["id"]
        for c in json.loads(scan(lockfile, "--format", "json").stdout)["components"]
        for v in c["vulnerabilities"]
    }


def test_cyclonedx_vex_report_is_valid_cyclonedx_1_6(scan: Scan, tmp_path: Path) -> None:
    lockfile = tmp_path / "requirements.txt"
    lockfile.write_text(VULNERABLE)
    out = tmp_path / "vex.json"
    result = scan(lockfile, "--format", "cyclonedx-vex", "--output", out)
    assert result.returncode == 1
    document = json.loads(out.read_text())
    assert schema_errors(document) == []
    affected_refs = {a["ref"] for v in document["vulnerabilities"] for a in v["affects"]}
    assert any("jinja2" in ref for ref in affected_refs)
    assert all(v["analysis"]["state"] for v in document["vulnerabilities"])


def test_a_folder_stands_for_the_lockfiles_in_it(scan: Scan, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "service").mkdir(parents=True)
    (project / "node_modules" / "left-pad").mkdir(parents=True)
    (project / ".venv").mkdir()
    (project / "requirements.txt").write_text(CLEAN)
    (project / "service" / "requirements-prod.txt").write_text(VULNERABLE)
    (project / "node_modules" / "left-pad" / "requirements.txt").write_text(VULNERABLE)
    (project / ".venv" / "requirements.txt").write_text(VULNERABLE)
    (project / "README.md").write_text("not an inventory")

    top = scan(project, "--format", "json")
    assert top.returncode == 0, top.stderr
    assert [s["path"] for s in json.loads(top.stdout)["sources"]] == [
        str(project / "requirements.txt")
    ]
    deep = scan(project, "--recursive", "--format", "json")
    assert deep.returncode == 1, deep.stderr
    assert [s["path"] for s in json.loads(deep.stdout)["sources"]] == [
        str(project / "requirements.txt"),
        str(project / "service" / "requirements-prod.txt"),
    ]

    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = scan(empty)
    assert nothing.returncode == 2
    assert "holds no SBOM or lockfile" in nothing.stderr
