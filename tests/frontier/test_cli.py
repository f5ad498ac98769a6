"""``clearinghouse frontier``: the same services, acting as an API token's principal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clearinghouse.cli import app
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.settings import get_settings
from clearinghouse.store import Database, utcnow
from tests.frontier.conftest import CARD, add_token
from tests.frontier.test_registry import schema_errors
from tests.service_fixtures import Caller

runner = CliRunner()


@pytest.fixture
def cli_env(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", sqlite_db.url)
    monkeypatch.setenv("CLEARINGHOUSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CLEARINGHOUSE_TOKEN", raising=False)
    get_settings.cache_clear()
    yield sqlite_db
    get_settings.cache_clear()


def run(caller: Caller | None, *args: str) -> Result:
    env = {"COLUMNS": "200"}
    if caller is not None:
        env["CLEARINGHOUSE_TOKEN"] = caller.token
    return runner.invoke(app, ["frontier", *args], env=env)


def test_the_program_from_the_shell(
    cli_env: Database, tmp_path: Path, inspect_logs: dict[str, Path]
) -> None:
    db = cli_env
    developer = add_token(db, "Frontier Lab", OrganizationKind.ai_developer)
    evaluator = add_token(db, "Evaluation Institute", OrganizationKind.evaluator, Role.member)
    coordinator = add_token(db, "Clearinghouse", OrganizationKind.coordinator, Role.analyst)
    official = add_token(
        db,
        "",
        OrganizationKind.coordinator,
        Role.analyst,
        frozenset({"designation"}),
        organization_id=coordinator.organization_id,
    )

    assert run(None, "model", "list").exit_code == 2
    created = run(developer, "model", "create", "Atlas", "--format", "json")
    assert created.exit_code == 0, created.output
    model_id = json.loads(created.output)["id"]
    card = tmp_path / "card.json"
    card.write_text(json.dumps(CARD))
    version = run(developer, "model", "version", str(model_id), "--card", str(card), "-f", "json")
    assert version.exit_code == 0, version.output
    version_id = json.loads(version.output)["id"]
    assert json.loads(version.output)["number"] == 1
    assert run(developer, "model", "alias", str(model_id), "production", "1").exit_code == 0
    shared = run(
        developer, "model", "share", str(model_id), "--evaluator", str(evaluator.organization_id)
    )
    assert shared.exit_code == 0, shared.output

    uploaded = run(
        evaluator,
        "eval",
        "upload",
        str(version_id),
        str(inspect_logs["cybench.json"]),
        "-f",
        "json",
    )
    assert uploaded.exit_code == 0, uploaded.output
    assert json.loads(uploaded.output)["benchmark"] == "cybench"
    bad = tmp_path / "broken.eval"
    bad.write_bytes(b"PK\x03\x04 not really")
    refused = run(evaluator, "eval", "upload", str(version_id), str(bad))
    assert refused.exit_code == 2
    assert "truncated or corrupt" in refused.output

    bom = tmp_path / "bom.json"
    assert run(developer, "model", "mlbom", str(version_id), "-o", str(bom)).exit_code == 0
    assert schema_errors(json.loads(bom.read_text())) == []

    # rules do not exist for the uncleared coordinator, and do for the official
    hidden = run(coordinator, "rule", "list")
    assert hidden.exit_code == 2
    assert "Not Found" in hidden.output
    rule = run(
        official,
        "rule",
        "create",
        "--name",
        "uplift",
        "--benchmark",
        "cybench",
        "--metric",
        "accuracy",
        "--operator",
        ">=",
        "--threshold",
        "0.5",
        "--level",
        "crossed",
    )
    assert rule.exit_code == 0, rule.output
    proposal = run(official, "designation", "propose", str(version_id))
    assert json.loads(proposal.output)["level"] == "crossed"

    opened = run(
        developer, "engagement", "open", str(version_id), "--planned-partner-release", "2099-01-01"
    )
    assert opened.exit_code == 0, opened.output
    assert run(developer, "engagement", "move", "1", "designation_pending").exit_code == 0
    recorded = run(
        official, "designation", "record", str(version_id), "--outcome", "covered",
        "--rationale", "crossed",
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    shown = run(developer, "designation", "show", str(version_id), "-f", "json")
    assert set(json.loads(shown.output)) == {"version_id", "outcome", "decided_at"}
    assert run(developer, "engagement", "move", "1", "access_agreement").exit_code == 0
    early = run(developer, "engagement", "move", "1", "government_access")
    assert early.exit_code == 2
    assert "acknowledge every protection term" in early.output
    assert run(developer, "engagement", "acknowledge", "1", "all").exit_code == 0
    assert run(developer, "engagement", "move", "1", "government_access").exit_code == 0
    listed = run(developer, "engagement", "list", "-f", "json")
    assert json.loads(listed.output)[0]["state"] == "government_access"
    assert run(developer, "engagement", "move", "1", "withdrawn", "--note", "paused").exit_code == 0


def test_referral_packets_from_the_shell(cli_env: Database, tmp_path: Path) -> None:
    from clearinghouse.frontier.incidents import Classification, IncidentKind, file_incident
    from clearinghouse.participants.service import authenticate

    operator = add_token(cli_env, "County Water", OrganizationKind.operator)
    with cli_env.session() as session:
        principal = authenticate(session, operator.token)
        assert principal is not None
        from clearinghouse.store import utcnow

        file_incident(
            session,
            principal,
            kind=IncidentKind.ai_enabled_intrusion,
            classification=Classification.incident,
            title="Agentic intrusion into SCADA historian",
            description="An AI agent chained two CVEs against our historian.",
            discovered_at=utcnow(),
            report_hours=72,
        )
    listed = run(operator, "incident", "list", "-f", "json")
    assert json.loads(listed.output)[0]["clock"] == "met"
    referred = run(
        operator, "incident", "refer", "1", "--agency", "FBI", "--statute", "18 USC 1030"
    )
    assert referred.exit_code == 0, referred.output
    assert "18 U.S.C. 1030" in referred.output
    packet = tmp_path / "packet.zip"
    assert run(operator, "incident", "packet", "1", "-o", str(packet)).exit_code == 0
    key = tmp_path / "key.pem"
    published = run(None, "signing-key")
    key.write_text(published.output)
    verified = run(None, "verify-packet", str(packet), "--key", str(key))
    assert verified.exit_code == 0, verified.output
    assert "verified" in verified.output
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(packet.read_bytes()[:-40] + b"\x00" * 40)
    assert run(None, "verify-packet", str(tampered), "--key", str(key)).exit_code == 1


def test_defensive_access_and_incidents_from_the_shell(cli_env: Database) -> None:
    vendor = add_token(cli_env, "Tool Maker", OrganizationKind.vendor)
    operator = add_token(cli_env, "Community Bank", OrganizationKind.operator)
    coordinator = add_token(cli_env, "Clearinghouse", OrganizationKind.coordinator, Role.analyst)

    added = run(vendor, "access", "add", "--kind", "defensive-tool", "--name", "PatchPilot")
    assert added.exit_code == 0, added.output
    catalogue = run(operator, "access", "catalogue", "-f", "json")
    assert [e["name"] for e in json.loads(catalogue.output)] == ["PatchPilot"]
    applied = run(
        operator, "access", "apply", "1", "--tier", "defensive",
        "--intended-use", "scan our branch network", "--scope", "10.0.0.0/8, ours",
    )  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert run(operator, "access", "verify", "1", "--method", "sector-registry").exit_code == 2
    verified = run(coordinator, "access", "verify", "1", "--method", "sector-registry")
    assert "verified" in verified.output
    ends = (utcnow() + timedelta(days=90)).date().isoformat()
    granted = run(vendor, "access", "grant", "1", "--tier", "defensive", "--ends", ends)
    assert granted.exit_code == 0, granted.output
    assert "active" in granted.output
    logged = run(
        operator, "access", "log", "1", "--event", "used", "--detail", "weekly scan", "-f", "json"
    )
    assert [e["event"] for e in json.loads(logged.output)] == ["granted", "used"]
    assert run(vendor, "access", "revoke", "1", "--reason", "contract ended").exit_code == 0
    grants = run(operator, "access", "grants", "-f", "json")
    assert json.loads(grants.output)[0]["status"] == "revoked"

    filed = run(
        operator, "incident", "file", "--kind", "ai-agent-misuse", "--title", "Rogue agent",
        "--description", "An agent wired funds", "--discovered", "2020-01-01T00:00:00Z",
        "--technique", "T1078", "--draft",
    )  # fmt: skip
    assert filed.exit_code == 0, filed.output
    assert "2020-01-04" in filed.output  # due 72 hours after discovery
    assert "late" in run(operator, "incident", "submit", "1").output
    assert run(coordinator, "incident", "update", "1", "funds recovered").exit_code == 0
    assert run(operator, "incident", "close", "1").exit_code == 0
    listed = run(operator, "incident", "list", "-f", "json")
    assert json.loads(listed.output)[0]["status"] == "closed"
    wrong = run(
        operator,
        "incident",
        "file",
        "--kind",
        "alien",
        "--title",
        "x",
        "--description",
        "y",
        "--discovered",
        "2020-01-01",
    )
    assert wrong.exit_code == 2
