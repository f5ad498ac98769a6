"""Incident reports: AI-enabled intrusions, model-weight theft or exfiltration, misuse of AI agents.

Fields follow the AI Incident Database (title, description, date, alleged deployer, alleged
developer, alleged harmed or nearly harmed parties) and the OECD's definitions: an *AI incident*
is an event where an AI system's development, use or malfunction led to harm; an *AI hazard* is
one that could plausibly have led to it. OECD harm types are kept as a list. The reporting clock
is a deadline: the initial report is due ``incident_initial_report_hours`` (default 72) after
discovery; meeting it late is recorded, never refused.

Who sees a report: the organization that filed it and the clearinghouse's coordinators.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.frontier.common import (
    Conflict,
    Invalid,
    NotFound,
    audit,
    clean_text,
    require_aware,
    require_role,
)
from clearinghouse.frontier.models import Incident
from clearinghouse.frontier.registry import get_version
from clearinghouse.participants.models import Role, Sector
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow


class IncidentKind(StrEnum):
    ai_enabled_intrusion = "ai-enabled-intrusion"
    model_weight_theft = "model-weight-theft"
    """Theft or exfiltration of model weights (or other model artefacts)."""
    ai_agent_misuse = "ai-agent-misuse"


class Classification(StrEnum):
    """OECD: harm occurred (incident) or could plausibly have occurred (hazard)."""

    incident = "incident"
    hazard = "hazard"


class HarmType(StrEnum):
    """OECD AI incident harm types."""

    physical = "physical"
    psychological = "psychological"
    reputational = "reputational"
    economic_property = "economic-property"
    environmental = "environmental"
    public_interest = "public-interest"
    human_rights = "human-rights"
    critical_infrastructure = "critical-infrastructure"
    """Disruption of the management or operation of critical infrastructure."""


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class IncidentStatus(StrEnum):
    draft = "draft"
    reported = "reported"
    """The initial report was submitted."""
    updated = "updated"
    closed = "closed"


_TECHNIQUE = re.compile(r"^(?:T\d{4}(?:\.\d{3})?|AML\.T\d{4}(?:\.\d{3})?)$")
MAX_ITEMS = 500


def incident_snapshot(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "organization_id": incident.organization_id,
        "kind": incident.kind,
        "classification": incident.classification,
        "title": incident.title,
        "description": incident.description,
        "status": incident.status,
        "severity": incident.severity,
        "occurred_at": incident.occurred_at,
        "discovered_at": incident.discovered_at,
        "initial_report_due_at": incident.initial_report_due_at,
        "reported_at": incident.reported_at,
        "closed_at": incident.closed_at,
        "harm_types": list(incident.harm_types or []),
        "alleged_deployer": incident.alleged_deployer,
        "alleged_developer": incident.alleged_developer,
        "harmed_parties": list(incident.harmed_parties or []),
        "ai_system": incident.ai_system,
        "version_id": incident.version_id,
        "sectors": list(incident.sectors or []),
        "techniques": list(incident.techniques or []),
        "indicators": list(incident.indicators or []),
        "updates": list(incident.updates or []),
    }


def clocks(incident: Incident, now: datetime | None = None) -> list[dict[str, Any]]:
    """Reporting deadlines with their state: met, late, open or overdue."""
    now = now or utcnow()
    due = incident.initial_report_due_at
    done = incident.reported_at
    if done is not None:
        state = "met" if done <= due else "late"
    else:
        state = "overdue" if now > due else "open"
    return [
        {
            "name": "initial_report",
            "due_at": due,
            "done_at": done,
            "state": state,
            "hours_left": None if done else round((due - now).total_seconds() / 3600, 1),
        }
    ]


def _list(values: list[str] | None, what: str, limit: int = 500) -> list[str]:
    values = [clean_text(v, what, limit=limit) for v in values or []]
    if len(values) > MAX_ITEMS:
        raise Invalid(f"at most {MAX_ITEMS} {what} entries")
    return [v for v in values if v]


def _techniques(values: list[str] | None) -> list[str]:
    out = []
    for value in values or []:
        value = value.strip()
        if not _TECHNIQUE.match(value):
            raise Invalid(
                f"technique {value!r} is not a MITRE ATT&CK (T1190, T1078.004) or ATLAS "
                "(AML.T0024) id"
            )
        out.append(value)
    return out


def file_incident(
    session: Session,
    principal: Principal,
    *,
    kind: IncidentKind,
    classification: Classification,
    title: str,
    description: str,
    discovered_at: datetime,
    report_hours: int,
    severity: Severity = Severity.medium,
    occurred_at: datetime | None = None,
    harm_types: list[HarmType] | None = None,
    alleged_deployer: str = "",
    alleged_developer: str = "",
    harmed_parties: list[str] | None = None,
    ai_system: str = "",
    version_id: int | None = None,
    sectors: list[Sector] | None = None,
    techniques: list[str] | None = None,
    indicators: list[str] | None = None,
    submit: bool = True,
) -> Incident:
    """File a report (submitted at once unless ``submit`` is False: then a draft)."""
    require_role(principal, Role.member)
    require_aware(discovered_at, "discovered_at")
    require_aware(occurred_at, "occurred_at")
    now = utcnow()
    if discovered_at > now + timedelta(minutes=5):
        raise Invalid("discovered_at is in the future")
    if occurred_at is not None and occurred_at > discovered_at:
        raise Invalid("occurred_at is after discovered_at")
    if version_id is not None:
        get_version(session, principal, version_id)
    incident = Incident(
        organization_id=principal.organization_id,
        kind=kind.value,
        classification=classification.value,
        title=clean_text(title, "title", required=True, limit=300),
        description=clean_text(description, "description", required=True),
        status=(IncidentStatus.reported if submit else IncidentStatus.draft).value,
        severity=severity.value,
        occurred_at=occurred_at,
        discovered_at=discovered_at,
        initial_report_due_at=discovered_at + timedelta(hours=report_hours),
        reported_at=now if submit else None,
        harm_types=[h.value for h in harm_types or []],
        alleged_deployer=clean_text(alleged_deployer, "alleged_deployer", limit=300),
        alleged_developer=clean_text(alleged_developer, "alleged_developer", limit=300),
        harmed_parties=_list(harmed_parties, "harmed party", 300),
        ai_system=clean_text(ai_system, "ai_system", limit=300),
        version_id=version_id,
        sectors=[s.value for s in sectors or []],
        techniques=_techniques(techniques),
        indicators=_list(indicators, "indicator", 2000),
        updates=[],
        created_by=principal.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    audit(
        session,
        principal,
        "frontier.incident.file",
        "frontier_incident",
        incident.id,
        after=incident_snapshot(incident),
    )
    return incident


def can_see(principal: Principal, incident: Incident) -> bool:
    return principal.is_coordinator or incident.organization_id == principal.organization_id


def get_incident(session: Session, principal: Principal, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or not can_see(principal, incident):
        raise NotFound("no such incident")
    return incident


def list_incidents(session: Session, principal: Principal) -> list[Incident]:
    query = select(Incident).order_by(Incident.id)
    if not principal.is_coordinator:
        query = query.where(Incident.organization_id == principal.organization_id)
    return list(session.scalars(query))


def _own(session: Session, principal: Principal, incident_id: int) -> Incident:
    incident = get_incident(session, principal, incident_id)
    if incident.organization_id != principal.organization_id:
        raise NotFound("no such incident")
    require_role(principal, Role.member)
    return incident


def submit_incident(session: Session, principal: Principal, incident_id: int) -> Incident:
    """Submit a draft as the initial report (the clock records whether it was on time)."""
    incident = _own(session, principal, incident_id)
    if incident.status != IncidentStatus.draft.value:
        raise Conflict(f"the report is already {incident.status}")
    before = incident_snapshot(incident)
    incident.status = IncidentStatus.reported.value
    incident.reported_at = incident.updated_at = utcnow()
    audit(
        session,
        principal,
        "frontier.incident.submit",
        "frontier_incident",
        incident.id,
        before=before,
        after=incident_snapshot(incident),
    )
    return incident


def add_update(session: Session, principal: Principal, incident_id: int, text: str) -> Incident:
    incident = get_incident(session, principal, incident_id)
    require_role(principal, Role.member)
    if incident.status == IncidentStatus.closed.value:
        raise Conflict("the report is closed")
    before = incident_snapshot(incident)
    now = utcnow()
    incident.updates = [
        *list(incident.updates or []),
        {
            "at": now.isoformat(),
            "by": principal.actor,
            "text": clean_text(text, "update", required=True),
        },
    ]
    if incident.status == IncidentStatus.reported.value:
        incident.status = IncidentStatus.updated.value
    incident.updated_at = now
    audit(
        session,
        principal,
        "frontier.incident.update",
        "frontier_incident",
        incident.id,
        before=before,
        after=incident_snapshot(incident),
        organization_id=incident.organization_id,
    )
    return incident


def close_incident(session: Session, principal: Principal, incident_id: int) -> Incident:
    incident = get_incident(session, principal, incident_id)
    require_role(principal, Role.member)
    if incident.status == IncidentStatus.closed.value:
        raise Conflict("the report is already closed")
    if incident.status == IncidentStatus.draft.value:
        raise Conflict("submit the draft before closing it")
    before = incident_snapshot(incident)
    incident.status = IncidentStatus.closed.value
    incident.closed_at = incident.updated_at = utcnow()
    audit(
        session,
        principal,
        "frontier.incident.close",
        "frontier_incident",
        incident.id,
        before=before,
        after=incident_snapshot(incident),
        organization_id=incident.organization_id,
    )
    return incident
