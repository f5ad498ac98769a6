"""CVE JSON 5.x records (``dataType: CVE_RECORD``) as findings: one per record.

Pure core. Accepts one record, a JSON array of records, or JSON Lines. From the CNA container
(and ADP containers for CWE and CVSS a CNA left out) it takes the English description, the
title, ``problemTypes`` CWE ids, ``metrics`` CVSS vectors (v3.0, v3.1, v4.0), references and
``affected[]``: a product whose ``collectionURL`` names a package registry (or whose
``packageURL`` is a purl) becomes an OSV affected entry; its ``versions[]`` with status
``affected`` become ranges — ``version`` .. ``lessThan`` (fixed) or ``lessThanOrEqual``
(last affected) — or single versions. Rejected records are refused, not turned into findings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import (
    RejectedFinding,
    ReportedFinding,
    normalise_cwe,
)
from clearinghouse.formats.safety import loads_json

__all__ = ["COLLECTION_ECOSYSTEMS", "looks_like_cve5", "parse_cve5"]

COLLECTION_ECOSYSTEMS = {
    "pypi.org": "PyPI",
    "pypi.python.org": "PyPI",
    "www.npmjs.com": "npm",
    "npmjs.com": "npm",
    "registry.npmjs.org": "npm",
    "pkg.go.dev": "Go",
    "proxy.golang.org": "Go",
    "crates.io": "crates.io",
    "repo.maven.apache.org": "Maven",
    "repo1.maven.org": "Maven",
    "search.maven.org": "Maven",
    "rubygems.org": "RubyGems",
    "packagist.org": "Packagist",
    "www.nuget.org": "NuGet",
    "nuget.org": "NuGet",
    "hex.pm": "Hex",
    "pub.dev": "Pub",
    "cran.r-project.org": "CRAN",
    "hackage.haskell.org": "Hackage",
}
"""``collectionURL`` host -> OSV ecosystem (the registries CVE 5 names in its examples)."""

_UNBOUNDED = {"0", "*", "", "n/a", "unspecified"}


def looks_like_cve5(document: Any) -> bool:
    if isinstance(document, list):
        return bool(document) and all(looks_like_cve5(d) for d in document[:3])
    return (
        isinstance(document, Mapping)
        and document.get("dataType") == "CVE_RECORD"
        and isinstance(document.get("cveMetadata"), Mapping)
    )


def _english(descriptions: Any) -> str:
    fallback = ""
    for item in descriptions if isinstance(descriptions, list) else ():
        if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
            continue
        if str(item.get("lang", "")).lower().startswith("en"):
            return str(item["value"]).strip()
        fallback = fallback or str(item["value"]).strip()
    return fallback


def _ecosystem(product: Mapping[str, Any]) -> tuple[str, str] | None:
    from urllib.parse import urlsplit

    from clearinghouse.ecosystems import package_from_purl

    purl = product.get("packageURL")
    if isinstance(purl, str) and purl.startswith("pkg:"):
        try:
            package = package_from_purl(purl)
        except ValueError:
            package = None
        if package is not None:
            return package.ecosystem, package.name
    url = product.get("collectionURL")
    name = product.get("packageName")
    if not isinstance(url, str) or not isinstance(name, str) or not name.strip():
        return None
    host = urlsplit(url if "://" in url else f"https://{url}").hostname or ""
    ecosystem = COLLECTION_ECOSYSTEMS.get(host.lower())
    return (ecosystem, name.strip()) if ecosystem else None


def _version_events(versions: Any) -> tuple[list[dict[str, str]], list[str]]:
    events: list[dict[str, str]] = []
    exact: list[str] = []
    for item in versions if isinstance(versions, list) else ():
        if not isinstance(item, Mapping) or item.get("status") != "affected":
            continue
        version = str(item.get("version", "")).strip()
        start = "0" if version.lower() in _UNBOUNDED else version
        if isinstance(item.get("lessThan"), str) and item["lessThan"].strip() not in _UNBOUNDED:
            events += [{"introduced": start}, {"fixed": item["lessThan"].strip()}]
        elif isinstance(item.get("lessThanOrEqual"), str):
            bound = item["lessThanOrEqual"].strip()
            events.append({"introduced": start})
            if bound not in _UNBOUNDED:
                events.append({"last_affected": bound})
        elif isinstance(item.get("lessThan"), str):
            events.append({"introduced": start})
        elif version and version.lower() not in _UNBOUNDED:
            exact.append(version)
    return events, exact


def _affected(containers: list[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    entries: list[dict[str, Any]] = []
    for container in containers:
        for product in container.get("affected") or ():
            if not isinstance(product, Mapping):
                continue
            package = _ecosystem(product)
            if package is None:
                continue
            events, exact = _version_events(product.get("versions"))
            entry: dict[str, Any] = {"package": {"ecosystem": package[0], "name": package[1]}}
            if events:
                entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
            if exact:
                entry["versions"] = exact
            entries.append(entry)
        if entries:
            break  # the CNA's statement wins over ADP enrichments
    return tuple(entries)


def _cwes(containers: list[Mapping[str, Any]]) -> list[str]:
    found: list[str] = []
    for container in containers:
        for problem in container.get("problemTypes") or ():
            for description in (
                problem.get("descriptions") or () if isinstance(problem, Mapping) else ()
            ):
                if isinstance(description, Mapping):
                    cwe = normalise_cwe(description.get("cweId"))
                    if cwe:
                        found.append(cwe)
    return list(dict.fromkeys(found))


def _vectors(containers: list[Mapping[str, Any]]) -> list[str]:
    found: list[str] = []
    for container in containers:
        for metric in container.get("metrics") or ():
            if not isinstance(metric, Mapping):
                continue
            for key in ("cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"):
                block = metric.get(key)
                if isinstance(block, Mapping) and isinstance(block.get("vectorString"), str):
                    found.append(block["vectorString"])
    return list(dict.fromkeys(found))


def _finding(index: int, record: Any) -> ReportedFinding | RejectedFinding:
    if not looks_like_cve5(record) or not isinstance(record, Mapping):
        return RejectedFinding(index, "not a CVE JSON 5 record (dataType CVE_RECORD)")
    version = str(record.get("dataVersion", ""))
    if not version.startswith("5."):
        return RejectedFinding(index, f"CVE record dataVersion {version!r} is not 5.x")
    metadata = record["cveMetadata"]
    cve_id = metadata.get("cveId")
    if not isinstance(cve_id, str) or not cve_id.startswith("CVE-"):
        return RejectedFinding(index, "cveMetadata.cveId is missing or not a CVE id")
    if metadata.get("state") == "REJECTED":
        return RejectedFinding(index, f"{cve_id} is a REJECTED CVE record")
    containers_raw = record.get("containers")
    if not isinstance(containers_raw, Mapping) or not isinstance(
        containers_raw.get("cna"), Mapping
    ):
        return RejectedFinding(index, f"{cve_id} has no containers.cna")
    adp = containers_raw.get("adp")
    containers = [containers_raw["cna"]] + [
        a for a in (adp if isinstance(adp, list) else ()) if isinstance(a, Mapping)
    ]
    cna = containers_raw["cna"]
    description = _english(cna.get("descriptions"))
    title = cna.get("title") if isinstance(cna.get("title"), str) else None
    title = (title or description.split("\n", 1)[0] or cve_id).strip()[:500]
    references = [
        r["url"]
        for r in cna.get("references") or ()
        if isinstance(r, Mapping) and isinstance(r.get("url"), str)
    ]
    return ReportedFinding(
        index=index,
        format="cve5",
        title=title,
        description=description,
        external_id=cve_id,
        aliases=(cve_id,),
        affected=_affected(containers),
        cwes=tuple(_cwes(containers)),
        cvss_vectors=tuple(_vectors(containers)),
        tool_name=str(metadata.get("assignerShortName") or "") or None,
        references=tuple(references),
        raw=dict(record),
    )


def parse_cve5(
    source: str, data: bytes | Any, *, max_findings: int
) -> Iterator[ReportedFinding | RejectedFinding]:
    """Yield one finding per CVE record (a record, an array of records, or JSON Lines)."""
    if isinstance(data, bytes | str):
        raw = data.encode() if isinstance(data, str) else data
        stripped = raw.strip()
        if stripped.startswith(b"{") and b"\n{" in stripped:
            records: Any = [
                loads_json(f"{source}:{n}", line)
                for n, line in enumerate(stripped.split(b"\n"), start=1)
                if line.strip()
            ]
        else:
            records = loads_json(source, raw)
    else:
        records = data
    if isinstance(records, Mapping):
        records = [records]
    if not isinstance(records, list):
        raise InputError(source, "expected a CVE JSON 5 record or an array of them")
    if len(records) > max_findings:
        raise InputError(
            source,
            f"holds {len(records)} records; at most {max_findings} findings are accepted "
            "per request",
            status=413,
        )
    for index, record in enumerate(records):
        yield _finding(index, record)
