"""VEX statements, and reading OpenVEX 0.2.0 documents into them. Pure core, no I/O.

The statement model here is the one CISA's "Minimum Requirements for VEX" defines and OpenVEX
spells directly: four statuses and five justification labels. The CycloneDX VEX reader
(:mod:`clearinghouse.formats.cyclonedx_vex`) maps CycloneDX's own vocabulary into it and keeps
the original words in :attr:`VexStatement.original`.

A statement names its products as package URLs, as CycloneDX BOM-Links (a BOM by serial number,
optionally one component in it), or as the document's own subject — a product with no package
identity, which only the importer can tie to a system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from clearinghouse.formats._sbom import kind
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.safety import check_size, loads_json

__all__ = [
    "CONTEXT",
    "JUSTIFICATIONS",
    "VexDocument",
    "VexProduct",
    "VexStatement",
    "VexStatus",
    "check_purl",
    "is_openvex",
    "parse_openvex",
    "parse_vex_timestamp",
]

CONTEXT = "https://openvex.dev/ns/v0.2.0"
"""The ``@context`` of an OpenVEX 0.2.0 document."""


class VexStatus(StrEnum):
    affected = "affected"
    fixed = "fixed"
    not_affected = "not_affected"
    under_investigation = "under_investigation"


JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
"""CISA's status justifications for ``not_affected`` (OpenVEX uses the same labels)."""


@dataclass(frozen=True, slots=True)
class VexProduct:
    """One thing a statement is about."""

    purl: str | None = None
    """A package URL: the package (a version in it narrows to that version)."""
    bom_serial: str | None = None
    """CycloneDX BOM-Link: the serial number (``urn:uuid:...``) of the BOM meant."""
    ref: str | None = None
    """The reference as written (bom-ref, BOM-Link, ``@id``)."""
    versions: tuple[str, ...] | None = None
    """Versions covered: exact versions or ``vers:`` ranges; None when not narrowed."""

    @property
    def is_subject(self) -> bool:
        """Names no package and no BOM: a product only the importer can tie to a system."""
        return self.purl is None and self.bom_serial is None


