"""Analysts' moves on a vulnerability: transitions, merges, splits and publication.

Every function takes the caller's session and acts in its transaction, and every change is
written to the audit log in that same transaction. Only analysts of a coordinator
organization may triage (:func:`require_triager`); web pages and the API call these same
functions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from clearinghouse.advisories.sources import RawRecord
from clearinghouse.audit import Actor, record_event
from clearinghouse.findings.marking import refresh_markings, withheld_findings
from clearinghouse.findings.models import (
    Finding,
    FindingKey,
    Transition,
    TriageState,
    Vulnerability,
    VulnerabilityPackage,
)
from clearinghouse.findings.text import profile, with_member
from clearinghouse.findings.validation import TRANSITIONS
from clearinghouse.formats.tlp import Tlp, most_restrictive
from clearinghouse.participants.models import Role
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow

__all__ = [
    "NotAllowed",
    "NotVisible",
    "TriageError",
    "merge_into",
    "move",
    "osv_record",
    "remark",
    "require_triager",
    "split",
]


class TriageError(ValueError):
    """A move the workflow does not allow (wrong state, unknown target...)."""


class NotVisible(LookupError):
    """The vulnerability or finding does not exist or is not the caller's to see."""


class NotAllowed(PermissionError):
    """The caller sees it but its role may not change it (HTTP 403)."""


def require_triager(principal: Principal) -> None:
    if not (principal.is_coordinator and principal.role.allows(Role.analyst)):
        raise NotVisible("triage is for the clearinghouse's analysts")


def _snapshot(vuln: Vulnerability) -> dict[str, Any]:
    return {
        "state": vuln.state,
        "duplicate_of": vuln.duplicate_of,
        "known_advisory_id": vuln.known_advisory_id,
        "published_advisory_id": vuln.published_advisory_id,
        "finding_count": vuln.finding_count,
        "tlp": vuln.tlp,
    }


def _transition(
    session: Session,
    actor: Actor,
    vuln: Vulnerability,
    to_state: TriageState,
    evidence: str,
    details: dict[str, Any],
    at: datetime,
) -> None:
    session.add(
        Transition(
            vulnerability_id=vuln.id,
            from_state=vuln.state,
            to_state=to_state.value,
            actor=actor.name,
            organization_id=actor.organization_id,
            at=at,
            evidence=evidence,
            details=details,
        )
    )
    vuln.state = to_state.value
    vuln.updated_at = at


def merge_into(
    session: Session,
    actor: Actor,
    source_id: str,
    target_id: str,
    *,
    method: str,
    score: float,
    reason: str,
) -> None:
    """Move every finding, key and package of ``source_id`` to ``target_id``; the source
    becomes a ``duplicate`` pointing at the target (it can be split out again)."""
    source = session.get(Vulnerability, source_id)
    target = session.get(Vulnerability, target_id)
    if source is None or target is None:
        raise TriageError("both vulnerabilities must exist")
    if source.id == target.id:
        raise TriageError("a vulnerability cannot duplicate itself")
    if source.state == TriageState.published.value:
        raise TriageError(f"{source.id} is published; it cannot become a duplicate")
    before = _snapshot(source)
    now = utcnow()
    result: Any = session.execute(
        update(Finding)
        .where(Finding.vulnerability_id == source.id)
        .values(
            vulnerability_id=target.id,
            dedup_method=method,
            dedup_score=score,
            dedup_reason=f"merged from {source.id}: {reason}",
        )
    )
    moved = int(result.rowcount or 0)
    for model, column in ((FindingKey, "key"), (VulnerabilityPackage, "package_key")):
        keys = set(
            session.scalars(
                select(getattr(model, column)).where(model.vulnerability_id == source.id)
            )
        )
        have = set(
            session.scalars(
                select(getattr(model, column)).where(model.vulnerability_id == target.id)
            )
        )
        rows = [{column: k, "vulnerability_id": target.id} for k in sorted(keys - have)]
        if rows:
            session.execute(insert(model), rows)
        session.execute(delete(model).where(model.vulnerability_id == source.id))
    for attribute in ("aliases", "cwes", "cvss_vectors", "affected"):
        merged = list(getattr(target, attribute) or [])
        for value in getattr(source, attribute) or []:
            if value not in merged:
                merged.append(value)
        setattr(target, attribute, merged)
    target.terms = with_member(dict(target.terms or {}), dict(source.terms or {}))
    target.finding_count = (target.finding_count or 0) + (moved or 0)
    target.updated_at = now
    source.finding_count = 0
    source.duplicate_of = target.id
    refresh_markings(session, [target.id])
    _transition(
        session,
        actor,
        source,
        TriageState.duplicate,
        reason,
        {"duplicate_of": target.id, "method": method, "score": score, "findings": moved},
        now,
    )
    record_event(
        session,
        actor,
        "vulnerability.merge",
        "vulnerability",
        source.id,
        before=before,
        after={**_snapshot(source), "method": method, "score": score, "reason": reason},
        restricted=True,
    )


