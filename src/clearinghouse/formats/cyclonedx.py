"""CycloneDX BOMs as inventories: specification 1.0 to 1.7, JSON and XML.

``metadata.component`` is the subject of the BOM: it names the inventory, and it and its own
nested parts are components only when it is a library (or framework) with its own package URL:
the parts of an application are the application, not its dependencies. Every entry of
``components``, nested ``components`` included, with a package URL becomes a component whose
``ref`` is its ``bom-ref``; entries without one are counted in the warnings, never guessed.
A document with vulnerabilities but no components is VEX, not an inventory, and is refused.

This is our own reader, not cyclonedx-python-lib: the library takes 1.4-1.5 s for the 1.9 MB
juice-shop BOM and rejects real BOMs for fields we do not read (a licence with neither id nor
name); reading only what an inventory needs takes about 30 ms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from clearinghouse.formats._sbom import (
    count,
    examples,
    first_char,
    head_text,
    invalid_purls_warning,
    kind,
    read_purl,
    shorten,
    uncovered_purls_warning,
    unique_components,
)
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import (
    Component,
    Inventory,
    InventoryFormat,
    ParseContext,
)
from clearinghouse.formats.safety import check_size, loads_json, parse_xml

__all__ = ["FORMATS", "NAMESPACE", "parse_cyclonedx"]

NAMESPACE = "http://cyclonedx.org/schema/bom/"
"""XML namespace prefix; the specification version follows it (``.../bom/1.4``)."""

LATEST_MINOR = 7
"""Newest CycloneDX 1.x this reader knows; newer 1.x documents are read with a warning."""

MAX_NESTING = 256
"""Deepest ``components`` nesting accepted; real BOMs stay far below."""

_SUBJECT_TYPES = frozenset({"library", "framework"})
_DEV_PROPERTY = "cdx:npm:package:development"
_SPEC_VERSION = re.compile(r"1\.(\d{1,3})")
_JSON_MARK = re.compile(
    r'"bomFormat"\s*:\s*"CycloneDX"|"\$schema"\s*:\s*"https?://cyclonedx\.org/schema/|"bom-ref"\s*:'
)
_XML_MARK = re.compile(r"""xmlns(?::[\w.-]+)?\s*=\s*["']http://cyclonedx\.org/schema/bom/""")


@dataclass(frozen=True, slots=True)
class _Entry:
    """One component entry as the document states it."""

    where: str
    type: str | None
    ref: str | None
    group: str | None
    name: str | None
    version: str | None
    purl: str | None
    dev: bool

    def label(self) -> str:
        return f"{self.where} (bom-ref {shorten(self.ref)!r})" if self.ref else self.where

    def title(self) -> str:
        name = self.name or "(unnamed)"
        if self.group:
            name = f"{self.group}/{name}"
        return f"{name} {self.version}" if self.version else name


@dataclass(frozen=True, slots=True)
class _Bom:
    spec: str
    encoding: str
    newer: bool
    subject: _Entry | None
    subject_parts: list[_Entry]
    entries: list[_Entry]
    vulnerabilities: int
    services: int


def parse_cyclonedx(data: bytes, context: ParseContext) -> Inventory:
    """Read a CycloneDX BOM (JSON or XML, decided by content) into an inventory."""
    source = context.source
    check_size(source, len(data), context.max_bytes)
    start = first_char(data)
    if start == "<":
        bom = _read_xml(source, data)
    elif start in ("{", "["):
        bom = _read_json(source, data)
    elif not start:
        raise InputError(source, "is empty")
    else:
        raise InputError(
            source, f"is not a CycloneDX BOM: expected JSON or XML, found {start!r} first"
        )
    return _inventory(source, bom)


def _inventory(source: str, bom: _Bom) -> Inventory:
    if not bom.entries and bom.vulnerabilities:
        raise InputError(
            source,
            f"is a CycloneDX VEX document ({_vulnerabilities(bom.vulnerabilities)}, no "
            "components): it states exploitability, not an inventory; import it as VEX",
        )
    skipped: list[_Entry] = []
    invalid: list[str] = []
    subject = bom.subject
    entries = bom.entries
    subject_read = subject is not None and bool(subject.purl) and subject.type in _SUBJECT_TYPES
    if subject_read:
        assert subject is not None
        entries = [subject, *bom.subject_parts, *entries]
    found: list[Component] = []
    for entry in entries:
        if not entry.purl:
            skipped.append(entry)
            continue
        read = read_purl(
            entry.purl, ref=entry.ref, dev=entry.dev, label=entry.label(), invalid=invalid
        )
        if read is not None:
            found.append(read)
    components = unique_components(found)
    warnings = _warnings(bom, components, skipped, subject_read)
    if invalid:
        warnings.insert(0, invalid_purls_warning(invalid, "component"))
    return Inventory(
        format=f"CycloneDX {bom.spec} {bom.encoding}",
        components=components,
        warnings=warnings,
        name=subject.title() if subject else None,
    )


