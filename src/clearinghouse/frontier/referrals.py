"""Referral of an incident to law enforcement, exported as a signed packet.

The packet is a zip holding ``referral.json`` (the incident and the referral), ``manifest.json``
(the SHA-256 of every other file), ``manifest.sig`` (the Ed25519 signature of ``manifest.json``,
base64) and ``signing-key.pem`` (the instance's public key, also published at
``/api/v1/frontier/signing-key``). A recipient checks the signature with the published key,
then every file's hash against the manifest: :func:`verify_packet` does both.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import __version__
from clearinghouse.formats.osv import format_timestamp
from clearinghouse.frontier.common import (
    Invalid,
    NotFound,
    audit,
    clean_text,
    organization_name,
    require_role,
)
from clearinghouse.frontier.incidents import clocks, get_incident, incident_snapshot
from clearinghouse.frontier.models import FrontierModel, Incident, ModelVersion, Referral
from clearinghouse.frontier.signing import (
    key_id,
    load_or_create_key,
    load_public_key,
    public_key_pem,
)
from clearinghouse.participants.models import Organization, Role
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow

PACKET_VERSION = "1"
_STATUTE = re.compile(
    r"^\s*(\d{1,2})\s*U\.?\s*S\.?\s*C\.?\s*(?:§+\s*)?(\d+[A-Za-z]?)((?:\([A-Za-z0-9]+\))*)\s*$",
    re.IGNORECASE,
)
STATUTES = {
    "18 U.S.C. 1030": "Fraud and related activity in connection with computers (CFAA)",
    "18 U.S.C. 1343": "Fraud by wire, radio, or television",
    "18 U.S.C. 1831": "Economic espionage",
    "18 U.S.C. 1832": "Theft of trade secrets",
    "18 U.S.C. 1029": "Fraud and related activity in connection with access devices",
    "18 U.S.C. 2511": "Interception and disclosure of wire, oral, or electronic communications",
    "18 U.S.C. 2701": "Unlawful access to stored communications",
    "18 U.S.C. 875": "Interstate communications (threats, extortion)",
    "18 U.S.C. 1349": "Attempt and conspiracy (fraud)",
    "18 U.S.C. 371": "Conspiracy to commit offense or to defraud the United States",
}
"""Statute tags offered by default, with their headings; any well-formed citation is accepted."""


class PacketError(ValueError):
    """A packet that does not verify: wrong signature, altered or missing file."""


def normalise_statute(text: str) -> str:
    """``18 USC § 1030(a)(2)`` -> ``18 U.S.C. 1030(a)(2)``."""
    match = _STATUTE.match(text)
    if match is None:
        raise Invalid(f"{text!r} is not a U.S. Code citation like '18 U.S.C. 1030'")
    title, section, subsections = match.groups()
    return f"{int(title)} U.S.C. {section}{subsections}"


def statute_heading(citation: str) -> str:
    base = re.sub(r"\(.*$", "", citation)
    return STATUTES.get(base, "")


def referral_snapshot(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "incident_id": referral.incident_id,
        "agency": referral.agency,
        "statutes": list(referral.statutes or []),
        "summary": referral.summary,
        "created_by": referral.created_by,
        "created_at": referral.created_at,
        "packet_sha256": referral.packet_sha256,
        "exported_at": referral.exported_at,
    }


def create_referral(
    session: Session,
    principal: Principal,
    incident_id: int,
    *,
    agency: str,
    statutes: list[str],
    summary: str = "",
) -> Referral:
    """Refer an incident (its reporter, or a coordinator analyst)."""
    incident = get_incident(session, principal, incident_id)
    require_role(principal, Role.analyst if principal.is_coordinator else Role.member)
    tags = []
    for statute in statutes:
        citation = normalise_statute(statute)
        if citation not in tags:
            tags.append(citation)
    if not tags:
        raise Invalid("a referral names at least one statute, e.g. '18 U.S.C. 1030'")
    referral = Referral(
        incident_id=incident.id,
        agency=clean_text(agency, "agency", required=True, limit=200),
        statutes=tags,
        summary=clean_text(summary, "summary"),
        created_by=principal.actor,
    )
    session.add(referral)
    session.flush()
    audit(
        session,
        principal,
        "frontier.referral.create",
        "frontier_referral",
        referral.id,
        after=referral_snapshot(referral),
        organization_id=incident.organization_id,
    )
    return referral


def get_referral(session: Session, principal: Principal, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("no such referral")
    get_incident(session, principal, referral.incident_id)
    return referral


def list_referrals(session: Session, principal: Principal, incident_id: int) -> list[Referral]:
    incident = get_incident(session, principal, incident_id)
    return list(
        session.scalars(
            select(Referral).where(Referral.incident_id == incident.id).order_by(Referral.id)
        )
    )


def _model_facts(session: Session, version_id: int | None) -> dict[str, Any] | None:
    if version_id is None:
        return None
    version = session.get(ModelVersion, version_id)
    if version is None:
        return None
    model = session.get(FrontierModel, version.model_id)
    return {
        "model": model.name if model else "",
        "version": version.number,
        "label": version.label,
        "developer": organization_name(session, model.organization_id if model else None),
    }


def _jsonable(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(type(value).__name__)


def _document(session: Session, referral: Referral, incident: Incident, at: datetime) -> bytes:
    reporter = session.get(Organization, incident.organization_id)
    facts = incident_snapshot(incident)
    facts["version"] = _model_facts(session, incident.version_id)
    document = {
        "packet_version": PACKET_VERSION,
        "generated_at": format_timestamp(at),
        "generator": {"name": "clearinghouse", "version": __version__},
        "referral": {
            "id": referral.id,
            "agency": referral.agency,
            "statutes": [{"citation": s, "heading": statute_heading(s)} for s in referral.statutes],
            "summary": referral.summary,
            "referred_by": referral.created_by,
            "referred_at": format_timestamp(referral.created_at),
        },
        "reporter": {
            "name": reporter.name if reporter else "",
            "kind": reporter.kind if reporter else "",
            "sector": reporter.sector if reporter else None,
        },
        "incident": facts,
        "reporting_clocks": clocks(incident, at),
    }
    return orjson.dumps(_jsonable(document), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def _zip(files: dict[str, bytes], at: datetime) -> bytes:
    stamp = at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def export_packet(
    session: Session, principal: Principal, referral_id: int, *, key_path: Path
) -> bytes:
    """Build and sign the referral packet (a zip); the manifest's hash is kept and audited."""
    referral = get_referral(session, principal, referral_id)
    incident = get_incident(session, principal, referral.incident_id)
    at = utcnow().replace(microsecond=0)
    key = load_or_create_key(key_path)
    document = _document(session, referral, incident, at)
    public_pem = public_key_pem(key)
    manifest = {
        "packet_version": PACKET_VERSION,
        "generated_at": format_timestamp(at),
        "algorithm": "sha256",
        "files": {
            "referral.json": hashlib.sha256(document).hexdigest(),
            "signing-key.pem": hashlib.sha256(public_pem).hexdigest(),
        },
        "signature": {"algorithm": "Ed25519", "key_id": key_id(key), "file": "manifest.sig"},
    }
    manifest_bytes = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    signature = base64.b64encode(key.sign(manifest_bytes)) + b"\n"
    packet = _zip(
        {
            "referral.json": document,
            "manifest.json": manifest_bytes,
            "manifest.sig": signature,
            "signing-key.pem": public_pem,
        },
        at,
    )
    referral.packet_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    referral.exported_at = at
    audit(
        session,
        principal,
        "frontier.referral.export",
        "frontier_referral",
        referral.id,
        after={"manifest_sha256": referral.packet_sha256, "key_id": key_id(key)},
        organization_id=incident.organization_id,
    )
    return packet