@dataclass(frozen=True, slots=True)
class VexStatement:
    vulnerability: str
    status: VexStatus
    products: tuple[VexProduct, ...]
    """Empty when the statement names no product at all."""
    aliases: tuple[str, ...] = ()
    justification: str | None = None
    """One of :data:`JUSTIFICATIONS`."""
    impact_statement: str | None = None
    action_statement: str | None = None
    timestamp: datetime | None = None
    where: str = ""
    """Where in the document (``statements[2]``), for messages."""
    original: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VexDocument:
    format: str
    """``OpenVEX 0.2.0`` or ``CycloneDX 1.4 JSON``."""
    id: str | None
    author: str | None
    timestamp: datetime | None
    statements: list[VexStatement]
    warnings: list[str] = field(default_factory=list)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_vex_timestamp(source: str, value: Any, where: str) -> datetime:
    """An RFC 3339 timestamp (nanoseconds allowed, as Go tools write them) in UTC."""
    if not isinstance(value, str):
        raise InputError(source, f"{where} must be an RFC 3339 timestamp, found {kind(value)}")
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(source, f"{where} {value!r} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def check_purl(source: str, value: str, where: str) -> str:
    """``value`` if it is a valid package URL; an InputError naming ``where`` otherwise."""
    from packageurl import PackageURL

    try:
        PackageURL.from_string(value)
    except ValueError as exc:
        raise InputError(source, f"{where} {value!r} is not a valid package URL: {exc}") from None
    return value


def is_openvex(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    context = document.get("@context")
    return isinstance(context, str) and context.startswith("https://openvex.dev/ns")


def parse_openvex(data: bytes, source: str, max_bytes: int) -> VexDocument:
    """Read an OpenVEX 0.2.0 document; every defect is an InputError naming where it is."""
    check_size(source, len(data), max_bytes)
    document = loads_json(source, data)
    if not isinstance(document, dict):
        raise InputError(source, f"an OpenVEX document is a JSON object, found {kind(document)}")
    context = document.get("@context")
    if context != CONTEXT:
        raise InputError(
            source,
            f"@context is {context!r}: only OpenVEX 0.2.0 ({CONTEXT!r}) is read",
        )
    for name, expected in (("@id", str), ("author", str), ("version", int)):
        value = document.get(name)
        if not isinstance(value, expected) or isinstance(value, bool) or value in ("", 0):
            raise InputError(
                source,
                f"{name} is required (a non-empty {'string' if expected is str else 'integer'})"
                f", found {kind(value)}",
            )
    if document["version"] < 1:
        raise InputError(source, "version must be 1 or more")
    issued = parse_vex_timestamp(source, document.get("timestamp"), "timestamp")
    statements = document.get("statements")
    if not isinstance(statements, list) or not statements:
        raise InputError(source, "statements must be a non-empty array")
    read = [
        _statement(source, raw, f"statements[{index}]", issued)
        for index, raw in enumerate(statements)
    ]
    return VexDocument("OpenVEX 0.2.0", document["@id"], document["author"], issued, read)


def _text(source: str, raw: dict[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(source, f"{where}.{name} must be a string, found {kind(value)}")
    return value.strip() or None


def _statement(source: str, raw: Any, where: str, issued: datetime) -> VexStatement:
    if not isinstance(raw, dict):
        raise InputError(source, f"{where} must be an object, found {kind(raw)}")
    name, aliases = _vulnerability(source, raw.get("vulnerability"), f"{where}.vulnerability")
    status_text = raw.get("status")
    try:
        status = VexStatus(str(status_text))
    except ValueError:
        raise InputError(
            source,
            f"{where}.status is {status_text!r}; it must be one of "
            + ", ".join(s.value for s in VexStatus),
        ) from None
    justification = _text(source, raw, "justification", where)
    if justification is not None and justification not in JUSTIFICATIONS:
        raise InputError(
            source,
            f"{where}.justification {justification!r} is not a VEX justification; use one of "
            + ", ".join(JUSTIFICATIONS),
        )
    impact = _text(source, raw, "impact_statement", where)
    action = _text(source, raw, "action_statement", where)
    if status is VexStatus.not_affected and justification is None and impact is None:
        raise InputError(
            source,
            f"{where} is not_affected but gives neither a justification nor an "
            "impact_statement (one is required)",
        )
    if justification is not None and status is not VexStatus.not_affected:
        raise InputError(
            source, f"{where} has a justification, which only a not_affected statement takes"
        )
    if status is VexStatus.affected and action is None:
        raise InputError(
            source, f"{where} is affected but has no action_statement (one is required)"
        )
    when = issued
    for stamp in ("timestamp", "last_updated"):
        if raw.get(stamp) is not None:
            when = parse_vex_timestamp(source, raw[stamp], f"{where}.{stamp}")
    products = raw.get("products", [])
    if not isinstance(products, list):
        raise InputError(source, f"{where}.products must be an array, found {kind(products)}")
    targets: list[VexProduct] = []
    for index, product in enumerate(products):
        targets.extend(_product(source, product, f"{where}.products[{index}]"))
    original = {
        key: raw[key]
        for key in ("status", "justification", "impact_statement", "action_statement", "@id")
        if key in raw
    }
    return VexStatement(
        vulnerability=name,
        status=status,
        products=tuple(targets),
        aliases=aliases,
        justification=justification,
        impact_statement=impact,
        action_statement=action,
        timestamp=when,
        where=where,
        original=original,
    )


def _vulnerability(source: str, raw: Any, where: str) -> tuple[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise InputError(source, f"{where} must be an object with a name, found {kind(raw)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(source, f"{where}.name is required (the vulnerability id)")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError(source, f"{where}.aliases must be an array of strings")
    name = name.strip()
    return name, tuple(dict.fromkeys(a.strip() for a in aliases if a.strip() and a != name))


def _component_purl(source: str, raw: Any, where: str) -> str | None:
    if not isinstance(raw, dict):
        raise InputError(source, f"{where} must be an object, found {kind(raw)}")
    identifiers = raw.get("identifiers", {})
    if not isinstance(identifiers, dict):
        raise InputError(source, f"{where}.identifiers must be an object")
    purl = identifiers.get("purl")
    if purl is not None:
        if not isinstance(purl, str):
            raise InputError(source, f"{where}.identifiers.purl must be a string")
        return check_purl(source, purl, f"{where}.identifiers.purl")
    identifier = raw.get("@id")
    if identifier is not None and not isinstance(identifier, str):
        raise InputError(source, f"{where}.@id must be a string (an IRI)")
    if isinstance(identifier, str) and identifier.startswith("pkg:"):
        return check_purl(source, identifier, f"{where}.@id")
    return None


def _product(source: str, raw: Any, where: str) -> list[VexProduct]:
    purl = _component_purl(source, raw, where)
    subcomponents = raw.get("subcomponents", [])
    if not isinstance(subcomponents, list):
        raise InputError(source, f"{where}.subcomponents must be an array")
    ref = raw.get("@id") if isinstance(raw.get("@id"), str) else purl
    if not subcomponents:
        return [VexProduct(purl=purl, ref=ref)]
    targets = []
    for index, sub in enumerate(subcomponents):
        sub_where = f"{where}.subcomponents[{index}]"
        sub_purl = _component_purl(source, sub, sub_where)
        if sub_purl is None:
            raise InputError(
                source,
                f"{sub_where} names no package URL (identifiers.purl or a pkg: @id), so no "
                "component can be matched to it",
            )
        targets.append(VexProduct(purl=sub_purl, ref=sub_purl))
    return targets
