"""The clearinghouse's own finding report (``clearinghouse-finding/1``), and the shape every
finding reader produces.

Pure core. A report is either one JSON document::

    {"schema": "clearinghouse-finding/1",
     "tool": {"name": "labscan", "version": "2.1"},
     "ai": {"found_by_ai": true, "model": "frontier-x", "version": "2026-05"},
     "findings": [{...}, {...}]}

or JSON Lines (``.jsonl``/``.ndjson``): one finding object per line, read line by line. A
finding names its package by purl (``"package": {"purl": "pkg:pypi/django"}``) or by OSV
ecosystem and name, its affected versions as a list and/or OSV-style ranges
(``{"introduced": "1.0", "fixed": "1.2"}``), CWE ids, CVSS vectors, aliases, references, the
reporter's exploitation claim (``none``/``poc``/``active``), whether an AI model found it and
which, its TLP 2.0 marking (``"tlp": "AMBER"``, per finding or for the whole report), and
optionally a proof-of-concept attachment (base64, size-limited). The attachment is
kept only as bytes plus its SHA-256: nothing here or downstream ever executes it.

A finding that breaks these rules is returned as :class:`RejectedFinding` (its index and the
reason) so that the rest of the batch can still be accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.safety import decode_text, loads_json
from clearinghouse.formats.tlp import parse_tlp

__all__ = [
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "NATIVE_SCHEMA",
    "Attachment",
    "RejectedFinding",
    "ReportedFinding",
    "aliases_in",
    "is_json_lines",
    "normalise_cwe",
    "parse_native",
]

NATIVE_SCHEMA = "clearinghouse-finding/1"
DEFAULT_MAX_ATTACHMENT_BYTES = 1024 * 1024
_MAX_TITLE = 500
_MAX_TEXT = 64 * 1024

EXPLOITATION_CLAIMS = {"none": "none", "poc": "poc", "public-poc": "poc", "active": "active"}

_CWE = re.compile(r"^(?:CWE)?[-_ ]?0*(\d{1,6})$", re.IGNORECASE)
_ID_PATTERNS = re.compile(
    r"\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|PYSEC-\d{4}-\d+|GO-\d{4}-\d{4,}"
    r"|RUSTSEC-\d{4}-\d{4}|BIT-[a-z0-9][a-z0-9._-]*-\d{4}-\d+|AL[SBE]A-\d{4}:\d+"
    r"|OSV-\d{4}-\d+|MAL-\d{4}-\d+|DRUPAL-(?:CORE|CONTRIB)-\d{4}-\d+|RSEC-\d{4}-\d+"
    r"|GSD-\d{4}-\d+|RHSA-\d{4}:\d+|DSA-\d+-\d+|DLA-\d+-\d+|USN-\d+-\d+)\b"
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A proof of concept as received: stored by hash, served only as opaque bytes."""

    filename: str
    media_type: str
    sha256: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(slots=True)
class ReportedFinding:
    """One finding as a reader understood it; the intake turns it into a stored finding."""

    index: int
    """Position in the submitted batch (0-based), used in every per-finding error."""
    format: str
    title: str
    description: str = ""
    external_id: str | None = None
    """The reporter's own id (SARIF guid, OSV id, CVE id, CSAF tracking id + CVE...)."""
    aliases: tuple[str, ...] = ()
    """Vulnerability ids the report states (CVE, GHSA, PYSEC...), its own id included."""
    affected: tuple[dict[str, Any], ...] = ()
    """OSV ``affected[]`` entries (package, ranges, versions)."""
    cwes: tuple[str, ...] = ()
    cvss_vectors: tuple[str, ...] = ()
    rule_id: str | None = None
    location: str | None = None
    """``uri:line`` of the primary code location (SARIF)."""
    fingerprints: dict[str, str] = field(default_factory=dict)
    repository: str | None = None
    """Repository the code locations are relative to (SARIF ``versionControlProvenance``)."""
    tool_name: str | None = None
    tool_version: str | None = None
    found_by_ai: bool = False
    ai_model: str | None = None
    exploitation: str | None = None
    """The reporter's claim: ``none``, ``poc`` or ``active``."""
    references: tuple[str, ...] = ()
    attachment: Attachment | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    tlp: str | None = None
    """The TLP 2.0 marking the report itself states (CSAF ``distribution.tlp.label``, the
    native ``tlp``), None when it states none; the intake decides the stored marking."""


