"""Automatic intake checks on each finding, and the triage workflow's allowed moves.

Checks never drop a finding: each result (``pass``, ``fail`` or ``skip`` with a detail) is
stored on the finding and shown to analysts.

* ``package_known`` — the package is in the knowledge base or in a participant's inventory;
* ``versions_parse`` — every stated version is valid in its ecosystem's own syntax (PEP 440,
  SemVer 2.0 for SemVer-ordered ecosystems and Go; other orderings accept any token);
* ``ranges_ordered`` — in each range, ``introduced`` comes before ``fixed``/``last_affected``;
* ``cvss_valid`` — every CVSS vector parses and scores (v2, v3.0, v3.1, v4.0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from clearinghouse.findings.models import TriageState
from clearinghouse.formats.cvss import score_vector
from clearinghouse.formats.native_finding import ReportedFinding

__all__ = ["TRANSITIONS", "intake_checks", "version_error"]

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_TOKEN = re.compile(r"^\S+$")

S = TriageState
TRANSITIONS: dict[TriageState, frozenset[TriageState]] = {
    S.new: frozenset({S.triaged, S.invalid, S.duplicate, S.known}),
    S.triaged: frozenset({S.validated, S.duplicate, S.invalid, S.known}),
    S.validated: frozenset({S.published, S.triaged}),
    S.duplicate: frozenset({S.triaged}),
    S.invalid: frozenset({S.triaged}),
    S.known: frozenset({S.triaged}),
    S.published: frozenset(),
}
"""Allowed moves. Terminal triage outcomes can be reopened (back to ``triaged``); published
is final (the OSV record is out)."""


def version_error(ecosystem: str, version: str) -> str | None:
    """Why ``version`` is not a valid version of ``ecosystem``; None when it is."""
    from clearinghouse.ecosystems import ecosystem_info

    if version == "0":
        return None
    info = ecosystem_info(ecosystem)
    if info is None:
        return f"unknown ecosystem {ecosystem!r}"
    if info.ordering == "pypi":
        from packaging.version import InvalidVersion, Version

        try:
            Version(version)
        except InvalidVersion:
            return f"{version!r} is not a PEP 440 version"
        return None
    if info.ordering in ("semver", "go"):
        return None if _SEMVER.match(version) else f"{version!r} is not a SemVer 2.0 version"
    return None if _TOKEN.match(version) else f"{version!r} is not a version"


def _check(name: str, status: str, detail: str = "") -> dict[str, Any]:
    return {"check": name, "status": status, "detail": detail}


def _versions_check(affected: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    problems: list[str] = []
    count = 0
    for entry in affected:
        ecosystem = str((entry.get("package") or {}).get("ecosystem", ""))
        versions = [v for v in entry.get("versions") or () if isinstance(v, str)]
        for rng in entry.get("ranges") or ():
            if rng.get("type") == "ECOSYSTEM":
                versions += [
                    v for e in rng.get("events") or () for v in e.values() if isinstance(v, str)
                ]
            elif rng.get("type") == "SEMVER":
                for e in rng.get("events") or ():
                    for v in e.values():
                        if isinstance(v, str) and v != "0" and not _SEMVER.match(v):
                            problems.append(f"{v!r} is not a SemVer 2.0 version")
        for version in versions:
            count += 1
            error = version_error(ecosystem, version)
            if error:
                problems.append(error)
    if not count:
        return _check("versions_parse", "skip", "no affected versions stated")
    if problems:
        return _check("versions_parse", "fail", "; ".join(dict.fromkeys(problems)))
    return _check("versions_parse", "pass", f"{count} versions valid")


def _ranges_check(affected: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    from clearinghouse.versions import UnknownEcosystemError, sort_key

    problems: list[str] = []
    ranges = 0
    for entry in affected:
        ecosystem = str((entry.get("package") or {}).get("ecosystem", ""))
        for rng in entry.get("ranges") or ():
            if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            ranges += 1
            ordering_eco = "npm" if rng.get("type") == "SEMVER" else ecosystem
            start: str | None = None
            for event in rng.get("events") or ():
                if "introduced" in event:
                    start = event["introduced"]
                    continue
                end = event.get("fixed") or event.get("last_affected")
                if start is None or end is None or start == "0":
                    continue
                try:
                    ordered = sort_key(ordering_eco, start) < sort_key(ordering_eco, end)
                    if "last_affected" in event:
                        ordered = ordered or sort_key(ordering_eco, start) == sort_key(
                            ordering_eco, end
                        )
                except UnknownEcosystemError:
                    continue
                if not ordered:
                    problems.append(f"introduced {start} is not before {end}")
    if not ranges:
        return _check("ranges_ordered", "skip", "no version ranges stated")
    if problems:
        return _check("ranges_ordered", "fail", "; ".join(problems))
    return _check("ranges_ordered", "pass", f"{ranges} ranges ordered")


def _cvss_check(vectors: Sequence[str]) -> dict[str, Any]:
    if not vectors:
        return _check("cvss_valid", "skip", "no CVSS vector stated")
    problems: list[str] = []
    scores: list[str] = []
    for vector in vectors:
        try:
            scored = score_vector(vector)
        except ValueError as exc:
            problems.append(str(exc))
        else:
            scores.append(f"CVSS {scored.version} {scored.base_score}")
    if problems:
        return _check("cvss_valid", "fail", "; ".join(problems))
    return _check("cvss_valid", "pass", ", ".join(scores))


def _package_check(finding: ReportedFinding, known: set[tuple[str, str]]) -> dict[str, Any]:
    from clearinghouse.ecosystems import base_ecosystem, name_key

    packages = [e["package"] for e in finding.affected if isinstance(e.get("package"), Mapping)]
    if not packages:
        return _check("package_known", "skip", "no package named")
    unknown = [
        f"{p['ecosystem']}/{p['name']}"
        for p in packages
        if (base_ecosystem(p["ecosystem"]), name_key(p["ecosystem"], p["name"])) not in known
    ]
    if unknown:
        return _check(
            "package_known",
            "fail",
            "not in the knowledge base or any inventory: " + ", ".join(unknown[:5]),
        )
    return _check("package_known", "pass", f"{len(packages)} packages known")


def intake_checks(
    finding: ReportedFinding, known_packages: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    return [
        _package_check(finding, known_packages),
        _versions_check(finding.affected),
        _ranges_check(finding.affected),
        _cvss_check(finding.cvss_vectors),
    ]
