"""The scan report: a stable JSON document (``clearinghouse-scan/1``, see docs/scan-json.md).

The SARIF and CycloneDX VEX writers in :mod:`clearinghouse.formats` take this document as their
input, so every output format says exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clearinghouse import __version__
from clearinghouse.advisories.matching import ComponentResult, VulnerabilityMatch
from clearinghouse.formats.osv import format_timestamp

SCAN_SCHEMA = "clearinghouse-scan/1"


@dataclass(frozen=True, slots=True)
class ScannedSource:
    path: str
    format: str
    components: int
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _vulnerability(match: VulnerabilityMatch) -> dict[str, Any]:
    facts = match.advisory
    return {
        "id": facts.id,
        "aliases": list(facts.aliases),
        "summary": facts.summary,
        "severity": [dict(s) for s in facts.severity],
        "severity_rating": facts.severity_rating,
        "max_score": facts.severity_score,
        "kev": facts.kev,
        "fixed": list(match.fixed),
        "published": format_timestamp(facts.published) if facts.published else None,
        "modified": format_timestamp(facts.modified),
        "url": f"https://osv.dev/vulnerability/{facts.id}",
    }


def _component(result: ComponentResult) -> dict[str, Any]:
    c = result.component
    return {
        "purl": c.purl,
        "ecosystem": c.ecosystem,
        "name": c.name,
        "version": c.version,
        "ref": c.ref,
        "dev": c.dev,
        "source": result.source,
        "vulnerabilities": [_vulnerability(v) for v in result.vulnerabilities],
        "remediation": result.remediation,
        "not_evaluated": list(result.not_evaluated),
    }


def scan_document(
    results: Sequence[ComponentResult],
    sources: Sequence[ScannedSource],
    *,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    vulnerable = [r for r in results if r.vulnerable]
    advisory_ids = {v.advisory.id for r in vulnerable for v in r.vulnerabilities}
    kev_ids = {v.advisory.id for r in vulnerable for v in r.vulnerabilities if v.advisory.kev}
    return {
        "schema": SCAN_SCHEMA,
        "tool": {"name": "clearinghouse", "version": __version__},
        "generated_at": format_timestamp(generated_at or datetime.now(UTC)),
        "sources": [
            {
                "path": s.path,
                "format": s.format,
                "components": s.components,
                "warnings": list(s.warnings),
            }
            for s in sources
        ],
        "summary": {
            "components": len(results),
            "vulnerable_components": len(vulnerable),
            "vulnerabilities": len(advisory_ids),
            "kev": len(kev_ids),
            "without_remediation": sum(1 for r in vulnerable if r.remediation is None),
        },
        "components": [_component(r) for r in results],
    }
