"""CSAF 2.0 documents (security advisories, VEX, base) as findings: one per vulnerability.

Pure core. The document is validated against the vendored OASIS CSAF 2.0 JSON schema (with
FIRST's CVSS v2/v3.0/v3.1 schemas registered under the URLs it references), then each
``vulnerabilities[]`` entry becomes a finding: CVE and ``ids`` as aliases, title and notes as
text, CWE, CVSS vectors from ``scores``, and affected packages from ``product_status`` —
products resolved through the product tree (branches, full product names and relationships)
to their ``product_identification_helper.purl``. ``known_affected``/``first_affected``/
``last_affected`` products give affected versions; ``fixed``/``first_fixed`` products give
``fixed`` events (OSV ranges ``introduced 0 -> fixed``). The document's TLP marking
(``document.distribution.tlp.label``; CSAF 2.0's ``WHITE`` is TLP 2.0's ``CLEAR``) goes with
every finding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import (
    RejectedFinding,
    ReportedFinding,
    normalise_cwe,
)
from clearinghouse.formats.safety import loads_json
from clearinghouse.formats.tlp import parse_tlp

__all__ = ["CSAF_SCHEMA_FILES", "csaf_schema_errors", "looks_like_csaf", "parse_csaf"]

CSAF_SCHEMA_FILES = {
    "csaf_json_schema.json": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
    "cvss-v2.0.json": "https://www.first.org/cvss/cvss-v2.0.json",
    "cvss-v3.0.json": "https://www.first.org/cvss/cvss-v3.0.json",
    "cvss-v3.1.json": "https://www.first.org/cvss/cvss-v3.1.json",
}
"""Vendored schema file -> the URL the CSAF schema refers to it by."""

_AFFECTED_STATUSES = ("known_affected", "first_affected", "last_affected")
_FIXED_STATUSES = ("fixed", "first_fixed")


def looks_like_csaf(document: Any) -> bool:
    if not isinstance(document, Mapping):
        return False
    head = document.get("document")
    return isinstance(head, Mapping) and "csaf_version" in head


def _schema_text(name: str) -> Any:
    return json.loads(
        resources.files("clearinghouse.formats").joinpath(f"schemas/{name}").read_text()
    )


@cache
def _validator() -> Any:
    import jsonschema_rs

    registry = jsonschema_rs.Registry(
        [(url, _schema_text(name)) for name, url in CSAF_SCHEMA_FILES.items() if "cvss" in name]
    )
    return jsonschema_rs.validator_for(_schema_text("csaf_json_schema.json"), registry=registry)


def csaf_schema_errors(document: Any, limit: int = 3) -> list[str]:
    """Up to ``limit`` CSAF 2.0 schema violations, each as ``path: message``."""
    validator = _validator()
    if validator.is_valid(document):
        return []
    errors: list[str] = []
    for error in validator.iter_errors(document):
        path = "/".join(str(p) for p in error.instance_path) or "(document)"
        errors.append(f"{path}: {error.message}")
        if len(errors) >= limit:
            break
    return errors


class _ProductTree:
    """product_id -> purl (and a readable name), from branches, names and relationships."""

    def __init__(self, tree: Any) -> None:
        self.purls: dict[str, str] = {}
        self.names: dict[str, str] = {}
        if not isinstance(tree, Mapping):
            return
        self._branches(tree.get("branches"))
        for product in tree.get("full_product_names") or ():
            self._product(product)
        for relationship in tree.get("relationships") or ():
            if not isinstance(relationship, Mapping):
                continue
            full = relationship.get("full_product_name")
            reference = relationship.get("product_reference")
            if isinstance(full, Mapping) and isinstance(full.get("product_id"), str):
                self._product(full)
                if full["product_id"] not in self.purls and reference in self.purls:
                    self.purls[full["product_id"]] = self.purls[reference]

    def _branches(self, branches: Any) -> None:
        for branch in branches if isinstance(branches, list) else ():
            if not isinstance(branch, Mapping):
                continue
            self._product(branch.get("product"))
            self._branches(branch.get("branches"))

    def _product(self, product: Any) -> None:
        if not isinstance(product, Mapping) or not isinstance(product.get("product_id"), str):
            return
        product_id = product["product_id"]
        if isinstance(product.get("name"), str):
            self.names[product_id] = product["name"]
        helper = product.get("product_identification_helper")
        if isinstance(helper, Mapping) and isinstance(helper.get("purl"), str):
            self.purls[product_id] = helper["purl"]


def _notes_text(notes: Any, *categories: str) -> str:
    texts: list[str] = []
    for note in notes if isinstance(notes, list) else ():
        if (
            isinstance(note, Mapping)
            and note.get("category") in categories
            and isinstance(note.get("text"), str)
        ):
            texts.append(note["text"].strip())
    return "\n\n".join(t for t in texts if t)


def _affected(tree: _ProductTree, status: Any) -> tuple[dict[str, Any], ...]:
    from clearinghouse.ecosystems import package_from_purl

    if not isinstance(status, Mapping):
        return ()
    entries: dict[tuple[str, str], dict[str, Any]] = {}

    def entry_for(product_id: Any) -> tuple[dict[str, Any], str | None] | None:
        purl = tree.purls.get(product_id) if isinstance(product_id, str) else None
        if purl is None:
            return None
        try:
            package = package_from_purl(purl)
        except ValueError:
            return None
        if package is None:
            return None
        key = (package.ecosystem, package.name)
        entry = entries.setdefault(
            key,
            {
                "package": {
                    "ecosystem": package.ecosystem,
                    "name": package.name,
                    "purl": purl.split("@", 1)[0].split("?", 1)[0],
                }
            },
        )
        return entry, package.version

    for name in _AFFECTED_STATUSES:
        for product_id in status.get(name) or ():
            found = entry_for(product_id)
            if found and found[1]:
                versions = found[0].setdefault("versions", [])
                if found[1] not in versions:
                    versions.append(found[1])
    for name in _FIXED_STATUSES:
        for product_id in status.get(name) or ():
            found = entry_for(product_id)
            if found and found[1]:
                ranges = found[0].setdefault(
                    "ranges", [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
                )
                fixed = {"fixed": found[1]}
                if fixed not in ranges[0]["events"]:
                    ranges[0]["events"].append(fixed)
    return tuple(entries.values())


def _vectors(scores: Any) -> list[str]:
    vectors: list[str] = []
    for score in scores if isinstance(scores, list) else ():
        if not isinstance(score, Mapping):
            continue
        for key in ("cvss_v3", "cvss_v2"):
            block = score.get(key)
            if isinstance(block, Mapping) and isinstance(block.get("vectorString"), str):
                vectors.append(block["vectorString"])
    return list(dict.fromkeys(vectors))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _marking(source: str, head: Mapping[str, Any]) -> str | None:
    """``document.distribution.tlp.label`` as a TLP 2.0 label (WHITE is CLEAR)."""
    label = _mapping(_mapping(head.get("distribution")).get("tlp")).get("label")
    if label is None:
        return None
    try:
        return parse_tlp(label).value
    except ValueError as exc:
        raise InputError(source, f"document.distribution.tlp.label: {exc}") from None


def _finding(
    index: int,
    vulnerability: Any,
    tree: _ProductTree,
    head: Mapping[str, Any],
    tlp: str | None = None,
) -> ReportedFinding | RejectedFinding:
    if not isinstance(vulnerability, Mapping):
        return RejectedFinding(index, f"vulnerabilities[{index}] is not an object")
    aliases: list[str] = []
    if isinstance(vulnerability.get("cve"), str):
        aliases.append(vulnerability["cve"])
    tracking = _mapping(head.get("tracking"))
    tracking_id = tracking.get("id") if isinstance(tracking.get("id"), str) else None
    notes = vulnerability.get("notes")
    summary = _notes_text(notes, "summary")
    description = _notes_text(notes, "description", "details", "general", "other")
    title = vulnerability.get("title") if isinstance(vulnerability.get("title"), str) else None
    title = title or summary or (aliases[0] if aliases else None) or head.get("title") or ""
    if not str(title).strip():
        return RejectedFinding(index, f"vulnerabilities[{index}] has no title, summary or CVE")
    cwe = vulnerability.get("cwe")
    cwes = [normalise_cwe(cwe.get("id"))] if isinstance(cwe, Mapping) else []
    references = [
        r["url"]
        for r in vulnerability.get("references") or ()
        if isinstance(r, Mapping) and isinstance(r.get("url"), str)
    ]
    external = f"{tracking_id}#{aliases[0] if aliases else index}" if tracking_id else None
    publisher = _mapping(head.get("publisher"))
    return ReportedFinding(
        index=index,
        format="csaf",
        title=str(title).strip()[:500],
        description="\n\n".join(t for t in (summary, description) if t),
        external_id=external,
        aliases=tuple(dict.fromkeys(aliases)),
        affected=_affected(tree, vulnerability.get("product_status")),
        cwes=tuple(c for c in cwes if c),
        cvss_vectors=tuple(_vectors(vulnerability.get("scores"))),
        tool_name=str(publisher.get("name")) if publisher.get("name") else None,
        references=tuple(references),
        raw=dict(vulnerability),
        tlp=tlp,
    )


def parse_csaf(
    source: str, data: bytes | Any, *, max_findings: int
) -> Iterator[ReportedFinding | RejectedFinding]:
    """Validate a CSAF 2.0 document and yield one finding per vulnerability."""
    document = loads_json(source, data) if isinstance(data, bytes | str) else data
    if not looks_like_csaf(document):
        raise InputError(source, "is not a CSAF document (no document.csaf_version)")
    version = document["document"].get("csaf_version")
    if version != "2.0":
        raise InputError(source, f"CSAF version {version!r} is not supported (only 2.0)")
    errors = csaf_schema_errors(document)
    if errors:
        raise InputError(source, "CSAF 2.0 schema: " + "; ".join(errors))
    vulnerabilities = document.get("vulnerabilities") or []
    if len(vulnerabilities) > max_findings:
        raise InputError(
            source,
            f"holds {len(vulnerabilities)} vulnerabilities; at most {max_findings} findings "
            "are accepted per request",
            status=413,
        )
    tlp = _marking(source, document["document"])
    tree = _ProductTree(document.get("product_tree"))
    for index, vulnerability in enumerate(vulnerabilities):
        yield _finding(index, vulnerability, tree, document["document"], tlp)
