"""SPDX documents as inventories: SPDX 2.1 to 2.3 (JSON, YAML, tag-value) and SPDX 3.0 JSON-LD.

A package becomes one component per distinct package URL it declares (SPDX 2: an
``externalRefs`` entry of type ``purl`` in the PACKAGE-MANAGER category; SPDX 3:
``software_packageUrl`` or a ``packageUrl`` external identifier), with its SPDXID as ``ref``.
Packages without one are counted in the warnings. The element the document describes names the
inventory (the document's own name when it describes several or none).

This is our own reader, not spdx-tools: spdx-tools 0.8.5 rejects 8 of the 17 real documents in
shared/data/sbom/spdx for fields an inventory does not need (timestamps with fractional seconds,
supplier strings, files without checksums, lower-case relationship types) and takes 9 s for a
1 MB tag-value file; this reader takes 2-35 ms per file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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
from clearinghouse.formats.safety import check_size, decode_text, loads_json, loads_yaml

__all__ = ["FORMATS", "parse_spdx"]

DOCUMENT_ID = "SPDXRef-DOCUMENT"

_SPDX2_VERSION = re.compile(r"SPDX-2\.(\d{1,3})")
_SPDX3_CONTEXT = re.compile(r"spdx\.org/rdf/3\.\d")
_PURL_CATEGORIES = frozenset({"PACKAGE-MANAGER", "PACKAGE_MANAGER"})
_DEV_RELATIONSHIPS = frozenset(
    {"DEV_DEPENDENCY_OF", "TEST_DEPENDENCY_OF", "DEV_TOOL_OF", "TEST_TOOL_OF"}
)
_RUNTIME_RELATIONSHIPS = frozenset({"DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF"})
_TAG_LINE = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*):(.*)")
_PACKAGE_TAGS = frozenset({"PackageVersion", "ExternalRef", "ExternalRefComment"})

_JSON_MARK = re.compile(r'"spdxVersion"\s*:\s*"SPDX-|"SPDXID"\s*:\s*"SPDXRef-')
_JSONLD_MARK = re.compile(r'"@context"\s*:\s*\[?\s*"https?://spdx\.org/rdf/3\.')
_TAG_VALUE_MARK = re.compile(r"^[ \t]*SPDXVersion:[ \t]*SPDX-", re.MULTILINE)
_YAML_MARK = re.compile(r"""^[ \t]*spdxVersion:[ \t]*["']?SPDX-""", re.MULTILINE)


@dataclass(slots=True)
class _Package:
    where: str
    spdx_id: str | None
    name: str | None
    version: str | None
    purls: list[tuple[str, str]] = field(default_factory=list)
    """(where, package URL) for every purl reference, in document order."""

    def label(self) -> str:
        return f"{self.where} ({shorten(self.spdx_id)})" if self.spdx_id else self.where

    def title(self) -> str:
        name = self.name or self.spdx_id or "(unnamed)"
        return f"{name} {self.version}" if self.version else name


@dataclass(slots=True)
class _Document:
    format: str
    name: str | None = None
    packages: list[_Package] = field(default_factory=list)
    described: list[str] = field(default_factory=list)
    relationships: list[tuple[str, str, str]] = field(default_factory=list)
    """(element, RELATIONSHIP_TYPE, related element), type upper-cased."""


def parse_spdx(data: bytes, context: ParseContext) -> Inventory:
    """Read an SPDX document (JSON, YAML, tag-value or SPDX 3 JSON-LD) into an inventory."""
    source = context.source
    check_size(source, len(data), context.max_bytes)
    start = first_char(data)
    if not start:
        raise InputError(source, "is empty")
    if start in ("{", "["):
        doc = _read_json(source, loads_json(source, data))
    else:
        text = decode_text(source, data)
        if _TAG_VALUE_MARK.search(text[:65536]):
            doc = _read_tag_value(source, text)
        elif _YAML_MARK.search(text):
            doc = _read_spdx2(source, loads_yaml(source, data), "YAML")
        else:
            raise InputError(
                source,
                "is not an SPDX document: no SPDXVersion (tag-value) or spdxVersion (YAML) "
                "found; SPDX RDF/XML is not read, export JSON or tag-value instead",
            )
    return _inventory(doc)


