"""CycloneDX VEX: written (1.6) from a scan report, and read (1.4-1.7 JSON) into VEX statements.

Writing: each advisory becomes one ``vulnerabilities[]`` entry whose ``affects`` lists every
component it matched. In CISA's VEX terms the scanner's verdict is "affected" — CycloneDX spells
that ``analysis.state = exploitable`` — with response ``update`` and the remediation target as
the recommendation when a fixed version is known. Reading: see below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import orjson

from clearinghouse.formats._sbom import first_char, kind
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.openvex import (
    VexDocument,
    VexProduct,
    VexStatement,
    VexStatus,
    check_purl,
    parse_vex_timestamp,
)
from clearinghouse.formats.safety import check_size, loads_json, parse_xml

__all__ = [
    "CDX_JUSTIFICATIONS",
    "CDX_STATES",
    "BomIdentity",
    "VersRange",
    "bom_identity",
    "is_cyclonedx",
    "parse_cyclonedx_vex",
    "parse_vers",
    "vers_contains",
    "version_matches",
    "vex_from_scan",
]

_METHODS = {"2.0": "CVSS_V2", "3.0": "CVSS_V3", "3.1": "CVSS_V3_1", "4.0": "CVSS_V4"}


def vex_from_scan(document: dict[str, Any]) -> dict[str, Any]:
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.impact_analysis import (
        ImpactAnalysisAffectedStatus,
        ImpactAnalysisResponse,
        ImpactAnalysisState,
    )
    from cyclonedx.model.tool import Tool, ToolRepository
    from cyclonedx.model.vulnerability import (
        BomTarget,
        BomTargetVersionRange,
        Vulnerability,
        VulnerabilityAnalysis,
        VulnerabilityRating,
        VulnerabilityReference,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    tools = ToolRepository(
        tools=[
            Tool(vendor="Clearinghouse", name="clearinghouse", version=document["tool"]["version"])
        ]
    )
    bom = Bom(
        metadata=BomMetaData(
            tools=tools, timestamp=datetime.fromisoformat(document["generated_at"])
        )
    )
    refs: dict[str, str] = {}
    affected: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    facts: dict[str, dict[str, Any]] = {}
    for component in document["components"]:
        if not component["vulnerabilities"]:
            continue
        ref = component.get("ref") or component["purl"]
        if ref not in refs:
            refs[ref] = ref
            bom.components.add(
                Component(
                    name=component["name"],
                    version=component.get("version"),
                    purl=PackageURL.from_string(component["purl"]),
                    bom_ref=ref,
                    type=ComponentType.LIBRARY,
                )
            )
        for vulnerability in component["vulnerabilities"]:
            facts.setdefault(vulnerability["id"], vulnerability)
            affected.setdefault(vulnerability["id"], []).append((ref, component))
    for advisory_id, targets in affected.items():
        vulnerability = facts[advisory_id]
        ratings = []
        for severity in vulnerability["severity"]:
            if severity.get("score") is None or not severity.get("vector"):
                continue
            version = (
                severity["vector"].split("/", 1)[0].removeprefix("CVSS:")
                if severity["vector"].startswith("CVSS:")
                else "2.0"
            )
            method = getattr(VulnerabilityScoreSource, _METHODS.get(version, "OTHER"))
            ratings.append(
                VulnerabilityRating(
                    score=Decimal(str(severity["score"])),
                    severity=VulnerabilitySeverity(severity["rating"].lower()),
                    method=method,
                    vector=severity["vector"],
                )
            )
        fixes = sorted({c["remediation"] for _, c in targets if c.get("remediation")})
        details = "; ".join(
            f"{c['name']} {c['version']} is within the affected ranges"
            + (
                f", upgrade to {c['remediation']}"
                if c.get("remediation")
                else ", no fixed version known"
            )
            for _, c in targets
        )
        bom.vulnerabilities.add(
            Vulnerability(
                bom_ref=advisory_id,
                id=advisory_id,
                source=VulnerabilitySource(name="OSV", url=vulnerability["url"]),
                description=vulnerability.get("summary"),
                ratings=ratings,
                references=[
                    VulnerabilityReference(
                        id=alias, source=VulnerabilitySource(name=_alias_source(alias))
                    )
                    for alias in vulnerability["aliases"]
                ],
                recommendation=("Upgrade to " + ", ".join(fixes)) if fixes else None,
                analysis=VulnerabilityAnalysis(
                    state=ImpactAnalysisState.EXPLOITABLE,
                    responses=[ImpactAnalysisResponse.UPDATE]
                    if fixes
                    else [ImpactAnalysisResponse.CAN_NOT_FIX],
                    detail=details,
                ),
                affects=[
                    BomTarget(
                        ref=ref,
                        versions=[
                            BomTargetVersionRange(
                                version=c["version"], status=ImpactAnalysisAffectedStatus.AFFECTED
                            )
                        ]
                        if c.get("version")
                        else None,
                    )
                    for ref, c in targets
                ],
            )
        )
    result: dict[str, Any] = orjson.loads(JsonV1Dot6(bom).output_as_string())
    return result


def _alias_source(alias: str) -> str:
    prefix = alias.split("-", 1)[0].upper()
    return {"CVE": "NVD", "GHSA": "GitHub"}.get(prefix, prefix or "OSV")


# -- reading CycloneDX VEX ----------------------------------------------------------------------
#
# A CycloneDX VEX is a BOM whose ``vulnerabilities[]`` carry an ``analysis``; each becomes one
# :class:`~clearinghouse.formats.openvex.VexStatement` in CISA's vocabulary. States map as
# exploitable -> affected, resolved / resolved_with_pedigree -> fixed, not_affected /
# false_positive -> not_affected, in_triage -> under_investigation; justifications map onto the
# five CISA labels (below). The CycloneDX words are kept in ``original``.

CDX_STATES: dict[str, str] = {
    "exploitable": "affected",
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "not_affected": "not_affected",
    "false_positive": "not_affected",
    "in_triage": "under_investigation",
}

CDX_JUSTIFICATIONS: dict[str, str] = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "component_not_present",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}
"""CycloneDX ``analysis.justification`` to the CISA label that says the same thing."""

CDX_RESPONSES = frozenset(
    {"can_not_fix", "will_not_fix", "update", "rollback", "workaround_available"}
)
_VEX_SPECS = re.compile(r"1\.([4-7])")
_BOM_LINK = re.compile(r"urn:cdx:([0-9a-fA-F-]{36})(?:/(\d+))?(?:#(.*))?", re.DOTALL)


def is_cyclonedx(document: Any) -> bool:
    return isinstance(document, dict) and document.get("bomFormat") == "CycloneDX"


def parse_cyclonedx_vex(data: bytes, source: str, max_bytes: int) -> VexDocument:
    """Read the VEX statements of a CycloneDX 1.4-1.7 JSON document."""
    check_size(source, len(data), max_bytes)
    if first_char(data) == "<":
        raise InputError(source, "CycloneDX VEX is read as JSON; this document is XML")
    doc = loads_json(source, data)
    if not is_cyclonedx(doc):
        raise InputError(source, "is not CycloneDX: bomFormat 'CycloneDX' is missing")
    spec = doc.get("specVersion")
    if not isinstance(spec, str) or not _VEX_SPECS.fullmatch(spec.strip()):
        raise InputError(
            source,
            f"specVersion {spec!r}: CycloneDX VEX is read from specification 1.4 to 1.7",
        )
    vulnerabilities = doc.get("vulnerabilities")
    if not isinstance(vulnerabilities, list) or not vulnerabilities:
        raise InputError(source, "has no vulnerabilities[]: there is no VEX statement in it")
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    issued = (
        parse_vex_timestamp(source, metadata["timestamp"], "metadata.timestamp")
        if metadata.get("timestamp") is not None
        else None
    )
    refs = _bom_refs(source, doc)
    statements: list[VexStatement] = []
    warnings: list[str] = []
    for index, raw in enumerate(vulnerabilities):
        where = f"vulnerabilities[{index}]"
        if not isinstance(raw, dict):
            raise InputError(source, f"{where} must be an object, found {kind(raw)}")
        if raw.get("analysis") is None:
            warnings.append(f"{where} ({raw.get('id')!r}) has no analysis: not a VEX statement")
            continue
        statements.append(_cdx_statement(source, raw, where, refs, issued))
    if not statements:
        raise InputError(source, "no vulnerability carries an analysis: nothing to import")
    serial = doc.get("serialNumber") if isinstance(doc.get("serialNumber"), str) else None
    return VexDocument(
        f"CycloneDX 1.{spec.strip()[2:]} JSON", serial, None, issued, statements, warnings
    )


def _bom_refs(source: str, doc: dict[str, Any]) -> dict[str, str | None]:
    """bom-ref -> purl (None: no purl) for every component; the subject maps to ''."""
    refs: dict[str, str | None] = {}
    pending: list[tuple[str, Any]] = [("components", doc.get("components"))]
    metadata = doc.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        subject = metadata["component"]
        if isinstance(subject.get("bom-ref"), str):
            refs[subject["bom-ref"]] = ""
        pending.append(("metadata.component.components", subject.get("components")))
    while pending:
        where, items = pending.pop()
        if items is None:
            continue
        if not isinstance(items, list):
            raise InputError(source, f"{where} must be an array, found {kind(items)}")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise InputError(source, f"{where}[{index}] must be an object, found {kind(item)}")
            ref = item.get("bom-ref")
            purl = item.get("purl") if isinstance(item.get("purl"), str) else None
            if isinstance(ref, str):
                refs.setdefault(ref, purl)
            if len(pending) < 256:
                pending.append((f"{where}[{index}].components", item.get("components")))
    return refs


def _cdx_text(source: str, raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(source, f"{where}.{key} must be a string, found {kind(value)}")
    return value.strip() or None


def _cdx_statement(
    source: str,
    raw: dict[str, Any],
    where: str,
    refs: dict[str, str | None],
    issued: datetime | None,
) -> VexStatement:
    vulnerability = _cdx_text(source, raw, "id", where)
    if vulnerability is None:
        raise InputError(source, f"{where}.id is required (the vulnerability id)")
    analysis = raw["analysis"]
    if not isinstance(analysis, dict):
        raise InputError(source, f"{where}.analysis must be an object, found {kind(analysis)}")
    state = analysis.get("state")
    if state not in CDX_STATES:
        raise InputError(
            source,
            f"{where}.analysis.state is {state!r}; it must be one of " + ", ".join(CDX_STATES),
        )
    cdx_justification = _cdx_text(source, analysis, "justification", f"{where}.analysis")
    if cdx_justification is not None and cdx_justification not in CDX_JUSTIFICATIONS:
        raise InputError(
            source,
            f"{where}.analysis.justification {cdx_justification!r} is not a CycloneDX "
            "justification; use one of " + ", ".join(CDX_JUSTIFICATIONS),
        )
    responses = analysis.get("response", [])
    if not isinstance(responses, list) or any(r not in CDX_RESPONSES for r in responses):
        raise InputError(
            source,
            f"{where}.analysis.response must be an array of " + ", ".join(sorted(CDX_RESPONSES)),
        )
    detail = _cdx_text(source, analysis, "detail", f"{where}.analysis")
    status = VexStatus(CDX_STATES[state])
    if status is VexStatus.not_affected and cdx_justification is None and detail is None:
        raise InputError(
            source,
            f"{where} is {state} but gives neither analysis.justification nor analysis.detail "
            "(VEX requires one for not_affected)",
        )
    action = _cdx_text(source, raw, "recommendation", where) or _cdx_text(
        source, raw, "workaround", where
    )
    if action is None and responses:
        action = "Response: " + ", ".join(r.replace("_", " ") for r in responses)
    affects = raw.get("affects", [])
    if not isinstance(affects, list):
        raise InputError(source, f"{where}.affects must be an array, found {kind(affects)}")
    products = tuple(
        _cdx_target(source, target, f"{where}.affects[{index}]", refs)
        for index, target in enumerate(affects)
    )
    original: dict[str, Any] = {"state": state, "response": list(responses)}
    if cdx_justification is not None:
        original["justification"] = cdx_justification
    if detail is not None:
        original["detail"] = detail
    return VexStatement(
        vulnerability=vulnerability,
        status=status,
        products=products,
        aliases=_cdx_aliases(raw, vulnerability),
        justification=CDX_JUSTIFICATIONS.get(cdx_justification or ""),
        impact_statement=detail,
        action_statement=action,
        timestamp=_cdx_time(source, raw, analysis, where) or issued,
        where=where,
        original=original,
    )


def _cdx_aliases(raw: dict[str, Any], vulnerability: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for reference in raw.get("references") or ():
        if isinstance(reference, dict) and isinstance(reference.get("id"), str):
            alias = reference["id"].strip()
            if alias and alias != vulnerability:
                found.setdefault(alias, None)
    return tuple(found)


def _cdx_time(
    source: str, raw: dict[str, Any], analysis: dict[str, Any], where: str
) -> datetime | None:
    for holder, key, label in (
        (analysis, "lastUpdated", f"{where}.analysis.lastUpdated"),
        (analysis, "firstIssued", f"{where}.analysis.firstIssued"),
        (raw, "updated", f"{where}.updated"),
        (raw, "published", f"{where}.published"),
    ):
        if holder.get(key) is not None:
            return parse_vex_timestamp(source, holder[key], label)
    return None


def _cdx_target(source: str, raw: Any, where: str, refs: dict[str, str | None]) -> VexProduct:
    if not isinstance(raw, dict):
        raise InputError(source, f"{where} must be an object, found {kind(raw)}")
    ref = raw.get("ref")
    if not isinstance(ref, str) or not ref.strip():
        raise InputError(source, f"{where}.ref is required (a bom-ref, BOM-Link or purl)")
    ref = ref.strip()
    versions = _cdx_versions(source, raw.get("versions"), f"{where}.versions")
    link = _BOM_LINK.fullmatch(ref)
    if link is not None:
        fragment = unquote(link.group(3) or "") or None
        purl = fragment if fragment and fragment.startswith("pkg:") else None
        if purl is not None:
            check_purl(source, purl, f"{where}.ref fragment")
        return VexProduct(
            purl=purl,
            bom_serial=f"urn:uuid:{link.group(1).lower()}",
            ref=fragment,
            versions=versions,
        )
    if ref.startswith("urn:cdx:"):
        raise InputError(
            source, f"{where}.ref {ref!r} is not a BOM-Link (urn:cdx:<serial>/<version>#<ref>)"
        )
    if ref.startswith("pkg:"):
        return VexProduct(purl=check_purl(source, ref, f"{where}.ref"), ref=ref, versions=versions)
    if ref not in refs:
        raise InputError(
            source,
            f"{where}.ref {ref!r} is not a package URL, a BOM-Link, or the bom-ref of a "
            "component in this document",
        )
    purl = refs[ref]
    if purl == "":
        return VexProduct(ref=ref, versions=versions)
    if purl is None:
        raise InputError(
            source,
            f"{where}.ref {ref!r} names a component without a package URL: nothing can be "
            "matched to it",
        )
    return VexProduct(
        purl=check_purl(source, purl, f"{where}.ref {ref!r} purl"), ref=ref, versions=versions
    )


def _cdx_versions(source: str, raw: Any, where: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise InputError(source, f"{where} must be an array, found {kind(raw)}")
    constraints: list[str] = []
    for index, item in enumerate(raw):
        here = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise InputError(source, f"{here} must be an object, found {kind(item)}")
        version, span = item.get("version"), item.get("range")
        if (version is None) == (span is None):
            raise InputError(source, f"{here} needs exactly one of version and range")
        if version is not None:
            if not isinstance(version, str) or not version.strip():
                raise InputError(source, f"{here}.version must be a non-empty string")
            constraints.append(version.strip())
            continue
        if not isinstance(span, str):
            raise InputError(source, f"{here}.range must be a vers string")
        try:
            parse_vers(span)
        except ValueError as exc:
            raise InputError(source, f"{here}.range {span!r}: {exc}") from None
        constraints.append(span.strip())
    return tuple(constraints) or None


# -- BOM identity, for BOM-Links ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BomIdentity:
    """What a CycloneDX BOM-Link can name: the BOM by serial number, and its subject."""

    serial: str | None
    version: int | None
    subject_ref: str | None
    subject_version: str | None


def bom_identity(data: bytes, source: str) -> BomIdentity:
    """Serial number, version and subject of a CycloneDX BOM (JSON or XML) already parsed once."""
    if first_char(data) == "<":
        return _xml_identity(source, data)
    doc = loads_json(source, data)
    if not isinstance(doc, dict):
        return BomIdentity(None, None, None, None)
    metadata = doc.get("metadata")
    subject = metadata.get("component") if isinstance(metadata, dict) else None
    if not isinstance(subject, dict):
        subject = {}
    version = doc.get("version")
    return BomIdentity(
        _serial(doc.get("serialNumber")),
        version if isinstance(version, int) and not isinstance(version, bool) else None,
        subject.get("bom-ref") if isinstance(subject.get("bom-ref"), str) else None,
        subject.get("version") if isinstance(subject.get("version"), str) else None,
    )


def _xml_identity(source: str, data: bytes) -> BomIdentity:
    root = parse_xml(source, data)
    namespace = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
    element = root.find(f"{namespace}metadata/{namespace}component")
    version_text = root.get("version")
    return BomIdentity(
        _serial(root.get("serialNumber")),
        int(version_text) if version_text and version_text.isdigit() else None,
        element.get("bom-ref") if element is not None else None,
        (element.findtext(f"{namespace}version") or None) if element is not None else None,
    )


def _serial(value: Any) -> str | None:
    if isinstance(value, str) and value.lower().startswith("urn:uuid:"):
        return value.lower()
    return None


# -- vers ranges (the version ranges of CycloneDX ``affects[].versions``) ---------------------

_COMPARATORS = ("<=", ">=", "!=", "<", ">", "=")


@dataclass(frozen=True, slots=True)
class VersRange:
    scheme: str
    constraints: tuple[tuple[str, str], ...]
    """(comparator, version) pairs; ``("*", "")`` matches every version."""


def parse_vers(text: str) -> VersRange:
    """Parse ``vers:<scheme>/<constraint>|<constraint>...``; ValueError says what is wrong."""
    body = "".join(text.split())
    if not body.lower().startswith("vers:"):
        raise ValueError("a vers range starts with 'vers:'")
    scheme, slash, rest = body[5:].partition("/")
    if not scheme or not slash:
        raise ValueError("a vers range is vers:<scheme>/<constraints>")
    if not rest:
        raise ValueError("the vers range has no constraints")
    if rest == "*":
        return VersRange(scheme.lower(), (("*", ""),))
    constraints: list[tuple[str, str]] = []
    for item in rest.split("|"):
        comparator = next((c for c in _COMPARATORS if item.startswith(c)), "=")
        version = unquote(item[len(comparator) :] if item.startswith(comparator) else item)
        if not version or version == "*":
            raise ValueError(f"constraint {item!r} has no version")
        constraints.append((comparator, version))
    return VersRange(scheme.lower(), tuple(constraints))


_NATURAL = re.compile(r"\d+|[^\W\d_]+")


def natural_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """A generic version order: numbers numerically, words alphabetically (before numbers)."""
    return tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part.lower())
        for part in _NATURAL.findall(version)
    )


def _key_function(scheme: str | None, ecosystem: str | None) -> Callable[[str], Any]:
    from clearinghouse.versions import UnknownEcosystemError, key_for_ordering, sort_key

    if scheme == "semver":
        return lambda v: key_for_ordering("semver", v)
    if ecosystem is not None:
        try:
            sort_key(ecosystem, "0")
        except UnknownEcosystemError:
            return natural_key
        return lambda v: sort_key(ecosystem, v)
    return natural_key


def vers_contains(span: VersRange, version: str, key: Callable[[str], Any]) -> bool:
    """Whether ``version`` is in ``span``, by the algorithm of the vers specification."""
    if span.constraints == (("*", ""),):
        return True
    tested = key(version)
    for comparator, bound in span.constraints:
        if comparator == "=" and key(bound) == tested:
            return True
        if comparator == "!=" and key(bound) == tested:
            return False
    ranges = sorted(
        (
            (key(bound), comparator)
            for comparator, bound in span.constraints
            if comparator not in ("=", "!=")
        ),
        key=lambda item: item[0],
    )
    if not ranges:
        return any(comparator == "!=" for comparator, _ in span.constraints)
    if len(ranges) == 1:
        return _compare(tested, ranges[0][1], ranges[0][0])
    for index in range(len(ranges) - 1):
        (low, low_op), (high, high_op) = ranges[index], ranges[index + 1]
        if index == 0 and low_op in ("<", "<=") and _compare(tested, low_op, low):
            return True
        if index == len(ranges) - 2 and high_op in (">", ">=") and _compare(tested, high_op, high):
            return True
        if (
            low_op in (">", ">=")
            and high_op in ("<", "<=")
            and _compare(tested, low_op, low)
            and _compare(tested, high_op, high)
        ):
            return True
    return False


def _compare(tested: Any, comparator: str, bound: Any) -> bool:
    if comparator == "<":
        return bool(tested < bound)
    if comparator == "<=":
        return bool(tested <= bound)
    if comparator == ">":
        return bool(tested > bound)
    return bool(tested >= bound)


def version_matches(constraints: Sequence[str], version: str, ecosystem: str | None) -> bool:
    """Whether ``version`` is one of ``constraints`` (exact versions or vers ranges)."""
    for constraint in constraints:
        if constraint.lower().startswith("vers:"):
            span = parse_vers(constraint)
            if vers_contains(span, version, _key_function(span.scheme, ecosystem)):
                return True
            continue
        if constraint == version:
            return True
        key = _key_function(None, ecosystem)
        if key(constraint) == key(version):
            return True
    return False
