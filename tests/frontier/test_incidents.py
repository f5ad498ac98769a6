"""Incident reports with reporting clocks, and signed law-enforcement referral packets."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import stat
import zipfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.frontier.common import Invalid
from clearinghouse.frontier.referrals import PacketError, normalise_statute, verify_packet
from clearinghouse.settings import Settings
from clearinghouse.store import Database, utcnow
from tests.frontier.conftest import Program, register_version
from tests.service_fixtures import Caller

API = "/api/v1/frontier"


def _iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat().replace("+00:00", "Z")


def report(client: TestClient, caller: Caller, **overrides: Any) -> Any:
    body = {
        "kind": "model-weight-theft",
        "classification": "incident",
        "title": "Exfiltration of checkpoint shards",
        "description": "An insider copied checkpoint shards to a personal bucket.",
        "discovered_at": _iso(timedelta(hours=-10)),
        "occurred_at": _iso(timedelta(days=-2)),
        "severity": "critical",
        "harm_types": ["economic-property", "public-interest"],
        "alleged_deployer": "unknown",
        "harmed_parties": ["Frontier Lab"],
        "techniques": ["T1567.002", "AML.T0024"],
        "indicators": ["s3://exfil-bucket-7731"],
        "sectors": ["information-technology"],
    }
    return client.post(f"{API}/incidents", json=body | overrides, headers=caller.headers)


def test_the_initial_report_clock(client: TestClient, program: Program) -> None:
    filed = report(client, program.developer)
    assert filed.status_code == 201, filed.text
    incident = filed.json()
    [clock] = incident["clocks"]
    assert clock["name"] == "initial_report"
    assert clock["state"] == "met"
    discovered = incident["discovered_at"]
    due = incident["initial_report_due_at"]
    from datetime import datetime

    assert datetime.fromisoformat(due) - datetime.fromisoformat(discovered) == timedelta(hours=72)

    late = report(
        client,
        program.developer,
        submit=False,
        discovered_at=_iso(timedelta(hours=-80)),
        occurred_at=_iso(timedelta(days=-4)),
    )
    draft = late.json()
    assert draft["status"] == "draft"
    assert draft["clocks"][0]["state"] == "overdue"
    submitted = client.post(
        f"{API}/incidents/{draft['id']}/submit", headers=program.developer.headers
    )
    assert submitted.json()["clocks"][0]["state"] == "late"  # recorded, not refused
    updated = client.post(
        f"{API}/incidents/{draft['id']}/updates",
        json={"text": "credentials rotated"},
        headers=program.coordinator.headers,
    ).json()
    assert updated["status"] == "updated"
    assert updated["updates"][0]["text"] == "credentials rotated"


def test_the_clock_is_a_setting(db: Database, program: Program, settings: Settings) -> None:
    with TestClient(
        create_app(replace(settings, incident_initial_report_hours=24), db=db)
    ) as client:
        incident = report(client, program.operator, kind="ai-enabled-intrusion").json()
    from datetime import datetime

    due = datetime.fromisoformat(incident["initial_report_due_at"])
    assert due - datetime.fromisoformat(incident["discovered_at"]) == timedelta(hours=24)


def test_reports_are_seen_by_their_reporter_and_coordinators(
    client: TestClient, program: Program
) -> None:
    incident = report(client, program.operator, kind="ai-agent-misuse").json()
    for caller, code in (
        (program.operator, 200),
        (program.coordinator, 200),
        (program.developer, 404),
        (program.evaluator, 404),
    ):
        assert (
            client.get(f"{API}/incidents/{incident['id']}", headers=caller.headers).status_code
            == code
        )
    assert client.get(f"{API}/incidents", headers=program.developer.headers).json() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"techniques": ["exfiltration"]}, "ATT&CK"),
        ({"discovered_at": _iso(timedelta(days=3))}, "future"),
        ({"occurred_at": _iso(timedelta(hours=-1))}, "after discovered_at"),
        ({"discovered_at": "2026-01-01T00:00:00"}, "time zone"),
    ],
)
def test_bad_reports_are_refused(
    client: TestClient, program: Program, overrides: dict[str, Any], message: str
) -> None:
    response = report(client, program.developer, **overrides)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("text", "citation"),
    [
        ("18 U.S.C. 1030", "18 U.S.C. 1030"),
        ("18 USC 1343", "18 U.S.C. 1343"),
        ("18 U.S.C. § 1030(a)(2)", "18 U.S.C. 1030(a)(2)"),
        ("18 usc §§ 1832", "18 U.S.C. 1832"),
    ],
)
def test_statute_tags_are_normalised(text: str, citation: str) -> None:
    assert normalise_statute(text) == citation


def test_nonsense_statutes_are_refused() -> None:
    with pytest.raises(Invalid):
        normalise_statute("hacking law")


def _packet_files(packet: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(packet)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_referral_packet_is_signed_and_its_manifest_holds(
    client: TestClient, program: Program, settings: Settings
) -> None:
    _, version_id = register_version(client, program)
    incident = report(client, program.developer, version_id=version_id).json()
    referral = client.post(
        f"{API}/incidents/{incident['id']}/referrals",
        json={"agency": "FBI Cyber Division", "statutes": ["18 U.S.C. 1030", "18 USC 1832"]},
        headers=program.coordinator.headers,
    )
    assert referral.status_code == 201, referral.text
    assert referral.json()["statutes"] == ["18 U.S.C. 1030", "18 U.S.C. 1832"]
    assert not settings.signing_key_file.exists()
    response = client.get(
        f"{API}/referrals/{referral.json()['id']}/packet", headers=program.developer.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    packet = response.content

    # the key was generated into the data directory on first use, private to its owner
    assert settings.signing_key_file.exists()
    assert stat.S_IMODE(settings.signing_key_file.stat().st_mode) == 0o600
    published = client.get(f"{API}/signing-key")
    assert published.status_code == 200

    files = _packet_files(packet)
    assert set(files) == {"referral.json", "manifest.json", "manifest.sig", "signing-key.pem"}
    assert files["signing-key.pem"] == published.content
    public = load_pem_public_key(published.content)
    assert isinstance(public, Ed25519PublicKey)
    public.verify(base64.b64decode(files["manifest.sig"]), files["manifest.json"])  # raises if bad
    manifest = json.loads(files["manifest.json"])
    assert manifest["signature"]["key_id"] == published.headers["X-Key-Id"]
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    document = json.loads(files["referral.json"])
    assert [s["citation"] for s in document["referral"]["statutes"]] == [
        "18 U.S.C. 1030",
        "18 U.S.C. 1832",
    ]
    assert document["referral"]["statutes"][0]["heading"].startswith("Fraud and related activity")
    assert document["incident"]["kind"] == "model-weight-theft"
    assert document["incident"]["version"]["model"] == "Atlas"
    assert document["reporter"]["name"] == "Frontier Lab"
    assert verify_packet(packet, published.content)["files"] == manifest["files"]


def test_a_tampered_packet_does_not_verify(client: TestClient, program: Program) -> None:
    incident = report(client, program.developer).json()
    referral_id = client.post(
        f"{API}/incidents/{incident['id']}/referrals",
        json={"agency": "USSS", "statutes": ["18 U.S.C. 1343"]},
        headers=program.developer.headers,
    ).json()["id"]
    packet = client.get(
        f"{API}/referrals/{referral_id}/packet", headers=program.developer.headers
    ).content
    published = client.get(f"{API}/signing-key").content
    files = _packet_files(packet)

    def rezip(changed: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in (files | changed).items():
                archive.writestr(name, data)
        return buffer.getvalue()

    edited = files["referral.json"].replace(b"USSS", b"NONE")
    with pytest.raises(PacketError, match="does not match its SHA-256"):
        verify_packet(rezip({"referral.json": edited}), published)
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["referral.json"] = hashlib.sha256(edited).hexdigest()
    forged = json.dumps(manifest).encode()
    with pytest.raises(PacketError, match="signature"):
        verify_packet(rezip({"referral.json": edited, "manifest.json": forged}), published)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    impostor = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(PacketError, match="signature"):
        verify_packet(packet, impostor)


def test_the_key_is_reused_not_regenerated(tmp_path: Path) -> None:
    from clearinghouse.frontier.signing import key_id, load_or_create_key

    path = tmp_path / "keys" / "signing.pem"
    first = load_or_create_key(path)
    assert key_id(load_or_create_key(path)) == key_id(first)
