"""The triage queue: every factor of every open vulnerability, a score, and the rank.

Factors: CVSS v3.1/v4.0 base scores (the ``cvss`` package), KEV membership, EPSS (when a
FIRST CSV was imported), the SSVC decision from CISA's coordinator table, how many operators
and systems are exposed, and how many organizations reported it. The score is a weighted
sum (docs/triage.md); weights come from ``CLEARINGHOUSE_TRIAGE_WEIGHTS`` (JSON text or a
JSON file) over the defaults below. Ties go to the older vulnerability.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from clearinghouse.findings import ssvc
from clearinghouse.findings.epss import epss_for
from clearinghouse.findings.exposure import exposure_facts
from clearinghouse.findings.models import Finding, TriageState, Vulnerability
from clearinghouse.formats.cvss import score_vector
from clearinghouse.formats.osv import format_timestamp

__all__ = ["OPEN_STATES", "Weights", "load_weights", "triage_queue"]

OPEN_STATES = (TriageState.new, TriageState.triaged, TriageState.validated, TriageState.known)


@dataclass(frozen=True, slots=True)
class Weights:
    ssvc: dict[str, float] = field(
        default_factory=lambda: {"Act": 100.0, "Attend": 60.0, "Track*": 25.0, "Track": 0.0}
    )
    kev: float = 30.0
    epss: float = 20.0
    """Times the EPSS probability (0..1)."""
    cvss: float = 2.0
    """Times the best CVSS base score (0..10)."""
    operators: float = 6.0
    """Times log2(1 + exposed operators)."""
    systems: float = 2.0
    """Times log2(1 + exposed systems)."""
    reporters: float = 3.0
    """Times log2(1 + organizations that reported it): independent rediscovery."""


def load_weights(text: str) -> Weights:
    """Weights from JSON text or a JSON file path (empty: the defaults). Unknown keys are
    refused so that a typo does not silently keep a default."""
    if not text.strip():
        return Weights()
    raw = text if text.lstrip().startswith("{") else Path(text).expanduser().read_text()
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("triage weights must be a JSON object")
    known = {f.name for f in fields(Weights)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown triage weights: {', '.join(unknown)}")
    weights = Weights()
    if "ssvc" in data:
        merged = dict(weights.ssvc)
        merged.update({str(k): float(v) for k, v in data.pop("ssvc").items()})
        weights = replace(weights, ssvc=merged)
    numbers: dict[str, Any] = {str(k): float(v) for k, v in data.items()}
    return replace(weights, **numbers)


def _cvss(vectors: Sequence[str]) -> dict[str, Any]:
    best: dict[str, tuple[float, str]] = {}
    for vector in vectors:
        try:
            scored = score_vector(vector)
        except ValueError:
            continue
        key = (
            "v4.0"
            if scored.version == "4.0"
            else "v3.1"
            if scored.version.startswith("3")
            else "v2.0"
        )
        if key not in best or scored.base_score > best[key][0]:
            best[key] = (scored.base_score, scored.vector)
    out: dict[str, Any] = {k: {"score": s, "vector": v} for k, (s, v) in sorted(best.items())}
    out["best"] = max((s for s, _ in best.values()), default=None)
    return out


def _cves(vuln: Vulnerability, advisory_aliases: Mapping[str, list[str]]) -> set[str]:
    ids = set(vuln.aliases or [])
    if vuln.known_advisory_id:
        ids.add(vuln.known_advisory_id)
        ids.update(advisory_aliases.get(vuln.known_advisory_id, []))
    return {i for i in ids if i.startswith("CVE-")}


def _advisory_aliases(session: Session, advisory_ids: set[str]) -> dict[str, list[str]]:
    from clearinghouse.advisories.models import AdvisoryAlias

    aliases: dict[str, list[str]] = defaultdict(list)
    ids = sorted(advisory_ids)
    for start in range(0, len(ids), 500):
        for advisory_id, alias in session.execute(
            select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias).where(
                AdvisoryAlias.advisory_id.in_(ids[start : start + 500])
            )
        ):
            aliases[advisory_id].append(alias)
    return aliases


def _reporters(session: Session, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        counts.update(
            session.execute(
                select(Finding.vulnerability_id, func.count(distinct(Finding.organization_id)))
                .where(Finding.vulnerability_id.in_(ids[start : start + 500]))
                .group_by(Finding.vulnerability_id)
            ).all()
        )
    return counts


def factors_for(
    session: Session, vulnerabilities: Sequence[Vulnerability], weights: Weights
) -> list[dict[str, Any]]:
    """Every factor and the score of each vulnerability (unsorted)."""
    from clearinghouse.advisories.kev import kev_cves

    advisory_ids = {v.known_advisory_id for v in vulnerabilities if v.known_advisory_id}
    aliases = _advisory_aliases(session, advisory_ids)
    cves_of = {v.id: _cves(v, aliases) for v in vulnerabilities}
    all_cves = set().union(*cves_of.values()) if cves_of else set()
    in_kev = kev_cves(session, all_cves)
    epss = epss_for(session, all_cves)
    exposures = exposure_facts(
        session,
        (
            (v.id, v.published_advisory_id or v.known_advisory_id, v.affected or [])
            for v in vulnerabilities
        ),
    )
    reporters = _reporters(session, [v.id for v in vulnerabilities])
    out = []
    for vuln in vulnerabilities:
        cves = cves_of[vuln.id]
        kev = bool(cves & in_kev)
        scores = [epss[c] for c in cves if c in epss]
        best_epss = max(scores, default=None)
        cvss = _cvss(vuln.cvss_vectors or [])
        exposure = exposures[vuln.id]
        vector = ssvc.best_vector(vuln.cvss_vectors or [])
        decision = ssvc.decide(
            ssvc.exploitation(kev, vuln.exploitation),
            ssvc.automatable(vector),
            ssvc.technical_impact(vector),
            ssvc.mission_and_well_being(
                exposure.criticalities, exposure.sectors, len(exposure.operators)
            ),
        )
        parts = {
            "ssvc": weights.ssvc.get(decision.decision, 0.0),
            "kev": weights.kev if kev else 0.0,
            "epss": weights.epss * (best_epss[0] if best_epss else 0.0),
            "cvss": weights.cvss * (cvss["best"] or 0.0),
            "operators": weights.operators * math.log2(1 + len(exposure.operators)),
            "systems": weights.systems * math.log2(1 + len(exposure.systems)),
            "reporters": weights.reporters * math.log2(1 + reporters.get(vuln.id, 0)),
        }
        out.append(
            {
                "id": vuln.id,
                "title": vuln.title,
                "state": vuln.state,
                "tlp": vuln.tlp,
                "package": {"ecosystem": vuln.ecosystem, "name": vuln.package_name}
                if vuln.package_name
                else None,
                "aliases": list(vuln.aliases or []),
                "known_advisory_id": vuln.known_advisory_id,
                "findings": vuln.finding_count,
                "created_at": format_timestamp(vuln.created_at),
                "factors": {
                    "cvss": cvss,
                    "kev": kev,
                    "epss": {"score": best_epss[0], "percentile": best_epss[1]}
                    if best_epss
                    else None,
                    "ssvc": decision.as_dict(),
                    "exposure": exposure.as_dict(),
                    "reporters": reporters.get(vuln.id, 0),
                },
                "score": round(sum(parts.values()), 3),
                "score_parts": {k: round(v, 3) for k, v in parts.items()},
            }
        )
    return out


def triage_queue(
    session: Session,
    *,
    weights: Weights | None = None,
    states: Sequence[TriageState] = OPEN_STATES,
    order: str = "priority",
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Open vulnerabilities, most urgent first (``order="created"``: oldest first), each with
    its factors, score and priority rank."""
    weights = weights or Weights()
    vulnerabilities = list(
        session.scalars(
            select(Vulnerability)
            .where(Vulnerability.state.in_([s.value for s in states]))
            .order_by(Vulnerability.created_at, Vulnerability.id)
        )
    )
    rows = factors_for(session, vulnerabilities, weights)
    age = {v.id: i for i, v in enumerate(vulnerabilities)}
    rows.sort(key=lambda r: (-r["score"], age[r["id"]]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    if order == "created":
        rows.sort(key=lambda r: age[r["id"]])
    return {
        "total": len(rows),
        "weights": asdict(weights),
        "vulnerabilities": rows[offset : offset + limit],
    }