def _texts_of(findings: Sequence[Finding]) -> dict[str, Any]:
    """The text profile of a vulnerability made of ``findings``: the first one's text, the
    others' as member texts."""
    terms = profile(findings[0].title, findings[0].description)
    for finding in findings[1:]:
        terms = with_member(terms, profile(finding.title, finding.description))
    return terms


def _without_texts(
    session: Session, vulnerability_id: str, terms: dict[str, Any], gone: Sequence[Finding]
) -> dict[str, Any]:
    """``terms`` without the texts of the findings split away (a split-away bug must not
    keep attracting its restatements); the first remaining finding's text replaces the
    first text when that one left."""
    removed = [profile(f.title, f.description)["w"] for f in gone]
    members = [m for m in terms.get("m") or () if m.get("w") not in removed]
    if terms.get("w") not in removed:
        return {**terms, "m": members}
    remaining = session.scalars(
        select(Finding)
        .where(Finding.vulnerability_id == vulnerability_id)
        .where(Finding.id.not_in([f.id for f in gone]))
        .order_by(Finding.id)
        .limit(1)
    ).first()
    if remaining is None:
        return terms
    fresh = profile(remaining.title, remaining.description)
    for member in members:
        fresh = with_member(fresh, member)
    return fresh


def split(
    session: Session,
    principal: Principal,
    vulnerability_id: str,
    finding_ids: Sequence[int],
    reason: str,
) -> Vulnerability:
    """Take findings out of a vulnerability into a new one (state ``new``): undoes a merge."""
    from clearinghouse.findings.dedup import exact_keys, location_key, package_keys
    from clearinghouse.findings.intake import new_vulnerability_id
    from clearinghouse.formats.native_finding import ReportedFinding

    require_triager(principal)
    if not reason.strip():
        raise TriageError("a split needs a reason")
    vuln = session.get(Vulnerability, vulnerability_id)
    if vuln is None:
        raise NotVisible(vulnerability_id)
    findings = list(
        session.scalars(
            select(Finding).where(Finding.vulnerability_id == vuln.id, Finding.id.in_(finding_ids))
        )
    )
    if len(findings) != len(set(finding_ids)):
        raise TriageError("every finding to split must belong to this vulnerability")
    if len(findings) >= vuln.finding_count:
        raise TriageError("a split must leave at least one finding behind")
    first = findings[0]
    now = utcnow()
    fresh = Vulnerability(
        id=new_vulnerability_id(),
        title=first.title,
        description=first.description,
        state=TriageState.new.value,
        ecosystem=first.ecosystem,
        package_name=first.package_name,
        cwes=sorted({c for f in findings for c in f.cwes}),
        aliases=sorted({a for f in findings for a in f.aliases}),
        cvss_vectors=sorted({v for f in findings for v in f.cvss_vectors}),
        affected=[e for f in findings for e in f.affected][:50],
        exploitation=first.exploitation,
        location=first.location,
        terms=_texts_of(findings),
        finding_count=len(findings),
        created_at=now,
        updated_at=now,
    )
    session.add(fresh)
    session.flush()
    keys: set[str] = set()
    packages: set[str] = set()
    for f in findings:
        f.vulnerability_id = fresh.id
        f.dedup_method = "analyst"
        f.dedup_score = 1.0
        f.dedup_reason = f"split from {vuln.id} by {principal.actor}: {reason}"
        reported = ReportedFinding(
            index=f.batch_index,
            format=f.format,
            title=f.title,
            aliases=tuple(f.aliases),
            rule_id=f.rule_id,
            location=f.location,
            external_id=f.external_id,
        )
        keys.update(k for k in exact_keys(reported, f.organization_id) if not k.startswith("fp:"))
        for entry in f.affected:
            exact, stems = package_keys(entry["package"]["ecosystem"], entry["package"]["name"])
            packages.update({exact, *stems})
        file_key = location_key(reported, f.organization_id)
        if file_key and not f.affected:
            packages.add(file_key)
    if keys:
        session.execute(
            delete(FindingKey).where(
                FindingKey.vulnerability_id == vuln.id, FindingKey.key.in_(keys)
            )
        )
        session.execute(
            insert(FindingKey), [{"key": k, "vulnerability_id": fresh.id} for k in sorted(keys)]
        )
    if packages:
        session.execute(
            insert(VulnerabilityPackage),
            [{"package_key": k, "vulnerability_id": fresh.id} for k in sorted(packages)],
        )
    before = _snapshot(vuln)
    vuln.finding_count -= len(findings)
    vuln.terms = _without_texts(session, vuln.id, dict(vuln.terms or {}), findings)
    vuln.updated_at = now
    refresh_markings(session, [vuln.id, fresh.id])
    session.add(
        Transition(
            vulnerability_id=fresh.id,
            from_state=None,
            to_state=TriageState.new.value,
            actor=principal.actor,
            organization_id=principal.organization_id,
            at=now,
            evidence=reason,
            details={"split_from": vuln.id, "findings": sorted(f.id for f in findings)},
        )
    )
    record_event(
        session,
        principal.audit_actor,
        "vulnerability.split",
        "vulnerability",
        vuln.id,
        before=before,
        after={
            **_snapshot(vuln),
            "new_vulnerability": fresh.id,
            "findings": sorted(f.id for f in findings),
            "reason": reason,
        },
        restricted=True,
    )
    return fresh