@dataclass(frozen=True, slots=True)
class RejectedFinding:
    index: int
    reason: str


def normalise_cwe(value: Any) -> str | None:
    """``79``, ``"CWE-79"``, ``"cwe_079"`` -> ``"CWE-79"``; None when it is not a CWE id."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return f"CWE-{value}"
    if not isinstance(value, str):
        return None
    match = _CWE.match(value.strip())
    return f"CWE-{int(match.group(1))}" if match else None


def aliases_in(text: str) -> list[str]:
    """Well-known vulnerability ids mentioned in ``text``, first seen first."""
    return list(dict.fromkeys(m.group(1) for m in _ID_PATTERNS.finditer(text)))


class _Bad(ValueError):
    """A finding-level defect (the finding is rejected, the batch goes on)."""


def _text(value: Any, where: str, *, limit: int, required: bool = False) -> str:
    if value is None:
        if required:
            raise _Bad(f"{where} is required")
        return ""
    if not isinstance(value, str):
        raise _Bad(f"{where} must be a string")
    value = value.strip()
    if required and not value:
        raise _Bad(f"{where} must not be empty")
    if len(value) > limit:
        raise _Bad(f"{where} is longer than {limit} characters")
    return str(value)


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(f"{where} must be a string or a list of strings")
    return list(value)


def _package(item: Mapping[str, Any]) -> dict[str, Any] | None:
    from clearinghouse.ecosystems import base_ecosystem, ecosystem_info, package_from_purl

    package = item.get("package")
    purl = item.get("purl")
    if isinstance(package, str):
        purl, package = package, None
    if package is not None and not isinstance(package, Mapping):
        raise _Bad("package must be an object with purl, or ecosystem and name")
    if isinstance(package, Mapping):
        purl = package.get("purl", purl)
    if purl is not None:
        if not isinstance(purl, str):
            raise _Bad("package.purl must be a string")
        try:
            resolved = package_from_purl(purl)
        except ValueError as exc:
            raise _Bad(f"package.purl {purl!r} is not a package URL: {exc}") from None
        if resolved is None:
            raise _Bad(f"package.purl {purl!r} names no OSV ecosystem")
        base_purl = purl.split("@", 1)[0].split("?", 1)[0]
        return {"ecosystem": resolved.ecosystem, "name": resolved.name, "purl": base_purl}
    if package is None:
        return None
    ecosystem, name = package.get("ecosystem"), package.get("name")
    if not isinstance(ecosystem, str) or not isinstance(name, str) or not name.strip():
        raise _Bad("package needs a purl, or an ecosystem and a name")
    if ecosystem_info(ecosystem) is None:
        raise _Bad(f"package.ecosystem {ecosystem!r} is not an OSV ecosystem")
    if base_ecosystem(ecosystem) != ecosystem.split(":", 1)[0]:
        ecosystem = base_ecosystem(ecosystem) + ecosystem[len(ecosystem.split(":", 1)[0]) :]
    return {"ecosystem": ecosystem, "name": name.strip()}


_RANGE_KEYS = ("introduced", "fixed", "last_affected", "limit")


def _ranges(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        raise _Bad("affected.ranges must be a list of {introduced, fixed|last_affected}")
    events: list[dict[str, str]] = []
    for position, item in enumerate(value):
        where = f"affected.ranges[{position}]"
        if not isinstance(item, Mapping):
            raise _Bad(f"{where} must be an object")
        unknown = sorted(set(item) - set(_RANGE_KEYS))
        if unknown:
            raise _Bad(f"{where} has unknown keys {unknown}")
        if "fixed" in item and "last_affected" in item:
            raise _Bad(f"{where} has both fixed and last_affected")
        for key in _RANGE_KEYS:
            version = item.get(key)
            if version is None:
                continue
            if not isinstance(version, str) or not version.strip():
                raise _Bad(f"{where}.{key} must be a non-empty string")
        events.append({"introduced": str(item.get("introduced") or "0")})
        for key in ("fixed", "last_affected", "limit"):
            if item.get(key):
                events.append({key: item[key].strip()})
    return [{"type": "ECOSYSTEM", "events": events}] if events else []


def _affected(item: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    package = _package(item)
    spec = item.get("affected")
    if spec is not None and not isinstance(spec, Mapping):
        raise _Bad("affected must be an object with versions and/or ranges")
    spec = spec or {}
    versions = _strings(spec.get("versions"), "affected.versions")
    ranges = _ranges(spec.get("ranges"))
    if package is None:
        if versions or ranges:
            raise _Bad("affected versions are given but no package names them")
        return ()
    entry: dict[str, Any] = {"package": package}
    if ranges:
        entry["ranges"] = ranges
    if versions:
        entry["versions"] = [v.strip() for v in versions]
    return (entry,)


def _attachment(value: Any, limit: int) -> Attachment | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _Bad("proof_of_concept must be an object with content_base64")
    content = value.get("content_base64")
    if not isinstance(content, str):
        raise _Bad("proof_of_concept.content_base64 must be a base64 string")
    if len(content) > (limit + 2) // 3 * 4 + 4:
        raise _Bad(f"proof_of_concept is larger than the {limit}-byte limit")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad("proof_of_concept.content_base64 is not valid base64") from None
    if len(data) > limit:
        raise _Bad(f"proof_of_concept is larger than the {limit}-byte limit")
    filename = _text(value.get("filename"), "proof_of_concept.filename", limit=255) or "poc"
    media_type = _text(value.get("media_type"), "proof_of_concept.media_type", limit=127)
    return Attachment(
        filename=filename.replace("/", "_").replace("\\", "_"),
        media_type=media_type or "application/octet-stream",
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def _ai(item: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[bool, str | None]:
    ai = item.get("ai", defaults.get("ai"))
    found = item.get("found_by_ai")
    model = item.get("ai_model")
    if ai is not None:
        if not isinstance(ai, Mapping):
            raise _Bad("ai must be an object with found_by_ai and model")
        found = ai.get("found_by_ai", found)
        model = ai.get("model", model)
        version = ai.get("version")
        if isinstance(model, str) and isinstance(version, str) and version.strip():
            model = f"{model} {version.strip()}"
    if found is not None and not isinstance(found, bool):
        raise _Bad("found_by_ai must be true or false")
    model_name = _text(model, "ai.model", limit=200) or None
    return bool(found) or model_name is not None, model_name


def _tool(item: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[str | None, str | None]:
    tool = item.get("tool", defaults.get("tool"))
    if tool is None:
        return None, None
    if isinstance(tool, str):
        return tool.strip()[:200] or None, None
    if not isinstance(tool, Mapping):
        raise _Bad("tool must be a name or an object with name and version")
    name = _text(tool.get("name"), "tool.name", limit=200) or None
    version = _text(tool.get("version"), "tool.version", limit=100) or None
    return name, version


def _finding(
    index: int, item: Any, defaults: Mapping[str, Any], max_attachment_bytes: int
) -> ReportedFinding | RejectedFinding:
    if not isinstance(item, Mapping):
        return RejectedFinding(index, "a finding must be a JSON object")
    try:
        title = _text(item.get("title"), "title", limit=_MAX_TITLE, required=True)
        description = _text(item.get("description"), "description", limit=_MAX_TEXT)
        cwes: list[str] = []
        for raw_cwe in _strings_or_ints(item.get("cwe", item.get("cwes"))):
            cwe = normalise_cwe(raw_cwe)
            if cwe is None:
                raise _Bad(f"cwe {raw_cwe!r} is not a CWE id (CWE-79)")
            cwes.append(cwe)
        vectors = [v.strip() for v in _strings(item.get("cvss"), "cvss") if v.strip()]
        aliases = [a.strip() for a in _strings(item.get("aliases"), "aliases") if a.strip()]
        references = _strings(item.get("references"), "references")
        claim = item.get("exploitation")
        exploitation = None
        if claim is not None:
            exploitation = EXPLOITATION_CLAIMS.get(str(claim).strip().lower())
            if exploitation is None:
                raise _Bad("exploitation must be none, poc or active")
        external_id = item.get("id")
        if external_id is not None and not isinstance(external_id, str):
            raise _Bad("id must be a string")
        found_by_ai, model = _ai(item, defaults)
        tool_name, tool_version = _tool(item, defaults)
        attachment = _attachment(item.get("proof_of_concept"), max_attachment_bytes)
        affected = _affected(item)
        marking = item.get("tlp", defaults.get("tlp"))
        tlp = _tlp(marking) if marking is not None else None
    except _Bad as exc:
        return RejectedFinding(index, str(exc))
    raw = dict(item)
    if attachment is not None:
        raw["proof_of_concept"] = {
            "filename": attachment.filename,
            "media_type": attachment.media_type,
            "sha256": attachment.sha256,
            "size": attachment.size,
        }
    return ReportedFinding(
        index=index,
        format="native",
        title=title,
        description=description,
        external_id=external_id,
        aliases=tuple(dict.fromkeys(aliases)),
        affected=affected,
        cwes=tuple(dict.fromkeys(cwes)),
        cvss_vectors=tuple(dict.fromkeys(vectors)),
        tool_name=tool_name,
        tool_version=tool_version,
        found_by_ai=found_by_ai,
        ai_model=model,
        exploitation=exploitation,
        references=tuple(references),
        attachment=attachment,
        raw=raw,
        tlp=tlp,
    )


def _tlp(value: Any) -> str:
    try:
        return parse_tlp(value).value
    except ValueError as exc:
        raise _Bad(str(exc)) from None


def _strings_or_ints(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [value]
    if not isinstance(value, list):
        raise _Bad("cwe must be a CWE id or a list of them")
    return value


def is_json_lines(data: bytes) -> bool:
    """One JSON object per line (at least two lines), judged by the first line."""
    stripped = data.lstrip()
    if not stripped.startswith(b"{"):
        return False
    first, _, rest = stripped.partition(b"\n")
    if not rest.strip():
        return False
    try:
        loads_json("", first)
    except InputError:
        return False
    return True


def parse_native(
    source: str,
    data: bytes | Mapping[str, Any],
    *,
    max_findings: int,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> Iterator[ReportedFinding | RejectedFinding]:
    """Yield each finding of a native report (document or JSON Lines), in order.

    ``data`` is the report's bytes, or its already parsed JSON document. Document-level
    defects (not JSON, wrong schema, too many findings) raise InputError; finding-level
    defects yield a RejectedFinding and the batch goes on.
    """
    if isinstance(data, bytes) and is_json_lines(data):
        yield from _json_lines(source, data, max_findings, max_attachment_bytes)
        return
    document: Any = loads_json(source, data) if isinstance(data, bytes) else data
    if isinstance(document, Mapping) and "findings" not in document and "title" in document:
        document = {"findings": [document]}
    if not isinstance(document, Mapping):
        raise InputError(source, "a native finding report must be a JSON object")
    schema = document.get("schema", NATIVE_SCHEMA)
    if schema != NATIVE_SCHEMA:
        raise InputError(source, f"schema {schema!r} is not {NATIVE_SCHEMA!r}")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise InputError(source, "findings must be a list of finding objects")
    if len(findings) > max_findings:
        raise InputError(
            source,
            f"holds {len(findings)} findings; at most {max_findings} are accepted per request",
            status=413,
        )
    defaults = {k: document[k] for k in ("tool", "ai", "tlp") if k in document}
    if "tlp" in defaults:
        try:
            defaults["tlp"] = parse_tlp(defaults["tlp"]).value
        except ValueError as exc:
            raise InputError(source, str(exc)) from None
    for index, item in enumerate(findings):
        yield _finding(index, item, defaults, max_attachment_bytes)


def _json_lines(
    source: str, data: bytes, max_findings: int, max_attachment_bytes: int
) -> Iterator[ReportedFinding | RejectedFinding]:
    index = 0
    if data[:1] in (b"\xef", b"\xff", b"\xfe"):
        data = decode_text(source, data).encode()
    lines = data.split(b"\n")
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if index >= max_findings:
            raise InputError(
                source,
                f"holds more than {max_findings} findings; at most {max_findings} are "
                "accepted per request",
                status=413,
            )
        try:
            item = loads_json(f"{source}:{line_number}", line)
        except InputError as exc:
            yield RejectedFinding(index, f"line {line_number}: {exc.reason}")
        else:
            yield _finding(index, item, {}, max_attachment_bytes)
        index += 1
