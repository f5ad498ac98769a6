"""Which reader a submitted report needs, and OSV records as findings.

Detection looks at the content (never trusts the file name alone): a SARIF log has ``runs``,
a CSAF document ``document.csaf_version``, a CVE record ``dataType: CVE_RECORD``, an OSV
record ``id`` + ``modified`` (a list of them, or ``{"vulns": [...]}``), and anything else is
the native report (JSON document or JSON Lines).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from clearinghouse.formats.csaf import looks_like_csaf, parse_csaf
from clearinghouse.formats.cve5 import looks_like_cve5, parse_cve5
from clearinghouse.formats.errors import InputError, UnknownFormat
from clearinghouse.formats.native_finding import (
    RejectedFinding,
    ReportedFinding,
    is_json_lines,
    normalise_cwe,
    parse_native,
)
from clearinghouse.formats.osv import schema_errors
from clearinghouse.formats.safety import loads_json
from clearinghouse.formats.sarif_findings import looks_like_sarif, parse_sarif_findings

__all__ = ["ReportFormat", "detect_format", "read_findings"]


class ReportFormat(StrEnum):
    sarif = "sarif"
    osv = "osv"
    csaf = "csaf"
    cve5 = "cve5"
    native = "native"


Parsed = ReportedFinding | RejectedFinding


def _looks_like_osv(document: Any) -> bool:
    if isinstance(document, Mapping) and isinstance(document.get("vulns"), list):
        return True
    if isinstance(document, list):
        return bool(document) and all(_looks_like_osv(d) for d in document[:3])
    return isinstance(document, Mapping) and "id" in document and "modified" in document


def detect_format(document: Any) -> ReportFormat:
    if looks_like_sarif(document):
        return ReportFormat.sarif
    if looks_like_csaf(document):
        return ReportFormat.csaf
    if looks_like_cve5(document):
        return ReportFormat.cve5
    if _looks_like_osv(document):
        return ReportFormat.osv
    if isinstance(document, Mapping) and ("findings" in document or "title" in document):
        return ReportFormat.native
    raise UnknownFormat(
        "report",
        "is not a SARIF 2.1.0 log, CSAF 2.0 document, CVE JSON 5 record, OSV record or "
        "clearinghouse-finding/1 report",
    )


def _osv_text(record: Mapping[str, Any]) -> tuple[str, str]:
    summary = str(record.get("summary") or "")
    details = str(record.get("details") or "")
    title = (summary or details.strip().split("\n", 1)[0] or str(record.get("id"))).strip()
    return title[:500], "\n\n".join(t for t in (summary, details) if t)


def _osv_finding(index: int, record: Any) -> Parsed:
    if not isinstance(record, Mapping):
        return RejectedFinding(index, "an OSV record must be a JSON object")
    errors = schema_errors(record)
    if errors:
        return RejectedFinding(index, "OSV schema: " + "; ".join(errors))
    title, description = _osv_text(record)
    aliases = [record["id"], *(record.get("aliases") or ()), *(record.get("upstream") or ())]
    specific = record.get("database_specific")
    cwes = [
        c
        for c in (
            normalise_cwe(x)
            for x in (specific.get("cwe_ids") or () if isinstance(specific, Mapping) else ())
        )
        if c
    ]
    vectors: list[str] = []
    for holder in (record, *(record.get("affected") or ())):
        for severity in holder.get("severity") or ():
            if str(severity.get("type", "")).startswith("CVSS"):
                vectors.append(severity["score"])
    affected = tuple(
        {k: v for k, v in entry.items() if k in ("package", "ranges", "versions")}
        for entry in record.get("affected") or ()
        if isinstance(entry.get("package"), Mapping)
    )
    return ReportedFinding(
        index=index,
        format="osv",
        title=title,
        description=description,
        external_id=str(record["id"]),
        aliases=tuple(dict.fromkeys(aliases)),
        affected=affected,
        cwes=tuple(dict.fromkeys(cwes)),
        cvss_vectors=tuple(dict.fromkeys(vectors)),
        references=tuple(
            r["url"] for r in record.get("references") or () if isinstance(r.get("url"), str)
        ),
        raw=dict(record),
    )


def _read_osv(source: str, document: Any, max_findings: int) -> Iterator[Parsed]:
    records = (
        document.get("vulns") if isinstance(document, Mapping) and "vulns" in document else document
    )
    if isinstance(records, Mapping):
        records = [records]
    if not isinstance(records, list):
        raise InputError(source, "expected an OSV record or an array of them")
    if len(records) > max_findings:
        raise InputError(
            source,
            f"holds {len(records)} records; at most {max_findings} findings are accepted "
            "per request",
            status=413,
        )
    for index, record in enumerate(records):
        yield _osv_finding(index, record)


def _json_lines(source: str, data: bytes) -> list[Any]:
    return [
        loads_json(f"{source}:{number}", line)
        for number, line in enumerate(data.split(b"\n"), start=1)
        if line.strip()
    ]


def read_findings(
    source: str,
    data: bytes,
    *,
    declared: ReportFormat | None = None,
    max_findings: int,
    max_attachment_bytes: int,
) -> tuple[ReportFormat, Iterator[Parsed]]:
    """The report's format and an iterator over its findings (parsed as it is consumed)."""
    if is_json_lines(data):
        first = loads_json(source, data.lstrip().split(b"\n", 1)[0])
        report_format = declared or detect_format(first)
        if report_format is ReportFormat.native:
            return report_format, parse_native(
                source, data, max_findings=max_findings, max_attachment_bytes=max_attachment_bytes
            )
        document: Any = _json_lines(source, data)
    else:
        document = loads_json(source, data)
        report_format = declared or detect_format(document)
    if report_format is ReportFormat.sarif:
        return report_format, parse_sarif_findings(source, document, max_findings=max_findings)
    if report_format is ReportFormat.csaf:
        return report_format, parse_csaf(source, document, max_findings=max_findings)
    if report_format is ReportFormat.cve5:
        return report_format, parse_cve5(source, document, max_findings=max_findings)
    if report_format is ReportFormat.osv:
        return report_format, _read_osv(source, document, max_findings)
    if not isinstance(document, Mapping):
        raise InputError(source, "a clearinghouse-finding/1 report must be a JSON object")
    return report_format, parse_native(
        source, document, max_findings=max_findings, max_attachment_bytes=max_attachment_bytes
    )
