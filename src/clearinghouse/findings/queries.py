"""Reading findings and vulnerabilities, scoped to who asks.

A submitter's organization sees its own findings (with their triage state), never another
organization's; the clearinghouse's analysts (coordinator organization, analyst role) see
everything, with the deduplication evidence. Anything else is :class:`NotVisible` (the API
answers 404, never 403, so existence is not disclosed).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse.findings.models import (
    Finding,
    FindingAttachment,
    Transition,
    Vulnerability,
)
from clearinghouse.findings.priority import Weights, factors_for
from clearinghouse.findings.workflow import NotVisible, require_triager
from clearinghouse.formats.osv import format_timestamp
from clearinghouse.participants.models import Role
from clearinghouse.participants.service import Principal

__all__ = [
    "finding_view",
    "get_attachment",
    "get_finding",
    "is_triager",
    "list_findings",
    "vulnerability_view",
]


def is_triager(principal: Principal) -> bool:
    return principal.is_coordinator and principal.role.allows(Role.analyst)


def get_finding(session: Session, principal: Principal, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None or not (
        is_triager(principal) or finding.organization_id == principal.organization_id
    ):
        raise NotVisible(f"finding {finding_id}")
    return finding


def finding_view(
    session: Session, finding: Finding, principal: Principal, *, raw: bool = False
) -> dict[str, Any]:
    vulnerability = session.get(Vulnerability, finding.vulnerability_id)
    view: dict[str, Any] = {
        "id": finding.id,
        "submission_id": finding.submission_id,
        "index": finding.batch_index,
        "format": finding.format,
        "tool": {"name": finding.tool_name, "version": finding.tool_version},
        "external_id": finding.external_id,
        "title": finding.title,
        "description": finding.description,
        "package": {
            "ecosystem": finding.ecosystem,
            "name": finding.package_name,
            "purl": finding.purl,
        }
        if finding.package_name
        else None,
        "affected": finding.affected,
        "cwes": finding.cwes,
        "cvss_vectors": finding.cvss_vectors,
        "aliases": finding.aliases,
        "rule_id": finding.rule_id,
        "location": finding.location,
        "ai": {"found_by_ai": finding.found_by_ai, "model": finding.ai_model},
        "exploitation": finding.exploitation,
        "proof_of_concept": {
            "sha256": finding.attachment_sha256,
            "filename": finding.attachment_name,
        }
        if finding.attachment_sha256
        else None,
        "checks": finding.checks,
        "vulnerability_id": finding.vulnerability_id,
        "state": vulnerability.state if vulnerability else None,
        "tlp": finding.tlp,
        "created_at": format_timestamp(finding.created_at),
    }
    if is_triager(principal):
        view["organization_id"] = finding.organization_id
        view["dedup"] = {
            "method": finding.dedup_method,
            "score": finding.dedup_score,
            "reason": finding.dedup_reason,
        }
    if raw:
        view["raw"] = orjson.loads(finding.raw)
    return view


def list_findings(
    session: Session,
    principal: Principal,
    *,
    vulnerability_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    query = select(Finding)
    counter = select(func.count()).select_from(Finding)
    if not is_triager(principal):
        query = query.where(Finding.organization_id == principal.organization_id)
        counter = counter.where(Finding.organization_id == principal.organization_id)
    if vulnerability_id:
        query = query.where(Finding.vulnerability_id == vulnerability_id)
        counter = counter.where(Finding.vulnerability_id == vulnerability_id)
    rows = session.scalars(query.order_by(Finding.id.desc()).limit(limit).offset(offset)).all()
    return {
        "total": session.scalar(counter) or 0,
        "findings": [finding_view(session, f, principal) for f in rows],
    }


def get_attachment(
    session: Session, principal: Principal, finding_id: int
) -> tuple[str, FindingAttachment]:
    finding = get_finding(session, principal, finding_id)
    if finding.attachment_sha256 is None:
        raise NotVisible(f"finding {finding_id} has no proof of concept")
    attachment = session.get(FindingAttachment, finding.attachment_sha256)
    if attachment is None:
        raise NotVisible(f"finding {finding_id} has no proof of concept")
    return finding.attachment_name or "poc", attachment


def vulnerability_view(
    session: Session, principal: Principal, vulnerability_id: str, weights: Weights
) -> dict[str, Any]:
    require_triager(principal)
    vuln = session.get(Vulnerability, vulnerability_id)
    if vuln is None:
        raise NotVisible(vulnerability_id)
    factors = factors_for(session, [vuln], weights)[0]
    findings = session.scalars(
        select(Finding).where(Finding.vulnerability_id == vuln.id).order_by(Finding.id)
    ).all()
    transitions = session.scalars(
        select(Transition).where(Transition.vulnerability_id == vuln.id).order_by(Transition.id)
    ).all()
    return {
        **factors,
        "description": vuln.description,
        "cwes": vuln.cwes,
        "affected": vuln.affected,
        "duplicate_of": vuln.duplicate_of,
        "published_advisory_id": vuln.published_advisory_id,
        "findings": [finding_view(session, f, principal) for f in findings],
        "history": [
            {
                "from": t.from_state,
                "to": t.to_state,
                "actor": t.actor,
                "at": format_timestamp(t.at),
                "evidence": t.evidence,
                "details": t.details,
            }
            for t in transitions
        ],
    }
