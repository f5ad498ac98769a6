"""SARIF 2.1.0 logs as findings (CodeQL, Semgrep, Bandit, SpotBugs, govulncheck, ...).

Pure core. Each ``runs[].results[]`` entry becomes one finding, yielded as it is reached, with
what the log says about it resolved the way SARIF defines: the rule by ``ruleId``/``ruleIndex``
(``rule.index``/``rule.toolComponent`` for extensions), the message by ``text`` or by ``id`` into
the rule's ``messageStrings`` with ``{0}`` arguments, the location's ``artifactLocation`` by
``index`` into ``run.artifacts``, CWE ids from the rule's tags, relationships and taxa,
package URLs from logical locations, and well-known vulnerability ids from rule ids.
``fingerprints``/``partialFingerprints`` are kept for exact deduplication.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import (
    RejectedFinding,
    ReportedFinding,
    aliases_in,
    normalise_cwe,
)
from clearinghouse.formats.safety import loads_json

__all__ = ["looks_like_sarif", "parse_sarif_findings"]

_CWE_TAG = re.compile(r"cwe[-/_ :]*0*(\d{1,6})", re.IGNORECASE)
_ARGUMENT = re.compile(r"\{(\d+)\}")
_MAX_TEXT = 64 * 1024


def looks_like_sarif(document: Any) -> bool:
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("runs"), list)
        and (str(document.get("version", "")).startswith("2.") or "$schema" in document)
    )


def _text_of(message: Any, rule: Mapping[str, Any] | None) -> str:
    if not isinstance(message, Mapping):
        return ""
    text = message.get("text")
    if not isinstance(text, str) and rule is not None and isinstance(message.get("id"), str):
        strings = rule.get("messageStrings")
        if isinstance(strings, Mapping):
            entry = strings.get(message["id"])
            if isinstance(entry, Mapping):
                text = entry.get("text")
    if not isinstance(text, str):
        return ""
    arguments = message.get("arguments")
    if isinstance(arguments, list):
        args = [str(a) for a in arguments]
        text = _ARGUMENT.sub(
            lambda m: args[int(m.group(1))] if int(m.group(1)) < len(args) else m.group(0),
            text,
        )
    return text


def _description(rule: Mapping[str, Any] | None) -> str:
    if rule is None:
        return ""
    for key in ("fullDescription", "shortDescription", "help"):
        value = rule.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("text"), str):
            return str(value["text"])
    return ""


def _cwes(*sources: Any) -> list[str]:
    found: list[str] = []
    for source in sources:
        if isinstance(source, Mapping):
            for key in ("tags", "cwe", "cwes", "CWE"):
                found.extend(_cwes(source.get(key)))
            if "cweId" in source:
                cwe = normalise_cwe(str(source["cweId"]))
                if cwe:
                    found.append(cwe)
        elif isinstance(source, list):
            for item in source:
                found.extend(_cwes(item))
        elif isinstance(source, str):
            found.extend(f"CWE-{int(m.group(1))}" for m in _CWE_TAG.finditer(source))
        elif isinstance(source, int) and not isinstance(source, bool):
            found.append(f"CWE-{source}")
    return found


def _relationship_cwes(rule: Mapping[str, Any] | None) -> list[str]:
    found: list[str] = []
    relationships = rule.get("relationships") if rule else None
    for rel in relationships if isinstance(relationships, list) else ():
        target = rel.get("target") if isinstance(rel, Mapping) else None
        if not isinstance(target, Mapping):
            continue
        component = target.get("toolComponent")
        name = component.get("name") if isinstance(component, Mapping) else None
        if isinstance(name, str) and name.upper() == "CWE":
            cwe = normalise_cwe(str(target.get("id", "")))
            if cwe:
                found.append(cwe)
    return found


def _vectors(*sources: Any) -> list[str]:
    found: list[str] = []
    for source in sources:
        if isinstance(source, Mapping):
            for value in source.values():
                if isinstance(value, str) and value.startswith("CVSS:"):
                    found.append(value)
    return found


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Run:
    def __init__(self, run: Mapping[str, Any]) -> None:
        tool = _mapping(run.get("tool"))
        driver = _mapping(tool.get("driver"))
        self.tool_name = driver.get("name") if isinstance(driver.get("name"), str) else None
        version = driver.get("semanticVersion") or driver.get("version")
        self.tool_version = str(version) if isinstance(version, str | int | float) else None
        self.rules = self._rules(driver)
        self.extension_rules = [
            self._rules(ext) if isinstance(ext, Mapping) else []
            for ext in _list(tool.get("extensions"))
        ]
        self.by_id: dict[str, Mapping[str, Any]] = {}
        for rules in (self.rules, *self.extension_rules):
            for rule in rules:
                if isinstance(rule.get("id"), str):
                    self.by_id.setdefault(rule["id"], rule)
        artifacts = run.get("artifacts")
        self.artifacts = artifacts if isinstance(artifacts, list) else []
        self.taxa_cwes = self._taxa(run)
        self.repository: str | None = None
        for provenance in run.get("versionControlProvenance") or ():
            if isinstance(provenance, Mapping) and isinstance(provenance.get("repositoryUri"), str):
                self.repository = provenance["repositoryUri"]
                break

    @staticmethod
    def _rules(component: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        rules = component.get("rules")
        return [r for r in rules if isinstance(r, Mapping)] if isinstance(rules, list) else []

    @staticmethod
    def _taxa(run: Mapping[str, Any]) -> dict[str, str]:
        cwes: dict[str, str] = {}
        taxonomies = run.get("taxonomies")
        for taxonomy in taxonomies if isinstance(taxonomies, list) else ():
            if not isinstance(taxonomy, Mapping) or str(taxonomy.get("name", "")).upper() != "CWE":
                continue
            for taxon in taxonomy.get("taxa") or ():
                if isinstance(taxon, Mapping) and isinstance(taxon.get("id"), str):
                    cwe = normalise_cwe(taxon["id"])
                    if cwe:
                        cwes[taxon["id"]] = cwe
        return cwes

    def rule_for(self, result: Mapping[str, Any]) -> Mapping[str, Any] | None:
        ref = _mapping(result.get("rule"))
        index = result.get("ruleIndex", ref.get("index"))
        component = ref.get("toolComponent")
        rules = self.rules
        if isinstance(component, Mapping) and isinstance(component.get("index"), int):
            position = component["index"]
            if 0 <= position < len(self.extension_rules):
                rules = self.extension_rules[position]
        if isinstance(index, int) and 0 <= index < len(rules):
            return rules[index]
        rule_id = result.get("ruleId", ref.get("id"))
        if isinstance(rule_id, str):
            return self.by_id.get(rule_id) or self.by_id.get(rule_id.split("/", 1)[0])
        return None

    def location(self, result: Mapping[str, Any]) -> tuple[str | None, list[str]]:
        purls: list[str] = []
        where: str | None = None
        locations = result.get("locations")
        for location in locations if isinstance(locations, list) else ():
            if not isinstance(location, Mapping):
                continue
            for logical in location.get("logicalLocations") or ():
                if isinstance(logical, Mapping):
                    name = logical.get("fullyQualifiedName") or logical.get("name")
                    if isinstance(name, str) and name.startswith("pkg:"):
                        purls.append(name)
            physical = location.get("physicalLocation")
            if where is None and isinstance(physical, Mapping):
                where = self._physical(physical)
        return where, purls

    def _physical(self, physical: Mapping[str, Any]) -> str | None:
        artifact = physical.get("artifactLocation")
        if not isinstance(artifact, Mapping):
            return None
        uri = artifact.get("uri")
        index = artifact.get("index")
        if not isinstance(uri, str) and isinstance(index, int) and 0 <= index < len(self.artifacts):
            listed = self.artifacts[index]
            loc = listed.get("location") if isinstance(listed, Mapping) else None
            uri = loc.get("uri") if isinstance(loc, Mapping) else None
        if not isinstance(uri, str):
            return None
        region = physical.get("region")
        line = region.get("startLine") if isinstance(region, Mapping) else None
        return f"{uri}:{line}" if isinstance(line, int) else uri


def _fingerprints(result: Mapping[str, Any]) -> dict[str, str]:
    prints: dict[str, str] = {}
    for key in ("fingerprints", "partialFingerprints"):
        value = result.get(key)
        if isinstance(value, Mapping):
            for name, digest in value.items():
                if isinstance(digest, str) and digest:
                    prints[f"{key}/{name}"] = digest
    if isinstance(result.get("guid"), str):
        prints["guid"] = result["guid"]
    return prints


def _packages(purls: list[str]) -> tuple[dict[str, Any], ...]:
    from clearinghouse.ecosystems import package_from_purl

    entries: list[dict[str, Any]] = []
    for purl in dict.fromkeys(purls):
        try:
            package = package_from_purl(purl)
        except ValueError:
            continue
        if package is None:
            continue
        entry: dict[str, Any] = {
            "package": {
                "ecosystem": package.ecosystem,
                "name": package.name,
                "purl": purl.split("@", 1)[0].split("?", 1)[0],
            }
        }
        if package.version:
            entry["versions"] = [package.version]
        entries.append(entry)
    return tuple(entries)


def _finding(
    index: int, run: _Run, result: Any, run_index: int, position: int
) -> ReportedFinding | RejectedFinding:
    where = f"runs[{run_index}].results[{position}]"
    if not isinstance(result, Mapping):
        return RejectedFinding(index, f"{where} is not a SARIF result object")
    rule = run.rule_for(result)
    rule_id = result.get("ruleId")
    if not isinstance(rule_id, str):
        rule_id = rule.get("id") if rule and isinstance(rule.get("id"), str) else None
    message = _text_of(result.get("message"), rule)
    description = _description(rule)
    if not message and not description:
        return RejectedFinding(index, f"{where} has no message text and no rule description")
    short = rule.get("shortDescription") if rule else None
    rule_title = short.get("text") if isinstance(short, Mapping) else None
    title = (message or str(rule_title or description)).strip().split("\n", 1)[0][:500]
    location, purls = run.location(result)
    rule_props = (
        rule.get("properties") if rule and isinstance(rule.get("properties"), Mapping) else {}
    )
    result_props = result.get("properties")
    result_props = result_props if isinstance(result_props, Mapping) else {}
    taxa = result.get("taxa")
    cwes = (
        _cwes(rule_id or "", rule_props, result_props)
        + _relationship_cwes(rule)
        + [
            run.taxa_cwes[t["id"]]
            for t in (taxa if isinstance(taxa, list) else ())
            if isinstance(t, Mapping) and t.get("id") in run.taxa_cwes
        ]
    )
    aliases = aliases_in(rule_id or "") + aliases_in(str(rule_title or ""))
    help_uri = rule.get("helpUri") if rule else None
    return ReportedFinding(
        index=index,
        format="sarif",
        title=title or (rule_id or "SARIF result"),
        description="\n\n".join(t for t in (message, description) if t)[:_MAX_TEXT],
        external_id=result.get("guid") if isinstance(result.get("guid"), str) else None,
        aliases=tuple(dict.fromkeys(aliases)),
        affected=_packages(purls),
        cwes=tuple(dict.fromkeys(cwes)),
        cvss_vectors=tuple(dict.fromkeys(_vectors(rule_props, result_props))),
        rule_id=rule_id,
        location=location,
        fingerprints=_fingerprints(result),
        repository=run.repository,
        tool_name=run.tool_name,
        tool_version=run.tool_version,
        references=(help_uri,) if isinstance(help_uri, str) else (),
        raw=dict(result),
    )


def parse_sarif_findings(
    source: str, data: bytes | Any, *, max_findings: int
) -> Iterator[ReportedFinding | RejectedFinding]:
    """Yield one finding per SARIF result, in log order; InputError for a log that is not one."""
    document = loads_json(source, data) if isinstance(data, bytes | str) else data
    if not isinstance(document, Mapping):
        raise InputError(source, "a SARIF log must be a JSON object")
    version = document.get("version")
    if version != "2.1.0":
        raise InputError(source, f"SARIF version {version!r} is not supported (only 2.1.0)")
    runs = document.get("runs")
    if not isinstance(runs, list):
        raise InputError(source, "SARIF log has no runs array")
    total = sum(
        len(r["results"])
        for r in runs
        if isinstance(r, Mapping) and isinstance(r.get("results"), list)
    )
    if total > max_findings:
        raise InputError(
            source,
            f"holds {total} results; at most {max_findings} findings are accepted per request",
            status=413,
        )
    index = 0
    for run_index, raw_run in enumerate(runs):
        if not isinstance(raw_run, Mapping):
            raise InputError(source, f"runs[{run_index}] is not an object")
        results = raw_run.get("results")
        if results is None:
            continue
        if not isinstance(results, list):
            raise InputError(source, f"runs[{run_index}].results is not an array")
        run = _Run(raw_run)
        for position, result in enumerate(results):
            yield _finding(index, run, result, run_index, position)
            index += 1