@dataclass(frozen=True, slots=True)
class MoveResult:
    vulnerability: Vulnerability
    advisory_id: str | None = None


def move(
    session: Session,
    principal: Principal,
    vulnerability_id: str,
    to_state: TriageState,
    *,
    evidence: str,
    duplicate_of: str | None = None,
    advisory_id: str | None = None,
) -> MoveResult:
    """One triage move with its evidence; ``published`` publishes the OSV record."""
    require_triager(principal)
    vuln = session.get(Vulnerability, vulnerability_id, with_for_update=True)
    if vuln is None:
        raise NotVisible(vulnerability_id)
    current = TriageState(vuln.state)
    if to_state not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        raise TriageError(f"{vuln.id} is {current.value}: it can move to {allowed}")
    if not evidence.strip():
        raise TriageError("a triage move needs evidence (what was checked, by whom)")
    if to_state is TriageState.duplicate:
        if not duplicate_of:
            raise TriageError("duplicate needs duplicate_of: the vulnerability it repeats")
        target = session.get(Vulnerability, duplicate_of)
        if target is None:
            raise TriageError(f"no vulnerability {duplicate_of}")
        merge_into(
            session,
            principal.audit_actor,
            vuln.id,
            target.id,
            method="analyst",
            score=1.0,
            reason=evidence,
        )
        return MoveResult(vuln)
    details: dict[str, Any] = {}
    if to_state is TriageState.known:
        advisory_id = advisory_id or vuln.known_advisory_id
        if not advisory_id or not _advisory_exists(session, advisory_id):
            raise TriageError("known needs advisory_id: a knowledge-base advisory it restates")
        vuln.known_advisory_id = advisory_id
        details["known_advisory_id"] = advisory_id
    before = _snapshot(vuln)
    published: str | None = None
    if to_state is TriageState.published:
        published = publish(session, principal.audit_actor, vuln)
        details["advisory_id"] = published
    _transition(session, principal.audit_actor, vuln, to_state, evidence, details, utcnow())
    record_event(
        session,
        principal.audit_actor,
        f"vulnerability.{to_state.value}",
        "vulnerability",
        vuln.id,
        before=before,
        after={**_snapshot(vuln), "evidence": evidence},
        restricted=to_state is not TriageState.published,
    )
    return MoveResult(vuln, published)


