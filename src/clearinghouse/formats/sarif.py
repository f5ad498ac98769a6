"""SARIF 2.1.0: the scan report as a static-analysis log (GitHub code scanning, DefectDojo...)."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

__all__ = ["SARIF_SCHEMA", "sarif_from_scan"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "NONE": "note"}


def _level(vulnerability: dict[str, Any]) -> str:
    if vulnerability.get("kev"):
        return "error"
    return _LEVELS.get(vulnerability.get("severity_rating") or "", "warning")


def _rule(vulnerability: dict[str, Any]) -> dict[str, Any]:
    summary = vulnerability.get("summary") or vulnerability["id"]
    aliases = vulnerability.get("aliases") or []
    rule: dict[str, Any] = {
        "id": vulnerability["id"],
        "name": vulnerability["id"].replace("-", ""),
        "shortDescription": {"text": summary[:1000]},
        "fullDescription": {"text": summary},
        "helpUri": vulnerability["url"],
        "help": {
            "text": f"{summary}\nAliases: {', '.join(aliases) or 'none'}\n{vulnerability['url']}",
            "markdown": f"**{vulnerability['id']}** {summary}\n\n"
            f"Aliases: {', '.join(aliases) or 'none'}\n\n[{vulnerability['url']}]"
            f"({vulnerability['url']})",
        },
        "properties": {"tags": ["security", "vulnerability", *aliases]},
    }
    if vulnerability.get("max_score") is not None:
        rule["properties"]["security-severity"] = f"{vulnerability['max_score']:.1f}"
    return rule


def _uri(path: str | None) -> str:
    return quote((path or "inventory").replace("\\", "/"), safe="/:._-~")


def sarif_from_scan(document: dict[str, Any]) -> dict[str, Any]:
    """Convert a ``clearinghouse-scan/1`` document to a SARIF 2.1.0 log with one run."""
    rules: dict[str, dict[str, Any]] = {}
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for component in document["components"]:
        for vulnerability in component["vulnerabilities"]:
            advisory_id = vulnerability["id"]
            if advisory_id not in rules:
                rule_index[advisory_id] = len(rules)
                rules[advisory_id] = _rule(vulnerability)
            fix = component.get("remediation")
            message = (
                f"{component['name']} {component['version']} is affected by {advisory_id}"
                + (f" ({vulnerability['summary']})" if vulnerability.get("summary") else "")
                + (f". Upgrade to {fix}." if fix else ". No fixed version is known.")
                + (" Listed in CISA KEV." if vulnerability.get("kev") else "")
            )
            fingerprint = hashlib.sha256(f"{component['purl']}|{advisory_id}".encode()).hexdigest()
            results.append(
                {
                    "ruleId": advisory_id,
                    "ruleIndex": rule_index[advisory_id],
                    "level": _level(vulnerability),
                    "message": {"text": message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": _uri(component.get("source"))}
                            },
                            "logicalLocations": [{"name": component["purl"], "kind": "module"}],
                        }
                    ],
                    "partialFingerprints": {"clearinghouse/purl-advisory/v1": fingerprint},
                    "properties": {
                        "purl": component["purl"],
                        "fixed": vulnerability["fixed"],
                        "remediation": fix,
                        "kev": vulnerability["kev"],
                        "aliases": vulnerability["aliases"],
                    },
                }
            )
    tool = document.get("tool", {})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "clearinghouse",
                        "version": tool.get("version", "0"),
                        "informationUri": "https://github.com/clearinghouse/clearinghouse",
                        "rules": list(rules.values()),
                    }
                },
                "artifacts": [
                    {"location": {"uri": _uri(s["path"])}} for s in document.get("sources", [])
                ],
                "results": results,
                "invocations": [
                    {"executionSuccessful": True, "endTimeUtc": document["generated_at"]}
                ],
            }
        ],
    }
