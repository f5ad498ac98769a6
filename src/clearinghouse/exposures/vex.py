"""Recording VEX statements and applying them to exposures, now and in the future.

A statement names a vulnerability (an advisory id or any alias of it) and a target: a package
(optionally one version, or a set of versions), a whole system, or a CycloneDX BOM-Link (a BOM
by serial number, optionally one component of it). It applies to every exposure of the
organization whose advisory carries one of its identifiers and whose component is the target.
Among the statements that apply, the latest (by the time the statement was known true, then by
recording order) sets the exposure's state and justification; exposures opened later look the
statements up the same way, so a re-upload or a new advisory keeps them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from clearinghouse.advisories.matching import release_matches
from clearinghouse.advisories.models import Advisory, AdvisoryAlias
from clearinghouse.audit import Actor, record_event
from clearinghouse.ecosystems import base_ecosystem, name_key, package_from_purl
from clearinghouse.exposures.models import (
    Exposure,
    TargetKind,
    VexStatement,
    VexStatementIdentifier,
    VexStatus,
)
from clearinghouse.formats import openvex
from clearinghouse.formats._sbom import first_char
from clearinghouse.formats.cyclonedx_vex import (
    CDX_JUSTIFICATIONS,
    is_cyclonedx,
    parse_cyclonedx_vex,
    version_matches,
)
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.safety import check_size, loads_json
from clearinghouse.inventories.models import Inventory, InventoryComponent, System
from clearinghouse.store import utcnow

__all__ = [
    "ImportResult",
    "StatementIndex",
    "Verdict",
    "apply_statements",
    "import_vex",
    "read_vex_document",
    "record_statement",
]

_CHUNK = 500
_ORG_CHUNK = 5000


class Subject(Protocol):
    """What a statement is matched against: one (possible) exposure."""

    @property
    def organization_id(self) -> int: ...
    @property
    def system_id(self) -> int: ...
    @property
    def ecosystem(self) -> str: ...
    @property
    def name_key(self) -> str: ...
    @property
    def version(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str
    justification: str | None = None
    statement_id: int | None = None


UNTRIAGED = Verdict(VexStatus.affected.value)
"""A matched exposure no statement speaks about: the advisory's ranges say affected."""


@dataclass(frozen=True, slots=True)
class _SystemIdentity:
    serial: str | None
    subject_ref: str | None
    subject_version: str | None