def verify_packet(packet: bytes, public_key: bytes | None = None) -> dict[str, Any]:
    """Check a packet: the signature over the manifest, then every file against it.

    ``public_key`` is the PEM published by the instance; without it the key inside the packet
    is used (which proves integrity, not origin). Returns the manifest.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(packet)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile:
        raise PacketError("not a zip archive") from None
    for required in ("manifest.json", "manifest.sig", "referral.json"):
        if required not in files:
            raise PacketError(f"{required} is missing")
    key = load_public_key(public_key or files.get("signing-key.pem", b""))
    try:
        signature = base64.b64decode(files["manifest.sig"].strip(), validate=True)
        key.verify(signature, files["manifest.json"])
    except (InvalidSignature, ValueError):
        raise PacketError("the signature does not match the manifest") from None
    manifest: dict[str, Any] = orjson.loads(files["manifest.json"])
    if manifest.get("signature", {}).get("key_id") != key_id(key):
        raise PacketError("the manifest names a different signing key")
    listed = manifest.get("files", {})
    for name, digest in listed.items():
        if name not in files:
            raise PacketError(f"{name} is listed in the manifest but missing")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise PacketError(f"{name} does not match its SHA-256 in the manifest")
    extra = set(files) - set(listed) - {"manifest.json", "manifest.sig"}
    if extra:
        raise PacketError(f"files not in the manifest: {', '.join(sorted(extra))}")
    return manifest