def _warnings(
    bom: _Bom, components: list[Component], skipped: list[_Entry], subject_read: bool
) -> list[str]:
    warnings: list[str] = []
    if bom.newer:
        warnings.append(
            f"CycloneDX {bom.spec} is newer than 1.{LATEST_MINOR}, the latest this reader "
            f"knows; read by the 1.{LATEST_MINOR} rules"
        )
    if skipped:
        types = Counter(e.type or "no type" for e in skipped)
        by_type = ", ".join(f"{t}: {n}" for t, n in types.most_common())
        warnings.append(
            f"{count(len(skipped), 'component')} without a package URL (purl) skipped, as no "
            f"ecosystem can be derived without one ({by_type}): "
            f"{examples([e.title() for e in skipped])}"
        )
    if bom.subject_parts and not subject_read:
        warnings.append(
            f"{count(len(bom.subject_parts), 'component')} nested in metadata.component not "
            "read: they are parts of the subject itself, not its dependencies"
        )
    if not bom.entries:
        warnings.append("the BOM lists no components")
    if bom.vulnerabilities:
        warnings.append(
            f"the BOM also carries {_vulnerabilities(bom.vulnerabilities)} (embedded VEX); "
            "only its components were read"
        )
    if bom.services:
        warnings.append(
            f"{count(bom.services, 'service')} not read: services have no package URL and "
            "are not part of an inventory"
        )
    uncovered = uncovered_purls_warning(components, "component")
    if uncovered:
        warnings.append(uncovered)
    return warnings


def _vulnerabilities(n: int) -> str:
    return f"{n} vulnerabilit{'y' if n == 1 else 'ies'}"


def _spec_version(source: str, value: Any, field: str) -> tuple[str, bool]:
    if value is None:
        raise InputError(source, f"is not a CycloneDX BOM: {field} is missing")
    if not isinstance(value, str):
        raise InputError(source, f"{field} must be a string such as '1.6', found {kind(value)}")
    match = _SPEC_VERSION.fullmatch(value.strip())
    if match is None:
        raise InputError(
            source,
            f"{field} {shorten(value)!r} is not a CycloneDX version this reader knows "
            f"(1.0 to 1.{LATEST_MINOR})",
        )
    minor = int(match.group(1))
    return f"1.{minor}", minor > LATEST_MINOR


# JSON


def _read_json(source: str, data: bytes) -> _Bom:
    doc = loads_json(source, data)
    if not isinstance(doc, dict):
        raise InputError(
            source, f"is not a CycloneDX BOM: the JSON top level is {kind(doc)}, not an object"
        )
    if doc.get("bomFormat") != "CycloneDX":
        if "bomFormat" not in doc:
            found = "bomFormat is missing"
        else:
            found = f"bomFormat is {shorten(str(doc['bomFormat']))!r}, not 'CycloneDX'"
        hint = " (it looks like SPDX JSON)" if "spdxVersion" in doc else ""
        raise InputError(source, f"is not a CycloneDX BOM: {found}{hint}")
    spec, newer = _spec_version(source, doc.get("specVersion"), "specVersion")
    subject: _Entry | None = None
    subject_parts: list[_Entry] = []
    metadata = doc.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InputError(source, f"metadata must be an object, found {kind(metadata)}")
        raw_subject = metadata.get("component")
        if raw_subject is not None:
            subject = _json_entry(source, raw_subject, "metadata.component")
            subject_parts = list(
                _json_components(
                    source, raw_subject.get("components"), "metadata.component.components"
                )
            )
    return _Bom(
        spec=spec,
        encoding="JSON",
        newer=newer,
        subject=subject,
        subject_parts=subject_parts,
        entries=list(_json_components(source, doc.get("components"), "components")),
        vulnerabilities=_json_length(source, doc, "vulnerabilities"),
        services=_json_services(source, doc.get("services")),
    )


