"""VEX statements: recorded by hand or imported (the real CycloneDX samples, OpenVEX), they set
the state of matching exposures now and of those opened later, the latest one winning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.audit import Actor
from clearinghouse.exposures import service
from clearinghouse.exposures.models import VexStatement, VexStatus
from clearinghouse.exposures.service import process_advisory_changes
from clearinghouse.exposures.vex import import_vex, read_vex_document, record_manual_statement
from clearinghouse.formats.errors import InputError
from clearinghouse.inventories.models import System
from clearinghouse.inventories.service import find_system
from clearinghouse.notifications.events import ExposureEvent
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.exposures._data import (
    JACKSON_XXE,
    audit_events,
    count,
    import_records,
    open_exposures,
    organization,
    push,
    shared_bytes,
)

DROPWIZARD = ("sbom", "cyclonedx", "dropwizard-1.3.15.cdx-1.2.json")
KEYCLOAK = ("sbom", "cyclonedx", "keycloak-10.0.2.cdx-1.2.json")
JACKSON = "pkg:maven/com.fasterxml.jackson.core/jackson-databind"


@pytest.fixture
def jackson(db: Database, tmp_path: Path) -> int:
    """An organization whose dropwizard system is exposed to CVE-2020-25649."""
    import_records(db, tmp_path / "kb", JACKSON_XXE)
    process_advisory_changes(db)
    org = organization(db)
    push(db, org, "dropwizard", shared_bytes(*DROPWIZARD), "bom.json")
    [exposure] = open_exposures(db)
    assert (exposure.purl, exposure.state, exposure.remediation) == (
        f"{JACKSON}@2.9.10?type=jar",
        "affected",
        "2.9.10.7",
    )
    return org


def _import(db: Database, org: int, data: bytes, name: str, system: str | None = None) -> Any:
    document = read_vex_document(data, name, 1 << 24)
    with db.session() as session:
        target: System | None = find_system(session, org, system) if system else None
        result = import_vex(session, Actor.cli(), org, document, filename=name, system=target)
        return result.format, len(result.statements), len(result.restated), result.warnings


def _sample(*parts: str) -> bytes:
    return shared_path("sbom", "cyclonedx-vex", *parts).read_bytes()


def test_product_statements_apply_to_the_system_named(db: Database, jackson: int) -> None:
    data = _sample("Use-Cases", "Case-1", "vex.json")
    with pytest.raises(InputError, match="names product 'acme-product' without a package URL"):
        _import(db, jackson, data, "vex.json")
    assert count(db, VexStatement) == 0

    assert _import(db, jackson, data, "vex.json", system="dropwizard")[:3] == (
        "CycloneDX 1.4 JSON",
        1,
        1,
    )
    [exposure] = open_exposures(db)
    assert exposure.state == "not_affected"
    assert exposure.justification == "vulnerable_code_not_in_execute_path"
    with db.session() as session:
        statement = session.get(VexStatement, exposure.vex_statement_id)
        assert statement is not None
        assert statement.vulnerability == "CVE-2020-25649"  # the alias of the GHSA advisory
        assert statement.original["justification"] == "code_not_reachable"
    assert len(audit_events(db, "vex.statement.create")) == 1
    [restated] = [e for e in audit_events(db, "exposure.update") if "restated" in (e.after or {})]
    assert restated.after["restated"][0]["to"] == "not_affected"


def test_product_version_ranges_are_matched_against_the_bom_subject(
    db: Database, jackson: int
) -> None:
    # affected in 1.5.0 up to 7.0.0, not affected outside; dropwizard-parent is 1.3.15
    _import(db, jackson, _sample("Use-Cases", "Case-5", "vex.json"), "vex.json", "dropwizard")
    [exposure] = open_exposures(db)
    assert exposure.state == "not_affected"
    # Case-4: not affected in 2.2.0 to 2.4.0 only; says nothing about 1.3.15
    _import(db, jackson, _sample("Use-Cases", "Case-4", "vex.json"), "vex.json", "dropwizard")
    assert open_exposures(db)[0].state == "not_affected"


def test_cisa_case_1_statuses_each_set_the_state(db: Database, jackson: int) -> None:
    # Case 1 is about log4shell; the same documents, about the advisory our system has
    for name, state in (
        ("vex-under_investigation.json", "under_investigation"),
        ("vex-affected.json", "affected"),
        ("vex-fixed.json", "fixed"),
        ("vex-not_affected.json", "not_affected"),
    ):
        record = json.loads(_sample("CISA-Use-Cases", "Case-1", name))
        record["vulnerabilities"][0]["id"] = "CVE-2020-25649"
        _import(db, jackson, json.dumps(record).encode(), name, "dropwizard")
        assert open_exposures(db)[0].state == state  # same document time: the latest recorded
    assert count(db, VexStatement) == 4


def test_bom_links_reach_the_component_of_the_bom_they_name(db: Database, jackson: int) -> None:
    serial = "b4f2954f-a96d-4578-9509-1ae2d6476209"  # dropwizard-1.3.15's serialNumber
    ref = f"{JACKSON}@2.9.10?type=jar"
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "vulnerabilities": [
            {
                "id": "GHSA-288c-cq4h-88gq",
                "analysis": {"state": "false_positive", "detail": "not loaded at runtime"},
                "affects": [{"ref": f"urn:cdx:{serial}/1#{ref}"}],
            }
        ],
    }
    _import(db, jackson, json.dumps(document).encode(), "link.json")
    [exposure] = open_exposures(db)
    assert (exposure.state, exposure.justification) == ("not_affected", None)

    # the real top-level example links a BOM nobody uploaded: kept, reported, applied to nothing
    warnings = _import(db, jackson, _sample("vex.json"), "vex.json")[3]
    assert warnings == [
        "vulnerabilities[0]: BOM urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79 is not the "
        "inventory in force of any of your systems; the statement applies once it is"
    ]
    assert open_exposures(db)[0].state == "not_affected"


def test_statements_apply_to_exposures_opened_later(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[ExposureEvent] = []
    monkeypatch.setattr(
        service, "publish_exposure_events", lambda session, events: published.extend(events) or 0
    )
    org = organization(db)
    openvex = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.org/vex/keycloak-1",
        "author": "Rural Hospital IT",
        "timestamp": "2024-05-01T10:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2020-25649"},
                "products": [{"@id": JACKSON}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            }
        ],
    }
    assert _import(db, org, json.dumps(openvex).encode(), "keycloak.openvex.json")[:3] == (
        "OpenVEX 0.2.0",
        1,
        0,
    )
    # the inventory first, then the advisory: the exposure opens already triaged, unannounced
    push(db, org, "keycloak", shared_bytes(*KEYCLOAK), "bom.json")
    import_records(db, tmp_path / "kb", JACKSON_XXE)
    process_advisory_changes(db)
    [exposure] = open_exposures(db)
    assert exposure.version == "2.10.1"
    assert exposure.state == "not_affected"
    assert published == []
    # and a re-upload keeps it
    push(db, org, "keycloak", shared_bytes(*KEYCLOAK), "bom.json")
    assert open_exposures(db)[0].state == "not_affected"


def test_the_latest_statement_wins_and_versions_narrow(db: Database, jackson: int) -> None:
    def state(status: VexStatus, purl: str, justification: str | None = None) -> str:
        with db.session() as session:
            record_manual_statement(
                session,
                Actor.cli(),
                jackson,
                vulnerability="GHSA-288c-cq4h-88gq",
                purl=purl,
                status=status,
                justification=justification,
            )
        return open_exposures(db)[0].state

    assert state(VexStatus.not_affected, JACKSON, "code_not_reachable") == "not_affected"
    assert state(VexStatus.under_investigation, f"{JACKSON}@2.9.10") == "under_investigation"
    # a statement about another version does not touch this exposure
    assert state(VexStatus.affected, f"{JACKSON}@2.9.9") == "under_investigation"
    with db.session() as session:
        with pytest.raises(InputError, match="needs a justification"):
            record_manual_statement(
                session,
                Actor.cli(),
                jackson,
                vulnerability="CVE-2020-25649",
                purl=JACKSON,
                status=VexStatus.not_affected,
            )
        with pytest.raises(InputError, match="no OSV ecosystem covers"):
            record_manual_statement(
                session,
                Actor.cli(),
                jackson,
                vulnerability="CVE-2020-25649",
                purl="pkg:generic/openssl@1.1.1",
                status=VexStatus.fixed,
            )


def test_another_organization_statements_never_apply(db: Database, jackson: int) -> None:
    other = organization(db, "Community Bank")
    with db.session() as session:
        record_manual_statement(
            session,
            Actor.cli(),
            other,
            vulnerability="CVE-2020-25649",
            purl=JACKSON,
            status=VexStatus.fixed,
        )
    assert open_exposures(db)[0].state == "affected"