def _require_clear(session: Session, vuln: Vulnerability) -> None:
    """Publishing serves the OSV record to anyone: only a CLEAR vulnerability may go."""
    withheld = withheld_findings(session, vuln.id)
    if not withheld:
        return
    marking = most_restrictive(tlp for _, tlp in withheld) or Tlp.red
    held = ", ".join(f"{finding_id} ({tlp})" for finding_id, tlp in withheld[:20])
    more = f" and {len(withheld) - 20} more" if len(withheld) > 20 else ""
    raise TriageError(
        f"{vuln.id} is TLP:{marking.value}: only a TLP:CLEAR vulnerability can be published "
        f"(its OSV record is public). Findings not CLEAR: {held}{more}; re-mark them "
        "(POST /api/v1/findings/{id}/tlp) once their submitters agree"
    )


@dataclass(frozen=True, slots=True)
class RemarkResult:
    finding: Finding
    before: str
    vulnerability_tlp: str
    changed: bool

    def as_dict(self) -> dict[str, Any]:
        """The re-marking as the API and the CLI report it."""
        return {
            "id": self.finding.id,
            "tlp": self.finding.tlp,
            "previous_tlp": self.before,
            "changed": self.changed,
            "vulnerability_id": self.finding.vulnerability_id,
            "vulnerability_tlp": self.vulnerability_tlp,
        }


def remark(
    session: Session, principal: Principal, finding_id: int, tlp: Tlp, *, evidence: str
) -> RemarkResult:
    """Change a finding's TLP marking (and so its vulnerability's), audited with before/after.

    Analysts of a coordinator organization may re-mark any finding (say with what agreement
    in ``evidence``); a submitter's members may lower or raise their own organization's
    findings. Anyone else gets :class:`NotVisible`; a read-only token of the submitter gets
    :class:`NotAllowed`.
    """
    from clearinghouse.findings.queries import get_finding, is_triager

    finding = get_finding(session, principal, finding_id)
    if not is_triager(principal) and not principal.role.allows(Role.member):
        raise NotAllowed("re-marking a finding needs the member role or higher")
    if not evidence.strip():
        raise TriageError("a re-marking needs evidence (who agreed to it, and when)")
    vuln = session.get(Vulnerability, finding.vulnerability_id, with_for_update=True)
    if vuln is None:
        raise NotVisible(finding.vulnerability_id)
    before, vulnerability_before = finding.tlp, vuln.tlp
    if before == tlp.value:
        return RemarkResult(finding, before, vuln.tlp, changed=False)
    finding.tlp = tlp.value
    session.flush()
    refresh_markings(session, [vuln.id])
    vuln.updated_at = utcnow()
    record_event(
        session,
        principal.audit_actor,
        "finding.tlp",
        "finding",
        finding.id,
        before={
            "tlp": before,
            "vulnerability_id": vuln.id,
            "vulnerability_tlp": vulnerability_before,
        },
        after={
            "tlp": finding.tlp,
            "vulnerability_id": vuln.id,
            "vulnerability_tlp": vuln.tlp,
            "evidence": evidence,
        },
        organization_id=finding.organization_id,
        restricted=True,
    )
    return RemarkResult(finding, before, vuln.tlp, changed=True)