def _inventory(doc: _Document) -> Inventory:
    dev_ids = _dev_only(doc.relationships)
    found: list[Component] = []
    without_purl: list[_Package] = []
    invalid: list[str] = []
    repaired = 0
    for package in doc.packages:
        if not package.purls:
            without_purl.append(package)
            continue
        for where, purl in package.purls:
            fixed = _repair_encoded_version(purl, package.version)
            repaired += fixed is not None
            read = read_purl(
                fixed or purl,
                ref=package.spdx_id,
                dev=package.spdx_id in dev_ids,
                label=f"{package.label()} {where}",
                invalid=invalid,
            )
            if read is not None:
                found.append(read)
    components = unique_components(found)
    warnings: list[str] = []
    if invalid:
        warnings.append(invalid_purls_warning(invalid, "package reference"))
    if without_purl:
        warnings.append(
            f"{count(len(without_purl), 'package')} without a package URL (purl external "
            "reference) skipped, as no ecosystem can be derived without one: "
            f"{examples([p.title() for p in without_purl])}"
        )
    if repaired:
        warnings.append(
            f"{count(repaired, 'package URL')} had the '@' before the version percent-encoded "
            "(as sigs.k8s.io/bom 0.3 wrote them); read as name@version, which the package's "
            "own version confirms"
        )
    if not doc.packages:
        warnings.append("the document lists no packages")
    uncovered = uncovered_purls_warning(components, "package")
    if uncovered:
        warnings.append(uncovered)
    return Inventory(
        format=doc.format, components=components, warnings=warnings, name=_subject(doc)
    )


def _repair_encoded_version(purl: str, version: str | None) -> str | None:
    """``pkg:golang/x/y%40v1.0.0`` with version v1.0.0 -> ``pkg:golang/x/y@v1.0.0``."""
    if not version or "%40" not in purl:
        return None
    from packageurl import PackageURL

    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    name, at, encoded_version = parsed.name.rpartition("@")
    if parsed.version or not at or not name or encoded_version != version:
        return None
    return str(
        PackageURL(
            type=parsed.type,
            namespace=parsed.namespace,
            name=name,
            version=encoded_version,
            qualifiers=parsed.qualifiers,
            subpath=parsed.subpath,
        ).to_string()
    )


def _dev_only(relationships: list[tuple[str, str, str]]) -> set[str]:
    """SPDXIDs declared only as development/test dependencies."""
    dev: set[str] = set()
    runtime: set[str] = set()
    for element, kind_, related in relationships:
        if kind_ in _DEV_RELATIONSHIPS:
            dev.add(element)
        elif kind_ in _RUNTIME_RELATIONSHIPS:
            runtime.add(element)
        elif kind_ == "DEPENDS_ON":
            runtime.add(related)
    return dev - runtime


def _subject(doc: _Document) -> str | None:
    described = list(dict.fromkeys(doc.described))
    for element, kind_, related in doc.relationships:
        if kind_ == "DESCRIBES" and element == DOCUMENT_ID:
            described.append(related)
        elif kind_ == "DESCRIBED_BY" and related == DOCUMENT_ID:
            described.append(element)
    described = list(dict.fromkeys(described))
    if len(described) == 1:
        for package in doc.packages:
            if package.spdx_id == described[0] and package.name:
                return package.title()
    name = (doc.name or "").strip()
    return name if name not in ("", ".") else None


# SPDX 2 JSON and YAML