class StatementIndex:
    """The statements of some organizations about some vulnerabilities, ready to match."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_identifier: dict[tuple[int, str], list[VexStatement]] = defaultdict(list)
        self._systems: dict[int, _SystemIdentity] = {}
        self._refs: dict[tuple[int, str], set[tuple[str, str, str | None]]] = {}

    def load(self, pairs: Iterable[tuple[int, Sequence[str]]]) -> None:
        """Load every statement of these (organization, vulnerability identifiers) pairs.

        One query per chunk of identifiers and organizations, however many organizations:
        an advisory reaching thousands of them costs a handful of queries."""
        wanted: dict[int, set[str]] = defaultdict(set)
        for organization_id, identifiers in pairs:
            wanted[organization_id].update(identifiers)
        if not wanted:
            return
        names = sorted(set().union(*wanted.values()))
        organizations = sorted(wanted)
        seen: set[tuple[int, int, str]] = set()
        for start in range(0, len(names), _CHUNK):
            for first in range(0, len(organizations), _ORG_CHUNK):
                rows = self.session.execute(
                    select(
                        VexStatement,
                        VexStatementIdentifier.organization_id,
                        VexStatementIdentifier.identifier,
                    )
                    .join(
                        VexStatementIdentifier,
                        VexStatementIdentifier.statement_id == VexStatement.id,
                    )
                    .where(
                        VexStatementIdentifier.identifier.in_(names[start : start + _CHUNK]),
                        VexStatementIdentifier.organization_id.in_(
                            organizations[first : first + _ORG_CHUNK]
                        ),
                    )
                ).all()
                for statement, organization_id, identifier in rows:
                    key = (statement.id, organization_id, identifier)
                    if identifier not in wanted[organization_id] or key in seen:
                        continue
                    seen.add(key)
                    self._by_identifier[(organization_id, identifier)].append(statement)

    def applicable(self, subject: Subject, identifiers: Sequence[str]) -> list[VexStatement]:
        """The loaded statements that apply to ``subject``, oldest first."""
        found: dict[int, VexStatement] = {}
        for identifier in identifiers:
            for statement in self._by_identifier.get((subject.organization_id, identifier), ()):
                if statement.id not in found and self.applies(statement, subject):
                    found[statement.id] = statement
        return sorted(found.values(), key=lambda s: (s.statement_time, s.id))

    def effective(self, subject: Subject, identifiers: Sequence[str]) -> Verdict:
        """The latest applicable statement's verdict, or :data:`UNTRIAGED`."""
        statements = self.applicable(subject, identifiers)
        if not statements:
            return UNTRIAGED
        best = statements[-1]
        return Verdict(best.status, best.justification, best.id)

    def applies(self, statement: VexStatement, subject: Subject) -> bool:
        if statement.system_id is not None and statement.system_id != subject.system_id:
            return False
        kind = TargetKind(statement.target_kind)
        if kind is TargetKind.package:
            return _package_applies(statement, subject)
        if kind is TargetKind.system:
            return self._system_version_applies(statement, subject.system_id)
        identity = self._identity(subject.system_id)
        if identity.serial is None or identity.serial != statement.bom_serial:
            return False
        if statement.package_key is not None:
            return _package_applies(statement, subject)
        if statement.bom_ref is None or statement.bom_ref == identity.subject_ref:
            return self._system_version_applies(statement, subject.system_id)
        held = self._components_with_ref(subject.system_id, statement.bom_ref)
        if (subject.ecosystem, subject.name_key, subject.version) not in held:
            return False
        return statement.versions is None or version_matches(
            statement.versions, subject.version, subject.ecosystem
        )

    def _system_version_applies(self, statement: VexStatement, system_id: int) -> bool:
        if statement.versions is None:
            return True
        version = self._identity(system_id).subject_version
        return version is not None and version_matches(statement.versions, version, None)

    def _identity(self, system_id: int) -> _SystemIdentity:
        identity = self._systems.get(system_id)
        if identity is None:
            row = self.session.execute(
                select(Inventory.bom_serial, Inventory.subject_ref, Inventory.subject_version)
                .join(System, System.id == Inventory.system_id)
                .where(System.id == system_id, Inventory.version == System.current_version)
            ).first()
            identity = _SystemIdentity(*row) if row else _SystemIdentity(None, None, None)
            self._systems[system_id] = identity
        return identity

    def _components_with_ref(self, system_id: int, ref: str) -> set[tuple[str, str, str | None]]:
        key = (system_id, ref)
        held = self._refs.get(key)
        if held is None:
            held = {
                (row.ecosystem, row.name_key, row.version)
                for row in self.session.execute(
                    select(
                        InventoryComponent.ecosystem,
                        InventoryComponent.name_key,
                        InventoryComponent.version,
                    ).where(
                        InventoryComponent.system_id == system_id,
                        InventoryComponent.current,
                        InventoryComponent.ref == ref,
                    )
                )
            }
            self._refs[key] = held
        return held


def _package_applies(statement: VexStatement, subject: Subject) -> bool:
    if statement.package_base is None or statement.package_key != subject.name_key:
        return False
    if base_ecosystem(subject.ecosystem) != statement.package_base:
        return False
    if statement.package_ecosystem and not release_matches(
        subject.ecosystem, statement.package_ecosystem
    ):
        return False
    if statement.package_version is not None and not version_matches(
        [statement.package_version], subject.version, subject.ecosystem
    ):
        return False
    return statement.versions is None or version_matches(
        statement.versions, subject.version, subject.ecosystem
    )


# -- recording --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    system_id: int | None = None
    purl: str | None = None
    bom_serial: str | None = None
    bom_ref: str | None = None
    versions: tuple[str, ...] | None = None


def statement_snapshot(statement: VexStatement) -> dict[str, Any]:
    return {
        "id": statement.id,
        "vulnerability": statement.vulnerability,
        "aliases": list(statement.aliases or []),
        "status": statement.status,
        "justification": statement.justification,
        "impact_statement": statement.impact_statement,
        "action_statement": statement.action_statement,
        "target": statement.target_kind,
        "system_id": statement.system_id,
        "purl": statement.purl,
        "bom_serial": statement.bom_serial,
        "bom_ref": statement.bom_ref,
        "versions": statement.versions,
        "source": statement.source,
        "document": statement.document,
        "original": statement.original,
        "statement_time": statement.statement_time,
    }