def _advisory_exists(session: Session, advisory_id: str) -> bool:
    from clearinghouse.advisories.models import Advisory

    return session.get(Advisory, advisory_id) is not None


def osv_record(session: Session, vuln: Vulnerability, now: datetime) -> dict[str, Any]:
    """The OSV record a published vulnerability becomes (its id is the vulnerability id)."""
    from clearinghouse.formats.osv import format_timestamp

    aliases = sorted({a for a in vuln.aliases if a != vuln.id})
    severity = [
        {"type": "CVSS_V4" if v.startswith("CVSS:4.0/") else "CVSS_V3", "score": v}
        for v in vuln.cvss_vectors
        if v.startswith(("CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/"))
    ]
    references = sorted(
        {
            r
            for refs in session.scalars(
                select(Finding.raw).where(Finding.vulnerability_id == vuln.id).limit(50)
            )
            for r in _references(refs)
        }
    )
    record: dict[str, Any] = {
        "schema_version": "1.7.0",
        "id": vuln.id,
        "modified": format_timestamp(now),
        "published": format_timestamp(now),
        "summary": vuln.title[:500],
        "details": vuln.description or vuln.title,
        "affected": [_published_affected(e) for e in vuln.affected],
        "database_specific": {
            "source": "clearinghouse",
            "cwe_ids": list(vuln.cwes),
            "findings": vuln.finding_count,
        },
    }
    if aliases:
        record["aliases"] = aliases
    if severity:
        first_of_type = {s["type"]: s for s in reversed(severity)}
        record["severity"] = sorted(first_of_type.values(), key=lambda s: s["type"])
    if references:
        record["references"] = [{"type": "WEB", "url": url} for url in references[:50]]
    return record


def _references(raw: str) -> list[str]:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return []
    refs = parsed.get("references") if isinstance(parsed, dict) else None
    found: list[str] = []
    for ref in refs if isinstance(refs, list) else ():
        url = ref.get("url") if isinstance(ref, dict) else ref
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            found.append(url)
    return found


def _published_affected(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k in ("package", "ranges", "versions")}


def publish(session: Session, actor: Actor, vuln: Vulnerability) -> str:
    """Create the OSV record through the advisory importer (so exposures update), in the
    caller's transaction; returns the advisory id. Refused unless the vulnerability is
    TLP:CLEAR (every finding CLEAR)."""
    from clearinghouse.advisories.importer import AdvisoryImporter
    from clearinghouse.exposures.service import queue_advisory_changes
    from clearinghouse.store import Database

    _require_clear(session, vuln)
    now = utcnow()
    record = osv_record(session, vuln, now)
    # import_into works in the caller's session: the importer's own database is not used
    importer = AdvisoryImporter(cast(Database, None), listeners=[queue_advisory_changes])
    result = importer.import_into(session, _OneRecord(vuln.id, orjson.dumps(record)))
    if result.bad:
        raise TriageError(f"the OSV record for {vuln.id} is not valid: {result.bad[0].reason}")
    vuln.published_advisory_id = vuln.id
    record_event(
        session,
        actor,
        "advisory.publish",
        "advisory",
        vuln.id,
        after={"id": vuln.id, "aliases": record.get("aliases", [])},
    )
    return vuln.id


class _OneRecord:
    def __init__(self, advisory_id: str, data: bytes) -> None:
        self.label = "clearinghouse"
        self._id = advisory_id
        self._data = data

    def count(self) -> int | None:
        return 1

    def records(self) -> Iterator[RawRecord]:
        yield RawRecord(f"clearinghouse:{self._id}", self._data)