def _read_json(source: str, doc: Any) -> _Document:
    if isinstance(doc, dict) and ("@context" in doc or "@graph" in doc):
        return _read_spdx3(source, doc)
    return _read_spdx2(source, doc, "JSON")


def _read_spdx2(source: str, doc: Any, encoding: str) -> _Document:
    if not isinstance(doc, dict):
        raise InputError(
            source, f"is not an SPDX document: the top level is {kind(doc)}, not an object"
        )
    if "spdxVersion" not in doc:
        hint = " (it looks like CycloneDX)" if "bomFormat" in doc else ""
        raise InputError(source, f"is not an SPDX document: spdxVersion is missing{hint}")
    result = _Document(
        format=f"SPDX {_spdx2_version(source, doc['spdxVersion'], 'spdxVersion')} {encoding}",
        name=_string(source, doc, "name", "the document"),
    )
    for index, raw in enumerate(_array(source, doc.get("packages"), "packages")):
        result.packages.append(_spdx2_package(source, raw, f"packages[{index}]"))
    for index, described in enumerate(
        _array(source, doc.get("documentDescribes"), "documentDescribes")
    ):
        if not isinstance(described, str):
            raise InputError(
                source, f"documentDescribes[{index}] must be a string, found {kind(described)}"
            )
        result.described.append(described)
    for index, raw in enumerate(_array(source, doc.get("relationships"), "relationships")):
        where = f"relationships[{index}]"
        if not isinstance(raw, dict):
            raise InputError(source, f"{where} must be an object, found {kind(raw)}")
        element = _string(source, raw, "spdxElementId", where)
        kind_ = _string(source, raw, "relationshipType", where)
        related = _string(source, raw, "relatedSpdxElement", where)
        if element and kind_ and related:
            result.relationships.append((element, kind_.upper(), related))
    return result


def _spdx2_version(source: str, value: Any, field_name: str) -> str:
    if not isinstance(value, str):
        raise InputError(
            source, f"{field_name} must be a string such as 'SPDX-2.3', found {kind(value)}"
        )
    match = _SPDX2_VERSION.fullmatch(value.strip())
    if match is None:
        raise InputError(
            source,
            f"{field_name} {shorten(value)!r} is not an SPDX version this reader knows "
            "(SPDX-2.1 to SPDX-2.3, or SPDX 3 JSON-LD)",
        )
    return f"2.{int(match.group(1))}"


def _spdx2_package(source: str, raw: Any, where: str) -> _Package:
    if not isinstance(raw, dict):
        raise InputError(source, f"{where} must be an object, found {kind(raw)}")
    spdx_id = _string(source, raw, "SPDXID", where)
    version = raw.get("versionInfo")
    package = _Package(
        where=where,
        spdx_id=spdx_id,
        name=raw["name"] if isinstance(raw.get("name"), str) else None,
        version=version.strip() or None if isinstance(version, str) else None,
    )
    label = package.label()
    for index, ref in enumerate(_array(source, raw.get("externalRefs"), f"{label}: externalRefs")):
        ref_where = f"externalRefs[{index}]"
        if not isinstance(ref, dict):
            raise InputError(source, f"{label}: {ref_where} must be an object, found {kind(ref)}")
        category = _string(source, ref, "referenceCategory", f"{label}: {ref_where}")
        ref_type = _string(source, ref, "referenceType", f"{label}: {ref_where}")
        if _is_purl_reference(category, ref_type):
            locator = _string(source, ref, "referenceLocator", f"{label}: {ref_where}")
            if locator is None:
                raise InputError(source, f"{label}: {ref_where}: referenceLocator is missing")
            package.purls.append((ref_where, locator))
    return package


def _is_purl_reference(category: str | None, ref_type: str | None) -> bool:
    if ref_type is None or (ref_type != "purl" and not ref_type.endswith("/purl")):
        return False
    return category is None or category.upper() in _PURL_CATEGORIES