def record_statement(
    session: Session,
    actor: Actor,
    organization_id: int,
    *,
    vulnerability: str,
    status: VexStatus,
    target: Target,
    aliases: Sequence[str] = (),
    justification: str | None = None,
    impact_statement: str | None = None,
    action_statement: str | None = None,
    source: str = "api",
    document: str | None = None,
    original: dict[str, Any] | None = None,
    statement_time: datetime | None = None,
) -> VexStatement:
    """Store one statement (and its identifiers), audited; the caller applies it."""
    package = _package_fields(target.purl) if target.purl else {}
    now = utcnow()
    statement = VexStatement(
        organization_id=organization_id,
        vulnerability=vulnerability,
        aliases=list(aliases),
        status=status.value,
        justification=justification,
        impact_statement=impact_statement,
        action_statement=action_statement,
        target_kind=target.kind.value,
        system_id=target.system_id,
        purl=target.purl,
        bom_serial=target.bom_serial,
        bom_ref=target.bom_ref,
        versions=list(target.versions) if target.versions is not None else None,
        source=source,
        document=document,
        original=original or {},
        statement_time=statement_time or now,
        created_by=actor.name,
        created_at=now,
        **package,
    )
    session.add(statement)
    session.flush()
    identifiers = dict.fromkeys([vulnerability, *aliases])
    session.execute(
        insert(VexStatementIdentifier),
        [
            {"statement_id": statement.id, "identifier": i, "organization_id": organization_id}
            for i in identifiers
        ],
    )
    record_event(
        session,
        actor,
        "vex.statement.create",
        "vex_statement",
        statement.id,
        after=statement_snapshot(statement),
        organization_id=organization_id,
    )
    return statement


def _package_fields(purl: str) -> dict[str, Any]:
    package = package_from_purl(purl)
    if package is None:
        return {}
    return {
        "package_ecosystem": package.ecosystem,
        "package_base": base_ecosystem(package.ecosystem),
        "package_key": name_key(package.ecosystem, package.name),
        "package_version": package.version,
    }


def covers_an_ecosystem(purl: str) -> bool:
    return package_from_purl(purl) is not None


def normalise_justification(value: str | None) -> tuple[str | None, str | None]:
    """(CISA label, the label as given when it was CycloneDX's); InputError if neither."""
    if value is None:
        return None, None
    if value in openvex.JUSTIFICATIONS:
        return value, None
    if value in CDX_JUSTIFICATIONS:
        return CDX_JUSTIFICATIONS[value], value
    raise InputError(
        "justification",
        f"{value!r} is not a VEX justification; use one of "
        + ", ".join(openvex.JUSTIFICATIONS)
        + " (CycloneDX's "
        + ", ".join(CDX_JUSTIFICATIONS)
        + " are accepted and mapped)",
    )


def record_manual_statement(
    session: Session,
    actor: Actor,
    organization_id: int,
    *,
    vulnerability: str,
    purl: str,
    status: VexStatus,
    justification: str | None = None,
    impact_statement: str | None = None,
    action_statement: str | None = None,
    system_id: int | None = None,
) -> VexStatement:
    """An operator's statement about a package (one version when the purl has one), in every
    system of the organization or in one; applied at once. ``not_affected`` needs a
    justification (CISA's labels, or CycloneDX's, which are mapped and kept)."""
    from clearinghouse.exposures.service import lock_matching

    vulnerability = vulnerability.strip()
    if not vulnerability:
        raise InputError("vulnerability", "name the advisory (its id or any alias)")
    label, given = normalise_justification(justification)
    if status is VexStatus.not_affected and label is None:
        raise InputError("justification", "a not_affected statement needs a justification")
    if label is not None and status is not VexStatus.not_affected:
        raise InputError("justification", "only a not_affected statement takes a justification")
    openvex.check_purl("purl", purl, "purl")
    if not covers_an_ecosystem(purl):
        raise InputError(
            "purl",
            f"{purl!r} is of a package type no OSV ecosystem covers: no exposure could match it",
        )
    lock_matching(session, exclusive=True)
    statement = record_statement(
        session,
        actor,
        organization_id,
        vulnerability=vulnerability,
        status=status,
        target=Target(TargetKind.package, system_id=system_id, purl=purl),
        justification=label,
        impact_statement=impact_statement,
        action_statement=action_statement,
        original={"justification": given} if given else {},
    )
    apply_statements(session, actor, organization_id, [statement])
    return statement


