"""SSVC with CISA's coordinator decision table: Exploitation, Automatable, Technical Impact
and Mission & Well-being -> Track, Track*, Attend or Act.

The table itself is read at run time from the vendored CERTCC/SSVC JSON
(``data/cisa_coordinator_2_0_3.json``); this module only derives each decision point's value
from what the clearinghouse knows, and says why:

* **Exploitation** — ``active`` when the CVE is in CISA's KEV catalog or a reporter states
  active exploitation; ``public poc`` when a reporter states or attaches a proof of concept;
  ``none`` otherwise.
* **Automatable** — ``yes`` when the best CVSS vector says network attack, low complexity,
  no privileges and no user interaction (v4.0: and no attack requirements).
* **Technical Impact** — ``total`` when that vector has high confidentiality *and* integrity
  impact (v4.0: on the vulnerable system), ``partial`` otherwise or without a vector.
* **Mission & Well-being** — from the exposed operators and systems: ``high`` when a
  safety-critical system is exposed, or a business-critical one of an operator in a lifeline
  sector; ``medium`` when any business-critical system, or any system of a
  critical-infrastructure operator, is exposed; ``low`` otherwise (nothing exposed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "LIFELINE_SECTORS",
    "SsvcDecision",
    "automatable",
    "decide",
    "exploitation",
    "mission_and_well_being",
    "technical_impact",
]

TABLE_FILE = "data/cisa_coordinator_2_0_3.json"
LIFELINE_SECTORS = frozenset(
    {
        "water",
        "energy",
        "healthcare",
        "communications",
        "transportation",
        "emergency-services",
        "nuclear",
        "dams",
        "chemical",
        "food-and-agriculture",
    }
)
"""Sectors whose outage harms the public directly (CISA's lifeline functions and the sectors
where an exploit can hurt people)."""

_POINTS = ("E", "A", "TI", "MWI")


@dataclass(frozen=True, slots=True)
class SsvcDecision:
    decision: str
    """``Track``, ``Track*``, ``Attend`` or ``Act``."""
    exploitation: str
    automatable: str
    technical_impact: str
    mission_and_well_being: str
    reasons: dict[str, str]

    @property
    def vector(self) -> str:
        return (
            f"E:{self.exploitation}/A:{self.automatable}/TI:{self.technical_impact}/"
            f"MWI:{self.mission_and_well_being}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "exploitation": self.exploitation,
            "automatable": self.automatable,
            "technical_impact": self.technical_impact,
            "mission_and_well_being": self.mission_and_well_being,
            "reasons": self.reasons,
            "table": "CISA Coordinator 2.0.3 (CERTCC/SSVC)",
        }


@cache
def _table() -> tuple[dict[tuple[str, str, str, str], str], dict[str, dict[str, str]]]:
    """(point value names -> outcome name) and, per point key, value name -> value key."""
    document = json.loads(
        resources.files("clearinghouse.findings").joinpath(TABLE_FILE).read_text()
    )
    points = document["decision_points"]
    by_key: dict[str, str] = {}
    names: dict[str, dict[str, str]] = {}
    for point_id, point in points.items():
        by_key[point["key"]] = point_id
        names[point["key"]] = {v["key"]: v["name"] for v in point["values"]}
    outcome_id = document["outcome"]
    outcome_key = points[outcome_id]["key"]
    table: dict[tuple[str, str, str, str], str] = {}
    for row in document["mapping"]:
        inputs = tuple(names[k][row[by_key[k]]].lower() for k in _POINTS)
        table[(inputs[0], inputs[1], inputs[2], inputs[3])] = names[outcome_key][row[outcome_id]]
    return table, names


def decide(
    exploitation_value: tuple[str, str],
    automatable_value: tuple[str, str],
    technical_impact_value: tuple[str, str],
    mission_value: tuple[str, str],
) -> SsvcDecision:
    """Look the four (value, reason) pairs up in CISA's coordinator table."""
    table, _ = _table()
    key = (exploitation_value[0], automatable_value[0], technical_impact_value[0], mission_value[0])
    return SsvcDecision(
        decision=table[key],
        exploitation=key[0],
        automatable=key[1],
        technical_impact=key[2],
        mission_and_well_being=key[3],
        reasons={
            "exploitation": exploitation_value[1],
            "automatable": automatable_value[1],
            "technical_impact": technical_impact_value[1],
            "mission_and_well_being": mission_value[1],
        },
    )


def exploitation(kev: bool, claim: str | None) -> tuple[str, str]:
    if kev:
        return "active", "in CISA's Known Exploited Vulnerabilities catalog"
    if claim == "active":
        return "active", "a reporter states active exploitation"
    if claim == "poc":
        return "public poc", "a reporter states or attached a proof of concept"
    return "none", "not in KEV, no proof of concept reported"


def _metrics(vector: str) -> dict[str, str]:
    return dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)


def automatable(vector: str | None) -> tuple[str, str]:
    if not vector or not vector.startswith("CVSS:"):
        return "no", "no CVSS v3/v4 vector to judge from"
    m = _metrics(vector)
    needed = {"AV": "N", "AC": "L", "PR": "N", "UI": "N"}
    if vector.startswith("CVSS:4.0/"):
        needed["AT"] = "N"
    if all(m.get(k) == v for k, v in needed.items()):
        return "yes", "network attack, low complexity, no privileges, no user interaction"
    return "no", "the CVSS vector needs access, privileges, complexity or user interaction"


def technical_impact(vector: str | None) -> tuple[str, str]:
    if not vector or not vector.startswith("CVSS:"):
        return "partial", "no CVSS v3/v4 vector: assumed partial"
    m = _metrics(vector)
    high = ("VC", "VI") if vector.startswith("CVSS:4.0/") else ("C", "I")
    if all(m.get(k) == "H" for k in high):
        return "total", "high confidentiality and integrity impact"
    return "partial", "confidentiality or integrity impact below high"


def mission_and_well_being(
    criticalities: Iterable[str], sectors: Iterable[str], operators: int
) -> tuple[str, str]:
    levels = set(criticalities)
    lifeline = sorted(set(sectors) & LIFELINE_SECTORS)
    if "safety-critical" in levels:
        return "high", "a safety-critical system is exposed"
    if "business-critical" in levels and lifeline:
        return "high", f"business-critical systems exposed in {', '.join(lifeline)}"
    if "business-critical" in levels:
        return "medium", "business-critical systems are exposed"
    if operators and set(sectors):
        return "medium", f"systems of critical-infrastructure operators are exposed ({operators})"
    if operators:
        return "low", "only systems of minor importance are exposed"
    return "low", "no participant's inventory is exposed"


def best_vector(vectors: Sequence[str]) -> str | None:
    """The vector SSVC reads: the highest-scoring v4.0, else v3.x."""
    from clearinghouse.formats.cvss import score_vector

    best: tuple[int, float, str] | None = None
    for vector in vectors:
        try:
            scored = score_vector(vector)
        except ValueError:
            continue
        if scored.version == "2.0":
            continue
        rank = (1 if scored.version == "4.0" else 0, scored.base_score, vector)
        if best is None or rank > best:
            best = rank
    return best[2] if best else None


__all__ += ["best_vector"]
