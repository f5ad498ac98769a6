"""Designation: restricted rules, proposals, the official's decision, and the invisibility of
the rules to everyone without the designation clearance."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from clearinghouse.api.logs import JsonFormatter
from clearinghouse.audit.models import AuditEvent
from clearinghouse.store import Database
from tests.frontier.conftest import Program, register_version, upload
from tests.service_fixtures import Caller

API = "/api/v1/frontier"


def rule(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "cyber uplift",
        "benchmark": "cybench",
        "metric": "accuracy",
        "operator": ">=",
        "threshold": 0.5,
        "level": "crossed",
    }
    return body | overrides


def evaluated_version(
    client: TestClient, program: Program, logs: dict[str, Path], *names: str
) -> int:
    _, version_id = register_version(client, program)
    for name in names or ("cybench.eval",):
        assert upload(client, program.evaluator, version_id, logs[name]).status_code == 201
    return version_id


def add_rule(client: TestClient, official: Caller, **overrides: Any) -> dict[str, Any]:
    created = client.post(
        f"{API}/designation-rules", json=rule(**overrides), headers=official.headers
    )
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("overrides", "level", "treat_as_crossed", "suggested"),
    [
        ({"threshold": 0.5}, "crossed", False, "covered"),
        ({"threshold": 0.7, "level": "alert"}, "alert", False, "not_covered"),
        ({"threshold": 0.9}, "cannot_rule_out", False, "not_covered"),
        ({"threshold": 0.9, "cannot_rule_out_as_crossed": True}, "crossed", True, "covered"),
        ({"threshold": 1.3}, "below", False, "not_covered"),
        ({"threshold": 0.8, "operator": ">"}, "cannot_rule_out", False, "not_covered"),
        ({"benchmark": "cybergym"}, "below", False, "not_covered"),
        ({"metric": "stderr", "operator": "<=", "threshold": 0.3}, "crossed", False, "covered"),
    ],
)
def test_rules_propose_a_level(
    client: TestClient,
    program: Program,
    inspect_logs: dict[str, Path],
    overrides: dict[str, Any],
    level: str,
    treat_as_crossed: bool,
    suggested: str,
) -> None:
    """cybench.eval scores accuracy 0.75 with stderr 0.25 (95% interval 0.26-1.24)."""
    version_id = evaluated_version(client, program, inspect_logs)
    created = add_rule(client, program.official, **overrides)
    proposal = client.get(
        f"{API}/versions/{version_id}/designation-proposal", headers=program.official.headers
    ).json()
    assert proposal["level"] == level
    assert proposal["treat_as_crossed"] is treat_as_crossed
    assert proposal["suggested_outcome"] == suggested
    if overrides.get("benchmark") == "cybergym":
        assert proposal["rules_without_evidence"] == [created["id"]]
        assert proposal["findings"] == []


def test_the_highest_level_wins_and_inactive_rules_are_ignored(
    client: TestClient, program: Program, inspect_logs: dict[str, Path]
) -> None:
    version_id = evaluated_version(
        client, program, inspect_logs, "cybench.eval", "gdm_intercode_ctf.json"
    )
    add_rule(client, program.official, threshold=0.7, level="alert")
    add_rule(client, program.official, benchmark="intercode-ctf", threshold=0.2)
    strict = add_rule(client, program.official, threshold=0.1, active=False)
    proposal = client.get(
        f"{API}/versions/{version_id}/designation-proposal", headers=program.official.headers
    ).json()
    assert proposal["level"] == "crossed"
    assert {f["level"] for f in proposal["findings"]} == {"alert", "crossed"}
    assert strict["id"] not in {f["rule_id"] for f in proposal["findings"]}


def test_invalid_rules_are_refused(client: TestClient, program: Program) -> None:
    for bad in (
        rule(benchmark="mmlu"),
        rule(operator="=="),
        rule(level="alert", cannot_rule_out_as_crossed=True),
    ):
        response = client.post(
            f"{API}/designation-rules", json=bad, headers=program.official.headers
        )
        assert response.status_code == 422


def test_rule_changes_need_the_analyst_role(
    client: TestClient, db: Database, program: Program
) -> None:
    from clearinghouse.participants.models import OrganizationKind, Role
    from tests.frontier.conftest import add_token

    member = add_token(
        db,
        "",
        OrganizationKind.coordinator,
        Role.member,
        frozenset({"designation"}),
        organization_id=program.official.organization_id,
    )
    assert client.get(f"{API}/designation-rules", headers=member.headers).status_code == 200
    assert (
        client.post(f"{API}/designation-rules", json=rule(), headers=member.headers).status_code
        == 403
    )


def test_a_developer_holding_the_clearance_still_sees_no_rules(
    client: TestClient, db: Database, program: Program
) -> None:
    from clearinghouse.participants.models import OrganizationKind
    from tests.frontier.conftest import add_token

    add_rule(client, program.official)
    cleared_developer = add_token(
        db,
        "",
        OrganizationKind.ai_developer,
        clearances=frozenset({"designation"}),
        organization_id=program.developer.organization_id,
    )
    assert (
        client.get(f"{API}/designation-rules", headers=cleared_developer.headers).status_code == 404
    )


def test_the_developer_sees_only_the_outcome(
    client: TestClient, program: Program, inspect_logs: dict[str, Path]
) -> None:
    version_id = evaluated_version(client, program, inspect_logs)
    add_rule(client, program.official)
    recorded = client.post(
        f"{API}/versions/{version_id}/designation",
        json={"outcome": "covered", "rationale": "crossed the cyber rule with margin"},
        headers=program.official.headers,
    )
    assert recorded.status_code == 201
    assert recorded.json()["proposal"]["level"] == "crossed"
    mine = client.get(f"{API}/versions/{version_id}/designation", headers=program.developer.headers)
    assert set(mine.json()) == {"version_id", "outcome", "decided_at"}
    assert mine.json()["outcome"] == "covered"
    for caller in (program.operator, program.other_developer, program.evaluator):
        seen = client.get(f"{API}/versions/{version_id}/designation", headers=caller.headers)
        assert seen.status_code == 404
    official = client.get(
        f"{API}/versions/{version_id}/designation", headers=program.official.headers
    )
    assert official.json()["rationale"] == "crossed the cyber rule with margin"
    # only cleared officials record designations; to others the endpoint does not exist
    for caller in (program.developer, program.coordinator):
        response = client.post(
            f"{API}/versions/{version_id}/designation",
            json={"outcome": "not_covered", "rationale": "x"},
            headers=caller.headers,
        )
        assert response.status_code == 404


# -- the sweep: rule content never reaches an uncleared caller -----------------------------------

MARKERS = ("zx81", "612345678901", "833333333377")
"""In the rules' names, metric, note and thresholds (12 decimals: no timestamp has that many)."""


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [m for m in MARKERS if m in lowered]