def _json_array(source: str, value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(source, f"{where} must be an array, found {kind(value)}")
    return value


def _json_length(source: str, doc: dict[str, Any], key: str) -> int:
    value = doc.get(key)
    return 0 if value is None else len(_json_array(source, value, key))


def _json_services(source: str, value: Any) -> int:
    """How many services (nested ones included) the BOM lists."""
    total = 0
    pending = [("services", value)]
    while pending:
        where, services = pending.pop()
        if services is None:
            continue
        for index, service in enumerate(_json_array(source, services, where)):
            total += 1
            if isinstance(service, dict) and len(pending) < MAX_NESTING:
                pending.append((f"{where}[{index}].services", service.get("services")))
    return total


def _json_components(source: str, value: Any, path: str) -> Iterator[_Entry]:
    """Every component under ``value``, nested ones included, in document order."""
    if value is None:
        return
    stack = [(path, enumerate(_json_array(source, value, path)))]
    while stack:
        parent, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        index, raw = item
        where = f"{parent}[{index}]"
        yield _json_entry(source, raw, where)
        children = raw.get("components")
        if children is not None:
            if len(stack) >= MAX_NESTING:
                raise InputError(
                    source, f"{where}: components are nested more than {MAX_NESTING} levels deep"
                )
            inner = f"{where}.components"
            stack.append((inner, enumerate(_json_array(source, children, inner))))


def _json_entry(source: str, raw: Any, where: str) -> _Entry:
    if not isinstance(raw, dict):
        raise InputError(source, f"{where} must be an object, found {kind(raw)}")
    ref = _json_string(source, raw, "bom-ref", where)
    label = f"{where} (bom-ref {shorten(ref)!r})" if ref else where
    scope = _json_string(source, raw, "scope", label)
    return _Entry(
        where=where,
        type=_json_string(source, raw, "type", label),
        ref=ref,
        group=_json_string(source, raw, "group", label),
        name=_json_string(source, raw, "name", label),
        version=_json_string(source, raw, "version", label),
        purl=_json_string(source, raw, "purl", label),
        dev=scope == "excluded" or _json_dev_property(source, raw.get("properties"), label),
    )


def _json_string(source: str, raw: dict[str, Any], key: str, label: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(source, f"{label}: {key} must be a string, found {kind(value)}")
    return value.strip() or None


def _json_dev_property(source: str, value: Any, label: str) -> bool:
    if value is None:
        return False
    for index, prop in enumerate(_json_array(source, value, f"{label}: properties")):
        if not isinstance(prop, dict):
            raise InputError(
                source, f"{label}: properties[{index}] must be an object, found {kind(prop)}"
            )
        if prop.get("name") == _DEV_PROPERTY:
            return prop.get("value") == "true"
    return False


# XML


def _read_xml(source: str, data: bytes) -> _Bom:
    root = parse_xml(source, data)
    ns, local = _split_tag(root.tag)
    if local != "bom" or not ns.startswith(NAMESPACE):
        if local == "bom":
            where = f"namespace {ns!r}" if ns else "no namespace"
            found = f"<bom> in {where}"
        else:
            found = f"<{shorten(local, 40)}>"
        raise InputError(
            source,
            f"is not a CycloneDX BOM: the XML root element is {found}, expected <bom> in "
            f"namespace {NAMESPACE}1.x",
        )
    spec, newer = _spec_version(source, ns[len(NAMESPACE) :], "the XML namespace version")

    def q(name: str) -> str:
        return f"{{{ns}}}{name}"

    subject: _Entry | None = None
    subject_parts: list[_Entry] = []
    subject_el = root.find(f"{q('metadata')}/{q('component')}")
    if subject_el is not None:
        where = "/bom/metadata/component"
        subject = _xml_entry(subject_el, ns, where)
        subject_parts = list(_xml_components(source, subject_el, ns, where))
    return _Bom(
        spec=spec,
        encoding="XML",
        newer=newer,
        subject=subject,
        subject_parts=subject_parts,
        entries=list(_xml_components(source, root, ns, "/bom")),
        vulnerabilities=len(root.findall(f"{q('vulnerabilities')}/{q('vulnerability')}")),
        services=sum(1 for _ in root.iter(q("service"))),
    )


def _split_tag(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _xml_children(parent: Element, ns: str) -> list[Element]:
    return parent.findall(f"{{{ns}}}components/{{{ns}}}component")


def _xml_components(source: str, parent: Element, ns: str, path: str) -> Iterator[_Entry]:
    """Every component below ``parent``, nested ones included, in document order."""
    stack = [(path, enumerate(_xml_children(parent, ns), 1))]
    while stack:
        outer, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        position, element = item
        where = f"{outer}/components/component[{position}]"
        yield _xml_entry(element, ns, where)
        children = _xml_children(element, ns)
        if children:
            if len(stack) >= MAX_NESTING:
                raise InputError(
                    source, f"{where}: components are nested more than {MAX_NESTING} levels deep"
                )
            stack.append((where, enumerate(children, 1)))


def _xml_entry(element: Element, ns: str, where: str) -> _Entry:
    def text(name: str) -> str | None:
        child = element.find(f"{{{ns}}}{name}")
        if child is None or child.text is None:
            return None
        return child.text.strip() or None

    dev = text("scope") == "excluded" or any(
        prop.get("name") == _DEV_PROPERTY and (prop.text or "").strip() == "true"
        for prop in element.iterfind(f"{{{ns}}}properties/{{{ns}}}property")
    )
    return _Entry(
        where=where,
        type=element.get("type"),
        ref=(element.get("bom-ref") or "").strip() or None,
        group=text("group"),
        name=text("name"),
        version=text("version"),
        purl=text("purl"),
        dev=dev,
    )


# Detection


def _sniff_json(head: bytes) -> bool:
    return _JSON_MARK.search(head_text(head)) is not None


def _sniff_xml(head: bytes) -> bool:
    return _XML_MARK.search(head_text(head)) is not None


FORMATS: tuple[InventoryFormat, ...] = (
    InventoryFormat(
        "CycloneDX JSON",
        parse_cyclonedx,
        ("bom.json", "*.cdx.json", "*.cyclonedx.json", "*.bom.json"),
        _sniff_json,
    ),
    InventoryFormat(
        "CycloneDX XML",
        parse_cyclonedx,
        ("bom.xml", "*.cdx.xml", "*.cyclonedx.xml", "*.bom.xml"),
        _sniff_xml,
    ),
)