def _array(source: str, value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(source, f"{where} must be an array, found {kind(value)}")
    return value


def _string(source: str, raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(source, f"{where}: {key} must be a string, found {kind(value)}")
    return value.strip() or None


# SPDX 2 tag-value


def _tag_values(source: str, text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, tag, value) for every tag; ``<text>`` values may span lines."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        number = index + 1
        index += 1
        if not line or line.startswith("#"):
            continue
        match = _TAG_LINE.fullmatch(line)
        if match is None:
            raise InputError(
                source, f"line {number}: expected 'Tag: value', found {shorten(line)!r}"
            )
        tag, value = match.group(1), match.group(2).strip()
        if value.startswith("<text>"):
            body = value[len("<text>") :]
            parts: list[str] = []
            while "</text>" not in body:
                parts.append(body)
                if index >= len(lines):
                    raise InputError(
                        source,
                        f"line {number}: the <text> value of {tag} is never closed with "
                        "</text> (the file may be truncated)",
                    )
                body = lines[index].rstrip("\r")
                index += 1
            parts.append(body[: body.index("</text>")])
            value = "\n".join(parts).strip()
        yield number, tag, value


def _read_tag_value(source: str, text: str) -> _Document:
    doc: _Document | None = None
    package: _Package | None = None
    section = "document"
    for number, tag, value in _tag_values(source, text):
        if tag == "SPDXVersion":
            if doc is not None:
                raise InputError(
                    source, f"line {number}: a second SPDXVersion: one document per file"
                )
            doc = _Document(format=f"SPDX {_spdx2_version(source, value, 'SPDXVersion')} tag-value")
            continue
        if doc is None:
            raise InputError(
                source, f"line {number}: {tag} before SPDXVersion, which must come first"
            )
        if tag == "DocumentName":
            doc.name = value
        elif tag == "PackageName":
            section = "package"
            package = _Package(
                where=f"package at line {number}", spdx_id=None, name=value or None, version=None
            )
            doc.packages.append(package)
        elif tag in ("FileName", "SnippetSPDXID", "LicenseID"):
            section = tag
        elif tag == "SPDXID" and section == "package" and package is not None:
            package.spdx_id = value or None
        elif tag in _PACKAGE_TAGS:
            if section != "package" or package is None:
                raise InputError(source, f"line {number}: {tag} outside a package section")
            _package_tag(source, package, number, tag, value)
        elif tag == "Relationship":
            parts = value.split()
            if len(parts) < 3:
                raise InputError(
                    source,
                    f"line {number}: Relationship needs 'element TYPE related-element', found "
                    f"{shorten(value)!r}",
                )
            doc.relationships.append((parts[0], parts[1].upper(), parts[2]))
    if doc is None:
        raise InputError(source, "is not an SPDX tag-value document: SPDXVersion is missing")
    return doc


def _package_tag(source: str, package: _Package, number: int, tag: str, value: str) -> None:
    if tag == "PackageVersion":
        package.version = value or None
    elif tag == "ExternalRef":
        parts = value.split(None, 2)
        if len(parts) != 3:
            raise InputError(
                source,
                f"line {number}: ExternalRef needs 'CATEGORY type locator', found "
                f"{shorten(value)!r}",
            )
        category, ref_type, locator = parts
        if _is_purl_reference(category, ref_type):
            package.purls.append((f"ExternalRef at line {number}", locator.strip()))


# SPDX 3 JSON-LD


def _read_spdx3(source: str, doc: dict[str, Any]) -> _Document:
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not any(isinstance(c, str) and _SPDX3_CONTEXT.search(c) for c in contexts):
        raise InputError(
            source,
            "is JSON-LD but not SPDX 3: @context does not name https://spdx.org/rdf/3.x",
        )
    graph = doc.get("@graph", [doc])
    result = _Document(format="SPDX 3 JSON-LD")
    spec_version: str | None = None
    for index, element in enumerate(_array(source, graph, "@graph")):
        where = f"@graph[{index}]"
        if not isinstance(element, dict):
            raise InputError(source, f"{where} must be an object, found {kind(element)}")
        element_type = _string(source, element, "type", where) or _string(
            source, element, "@type", where
        )
        if element_type == "CreationInfo" and spec_version is None:
            spec_version = _string(source, element, "specVersion", where)
        elif element_type == "SpdxDocument":
            result.name = _string(source, element, "name", where)
            result.described.extend(_strings(source, element, "rootElement", where))
        elif element_type == "software_Package":
            result.packages.append(_spdx3_package(source, element, where))
        elif element_type in ("Relationship", "LifecycleScopedRelationship"):
            result.relationships.extend(_spdx3_relationships(source, element, where))
    if spec_version:
        result.format = f"SPDX {shorten(spec_version, 16)} JSON-LD"
    return result


def _spdx3_package(source: str, element: dict[str, Any], where: str) -> _Package:
    package = _Package(
        where=where,
        spdx_id=_string(source, element, "spdxId", where) or _string(source, element, "@id", where),
        name=_string(source, element, "name", where),
        version=_string(source, element, "software_packageVersion", where),
    )
    label = package.label()
    purl = _string(source, element, "software_packageUrl", label)
    if purl:
        package.purls.append(("software_packageUrl", purl))
    identifiers = _array(source, element.get("externalIdentifier"), f"{label}: externalIdentifier")
    for index, identifier in enumerate(identifiers):
        id_where = f"externalIdentifier[{index}]"
        if not isinstance(identifier, dict):
            raise InputError(
                source, f"{label}: {id_where} must be an object, found {kind(identifier)}"
            )
        if _string(source, identifier, "externalIdentifierType", f"{label}: {id_where}") == (
            "packageUrl"
        ):
            value = _string(source, identifier, "identifier", f"{label}: {id_where}")
            if value is None:
                raise InputError(source, f"{label}: {id_where}: identifier is missing")
            package.purls.append((id_where, value))
    return package


def _spdx3_relationships(
    source: str, element: dict[str, Any], where: str
) -> Iterator[tuple[str, str, str]]:
    origin = _string(source, element, "from", where)
    kind_ = _string(source, element, "relationshipType", where)
    scope = _string(source, element, "scope", where)
    if origin is None or kind_ is None:
        return
    for target in _strings(source, element, "to", where):
        if kind_ == "describes":
            yield origin, "DESCRIBES", target
        elif kind_ == "dependsOn" and scope in ("development", "test"):
            yield target, "DEV_DEPENDENCY_OF", origin
        elif kind_ == "dependsOn":
            yield origin, "DEPENDS_ON", target


def _strings(source: str, element: dict[str, Any], key: str, where: str) -> list[str]:
    values = _array(source, element.get(key), f"{where}: {key}")
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise InputError(
                source, f"{where}: {key}[{index}] must be a string, found {kind(value)}"
            )
    return values


# Detection


def _sniff_json(head: bytes) -> bool:
    text = head_text(head)
    return _JSON_MARK.search(text) is not None or _JSONLD_MARK.search(text) is not None


def _sniff_tag_value(head: bytes) -> bool:
    return _TAG_VALUE_MARK.search(head_text(head)) is not None


def _sniff_yaml(head: bytes) -> bool:
    return _YAML_MARK.search(head_text(head)) is not None


FORMATS: tuple[InventoryFormat, ...] = (
    InventoryFormat(
        "SPDX JSON",
        parse_spdx,
        ("*.spdx.json", "*.spdx3.json", "*.spdx.jsonld"),
        _sniff_json,
    ),
    InventoryFormat("SPDX tag-value", parse_spdx, ("*.spdx",), _sniff_tag_value),
    InventoryFormat("SPDX YAML", parse_spdx, ("*.spdx.yaml", "*.spdx.yml"), _sniff_yaml),
)