def _fill(path: str, ident: str) -> str:
    values = {"ref": "production", "alias": "production", "term": "confidentiality"}
    return re.sub(
        r"\{(\w+)\}",
        lambda m: values.get(m.group(1), ident),
        path,
    )


def _exercise(client: TestClient, caller: Caller) -> int:
    """Call every API operation with ids 1-3 and empty bodies; return the number of calls."""
    calls = 0
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    for path, operations in paths.items():
        for method in operations:
            for ident in ("1", "2", "3"):
                url = _fill(path, ident)
                kwargs: dict[str, Any] = {"headers": caller.headers}
                if method in ("post", "put", "patch"):
                    kwargs["json"] = {}
                response = client.request(method.upper(), url, **kwargs)
                calls += 1
                assert response.status_code < 500, (method, url, response.text)
                leaked = _leaks(response.text) + _leaks(str(dict(response.headers)))
                assert not leaked, (caller, method, url, leaked)
                if "{" not in path:
                    break
    return calls


def test_uncleared_callers_never_see_rule_content(
    client: TestClient,
    db: Database,
    program: Program,
    inspect_logs: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    version_id = evaluated_version(
        client, program, inspect_logs, "cybench.eval", "gdm_intercode_ctf.json"
    )
    first = add_rule(
        client,
        program.official,
        name="Cyber uplift ZX81",
        threshold=0.612345678901,
        note="ZX81 internal note",
        cannot_rule_out_as_crossed=True,
    )
    add_rule(
        client,
        program.official,
        name="zx81 watch",
        benchmark="intercode-ctf",
        metric="zx81_marker_metric",
        threshold=0.833333333377,
        level="alert",
    )
    client.put(
        f"{API}/designation-rules/{first['id']}",
        json=rule(name="Cyber uplift ZX81 v2", threshold=0.612345678901),
        headers=program.official.headers,
    )
    recorded = client.post(
        f"{API}/versions/{version_id}/designation",
        json={"outcome": "covered", "rationale": "ZX81: accuracy above 0.612345678901"},
        headers=program.official.headers,
    )
    assert recorded.status_code == 201
    engagement = client.post(
        f"{API}/engagements",
        json={"version_id": version_id, "planned_partner_release_at": "2030-01-01T00:00:00Z"},
        headers=program.developer.headers,
    )
    assert engagement.status_code == 201
    client.post(
        f"{API}/engagements/{engagement.json()['id']}/transitions",
        json={"to": "designation_pending"},
        headers=program.developer.headers,
    )

    # the cleared official does see the content: the markers are real
    cleared = client.get(f"{API}/designation-rules", headers=program.official.headers)
    assert _leaks(cleared.text)

    calls = 0
    for caller in (program.developer, program.evaluator, program.operator, program.coordinator):
        calls += _exercise(client, caller)
    assert calls > 300

    for record in caplog.records:
        line = JsonFormatter().format(record)
        assert not _leaks(line), line

    # the audit log keeps the content, restricted; `audit list` shows none of it
    with db.session() as session:
        restricted = session.scalars(select(AuditEvent).where(AuditEvent.restricted)).all()
        assert len(restricted) >= 4
        assert any(_leaks(str(e.after)) for e in restricted)
        unrestricted = session.scalars(select(AuditEvent).where(~AuditEvent.restricted)).all()
        assert not any(
            _leaks(f"{e.action} {e.target_id} {e.before} {e.after}") for e in unrestricted
        )

    from clearinghouse.cli import app
    from clearinghouse.settings import get_settings

    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        for fmt in ("json", "table"):
            result = CliRunner().invoke(
                app, ["audit", "list", "--limit", "100000", "--format", fmt], env={"COLUMNS": "250"}
            )
            assert result.exit_code == 0, result.output
            if fmt == "json":
                assert "designation_rule:" in result.output
            assert not _leaks(result.output)
    finally:
        get_settings.cache_clear()
