"""``clearinghouse findings``: submit files, import EPSS, read the queue, move a vulnerability."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app
from clearinghouse.settings import get_settings
from tests.conftest import shared_path

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CLEARINGHOUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CLEARINGHOUSE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_submit_queue_and_move(data_dir: Path) -> None:
    _ok("org", "create", "Lab", "--kind", "ai-developer")
    _ok("org", "create", "Desk", "--kind", "coordinator")
    sarif = shared_path("sarif", "examples", "sdk-docs-example.sarif")
    report = data_dir / "report.json"
    report.write_text(
        json.dumps(
            {
                "findings": [
                    {"title": "Broken", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                    {},
                ]
            }
        )
    )
    result = runner.invoke(
        app, ["findings", "submit", str(sarif), str(report), "--org", "Lab", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    submitted = json.loads(result.stdout)
    assert [s["accepted"] for s in submitted] == [2, 1]
    assert submitted[1]["rejected"] == [{"index": 1, "reason": "title is required"}]

    atomic = runner.invoke(app, ["findings", "submit", str(report), "--org", "Lab", "--atomic"])
    assert atomic.exit_code == 2
    assert "atomic submission stored none" in atomic.output

    refused = runner.invoke(app, ["findings", "queue", "--org", "Lab"])
    assert refused.exit_code == 2
    queue = json.loads(_ok("findings", "queue", "--org", "Desk", "-f", "json"))
    assert queue["total"] == 3
    top = queue["vulnerabilities"][0]
    assert top["rank"] == 1

    epss = data_dir / "epss.csv"
    epss.write_text(
        "#model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000\ncve,epss,percentile\nCVE-2099-0001,0.5,0.9\n"
    )
    assert "1 EPSS scores imported" in _ok("findings", "import-epss", str(epss))

    moved = _ok(
        "findings", "move", top["id"], "--to", "triaged", "--evidence", "read", "--org", "Desk"
    )
    assert moved.strip() == f"{top['id']}: triaged"
    bad = runner.invoke(
        app,
        ["findings", "move", top["id"], "--to", "published", "--evidence", "x", "--org", "Desk"],
    )
    assert bad.exit_code == 2
    assert "can move to" in bad.output


def test_markings_on_the_command_line(data_dir: Path) -> None:
    _ok("org", "create", "Lab", "--kind", "ai-developer")
    _ok("org", "create", "Other", "--kind", "ai-developer")
    _ok("org", "create", "Desk", "--kind", "coordinator")
    report = data_dir / "report.json"
    report.write_text(json.dumps({"findings": [{"title": "Overflow", "aliases": ["CVE-2099-7"]}]}))

    unknown = runner.invoke(app, ["findings", "submit", str(report), "--org", "Lab", "--tlp", "X"])
    assert unknown.exit_code == 2
    assert "'X' is not a TLP 2.0 label" in unknown.output

    csaf = shared_path("csaf", "real", "redhat", "rhsa-2015_0008.json")
    [from_csaf] = json.loads(_ok("findings", "submit", str(csaf), "--org", "Lab", "-f", "json"))
    assert from_csaf["findings"][0]["tlp"] == "CLEAR"  # the document says WHITE
    [explicit] = json.loads(
        _ok("findings", "submit", str(report), "--org", "Lab", "--tlp", "RED", "-f", "json")
    )
    finding = explicit["findings"][0]
    assert finding["tlp"] == "RED"
    vulnerability = finding["vulnerability_id"]

    for state in ("triaged", "validated"):
        _ok("findings", "move", vulnerability, "--to", state, "--evidence", "ok", "--org", "Desk")
    refused = runner.invoke(
        app,
        [
            "findings",
            "move",
            vulnerability,
            "--to",
            "published",
            "--evidence",
            "x",
            "--org",
            "Desk",
        ],
    )
    assert refused.exit_code == 2
    assert "TLP:RED" in refused.output
    assert f"{finding['id']} (RED)" in refused.output

    stranger = runner.invoke(
        app,
        ["findings", "mark", str(finding["id"]), "CLEAR", "--evidence", "x", "--org", "Other"],
    )
    assert stranger.exit_code == 2
    assert f"no finding {finding['id']}" in stranger.output
    marked = json.loads(
        _ok(
            "findings", "mark", str(finding["id"]), "clear", "--evidence", "submitter agreed",
            "--org", "Desk", "-f", "json",
        )
    )  # fmt: skip
    assert (marked["previous_tlp"], marked["tlp"], marked["vulnerability_tlp"]) == (
        "RED",
        "CLEAR",
        "CLEAR",
    )
    _ok("findings", "move", vulnerability, "--to", "published", "--evidence", "x", "--org", "Desk")
    assert "audit log intact" in _ok("audit", "verify")
    events = json.loads(_ok("audit", "list", "--action", "finding.tlp", "-f", "json"))
    assert len(events) == 1