# -- applying ---------------------------------------------------------------------------------


def advisories_named(session: Session, identifiers: Iterable[str]) -> dict[str, set[str]]:
    """Advisory id -> which of ``identifiers`` name it (its id, or one of its aliases)."""
    names = sorted(set(identifiers))
    found: dict[str, set[str]] = defaultdict(set)
    for start in range(0, len(names), _CHUNK):
        chunk = names[start : start + _CHUNK]
        for advisory_id in session.scalars(select(Advisory.id).where(Advisory.id.in_(chunk))):
            found[advisory_id].add(advisory_id)
        for advisory_id, alias in session.execute(
            select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias).where(
                AdvisoryAlias.alias.in_(chunk), AdvisoryAlias.kind == "alias"
            )
        ):
            found[advisory_id].add(alias)
    return found


def apply_statements(
    session: Session, actor: Actor, organization_id: int, statements: Sequence[VexStatement]
) -> list[dict[str, Any]]:
    """Re-evaluate the organization's live exposures these statements may speak about."""
    from clearinghouse.exposures.service import advisory_infos

    identifiers = {i for s in statements for i in (s.vulnerability, *(s.aliases or []))}
    advisory_ids = sorted(advisories_named(session, identifiers))
    if not advisory_ids:
        return []
    infos = advisory_infos(session, advisory_ids)
    rows: list[Any] = []
    for start in range(0, len(advisory_ids), _CHUNK):
        rows.extend(
            session.execute(
                select(
                    Exposure.id,
                    Exposure.organization_id,
                    Exposure.system_id,
                    Exposure.advisory_id,
                    Exposure.ecosystem,
                    Exposure.name_key,
                    Exposure.version,
                    Exposure.purl,
                    Exposure.state,
                    Exposure.justification,
                    Exposure.vex_statement_id,
                ).where(
                    Exposure.organization_id == organization_id,
                    Exposure.advisory_id.in_(advisory_ids[start : start + _CHUNK]),
                    Exposure.resolved_at.is_(None),
                )
            ).all()
        )
    index = StatementIndex(session)
    index.load((organization_id, infos[a].identifiers) for a in advisory_ids if a in infos)
    now = utcnow()
    updates = []
    changed = []
    for row in rows:
        verdict = index.effective(row, infos[row.advisory_id].identifiers)
        if (verdict.status, verdict.justification, verdict.statement_id) == (
            row.state,
            row.justification,
            row.vex_statement_id,
        ):
            continue
        updates.append(
            {
                "id": row.id,
                "state": verdict.status,
                "justification": verdict.justification,
                "vex_statement_id": verdict.statement_id,
                "updated_at": now,
            }
        )
        changed.append(
            {
                "id": row.id,
                "advisory": row.advisory_id,
                "system": row.system_id,
                "purl": row.purl,
                "from": row.state,
                "to": verdict.status,
                "statement": verdict.statement_id,
            }
        )
    if updates:
        session.execute(update(Exposure), updates)
        record_event(
            session,
            actor,
            "exposure.update",
            "vex_statement",
            ",".join(str(s.id) for s in statements[:20]),
            after={"cause": {"vex_statements": [s.id for s in statements]}, "restated": changed},
            organization_id=organization_id,
        )
    return changed


# -- importing documents ----------------------------------------------------------------------


def read_vex_document(data: bytes, source: str, max_bytes: int) -> openvex.VexDocument:
    """An OpenVEX 0.2.0 or CycloneDX (1.4-1.7 JSON) VEX document, told apart by content."""
    check_size(source, len(data), max_bytes)
    start = first_char(data)
    if not start:
        raise InputError(source, "is empty")
    if start == "<":
        raise InputError(source, "is XML: VEX is read as OpenVEX or CycloneDX JSON")
    document = loads_json(source, data)
    if openvex.is_openvex(document):
        return openvex.parse_openvex(data, source, max_bytes)
    if is_cyclonedx(document):
        return parse_cyclonedx_vex(data, source, max_bytes)
    raise InputError(
        source,
        "is neither OpenVEX (an @context of https://openvex.dev/ns/...) nor CycloneDX "
        "(bomFormat 'CycloneDX')",
        status=415,
    )


@dataclass
class ImportResult:
    format: str
    document: str | None
    statements: list[VexStatement]
    restated: list[dict[str, Any]]
    warnings: list[str]


def import_vex(
    session: Session,
    actor: Actor,
    organization_id: int,
    document: openvex.VexDocument,
    *,
    filename: str,
    system: System | None = None,
) -> ImportResult:
    """Record every statement of a parsed VEX document and apply them, in one transaction.

    ``system``: the system the document describes. Statements about a product without a
    package identity (a CycloneDX ``metadata.component``, an OpenVEX product known by hash)
    apply to it, and every other statement is limited to it; without it such statements are
    refused.
    """
    from clearinghouse.exposures.service import lock_matching

    lock_matching(session, exclusive=True)
    warnings = list(document.warnings)
    serials = _known_serials(session, organization_id)
    recorded: list[VexStatement] = []
    for parsed in document.statements:
        products = parsed.products or (openvex.VexProduct(),)
        for product in products:
            target = _target(filename, parsed, product, system)
            if target.purl is not None and not covers_an_ecosystem(target.purl):
                warnings.append(
                    f"{parsed.where}: {target.purl} is of a package type no OSV ecosystem "
                    "covers; no exposure can match it"
                )
            if target.bom_serial is not None and target.bom_serial not in serials:
                warnings.append(
                    f"{parsed.where}: BOM {target.bom_serial} is not the inventory in force of "
                    "any of your systems; the statement applies once it is"
                )
            recorded.append(
                record_statement(
                    session,
                    actor,
                    organization_id,
                    vulnerability=parsed.vulnerability,
                    aliases=parsed.aliases,
                    status=VexStatus(parsed.status.value),
                    target=target,
                    justification=parsed.justification,
                    impact_statement=parsed.impact_statement,
                    action_statement=parsed.action_statement,
                    source=document.format,
                    document=document.id or filename,
                    original={**parsed.original, "where": parsed.where},
                    statement_time=parsed.timestamp,
                )
            )
    restated = apply_statements(session, actor, organization_id, recorded)
    return ImportResult(
        document.format, document.id or filename, recorded, restated, list(dict.fromkeys(warnings))
    )


def _known_serials(session: Session, organization_id: int) -> set[str]:
    return {
        serial
        for serial in session.scalars(
            select(Inventory.bom_serial)
            .join(System, System.id == Inventory.system_id)
            .where(
                System.organization_id == organization_id,
                Inventory.version == System.current_version,
                Inventory.bom_serial.is_not(None),
            )
        )
        if serial
    }


def _target(
    source: str,
    statement: openvex.VexStatement,
    product: openvex.VexProduct,
    system: System | None,
) -> Target:
    system_id = system.id if system is not None else None
    if product.bom_serial is not None:
        return Target(
            TargetKind.bom_link,
            purl=product.purl,
            bom_serial=product.bom_serial,
            bom_ref=product.ref,
            versions=product.versions,
        )
    if product.purl is not None:
        return Target(
            TargetKind.package, system_id=system_id, purl=product.purl, versions=product.versions
        )
    if system is None:
        what = f"product {product.ref!r}" if product.ref else "no product"
        raise InputError(
            source,
            f"{statement.where} names {what} without a package URL: say which of your systems "
            "the document describes (system) to apply it to that system",
        )
    return Target(TargetKind.system, system_id=system_id, versions=product.versions)


def exposure_statements(session: Session, exposure: Exposure) -> list[VexStatement]:
    """The organization's statements about this exposure's advisory that apply to it."""
    from clearinghouse.exposures.service import advisory_infos

    info = advisory_infos(session, [exposure.advisory_id]).get(exposure.advisory_id)
    if info is None:
        return []
    index = StatementIndex(session)
    index.load([(exposure.organization_id, info.identifiers)])
    return index.applicable(exposure, info.identifiers)
