"""The upgrade target a scan reports: the lowest stated fix above the current version that no
advisory of the package affects, the same however many components and scans share a Matcher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.matching import Matcher, remediation_target
from clearinghouse.advisories.sources import JsonFiles
from clearinghouse.formats.inventory import Component
from clearinghouse.store import Database


def _advisory(advisory_id: str, *ranges: tuple[str, str], versions: tuple[str, ...] = ()) -> Any:
    events: list[dict[str, str]] = []
    for introduced, fixed in ranges:
        events += [{"introduced": introduced}, {"fixed": fixed}]
    return {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": "2026-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "widget"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "versions": list(versions),
            }
        ],
    }


RECORDS = [
    _advisory("PYSEC-1", ("0", "1.2"), ("2.0", "2.0.3")),
    _advisory("PYSEC-2", ("1.0", "1.3"), ("2.0", "2.1")),
    _advisory("PYSEC-3", ("0", "1.1"), versions=("1.4",)),
    _advisory("PYSEC-4", ("1.5", "1.6")),
]
"""Fixes stated: 1.1, 1.2, 1.3, 1.6, 2.0.3, 2.1. 1.1 and 1.2 are still inside PYSEC-2."""

EXPECTED = {
    "0.9": "1.3",  # 1.1 and 1.2 are affected by PYSEC-2
    "1.0": "1.3",
    "1.2.5": "1.3",
    "1.4": "1.6",  # listed in PYSEC-3: affected; 1.6 is above every range
    "1.5": "1.6",
    "2.0": "2.1",  # 2.0.3 is still inside PYSEC-2
    "2.0.5": "2.1",
}


def _import(db: Database, tmp_path: Path) -> None:
    directory = tmp_path / "osv"
    directory.mkdir()
    for record in RECORDS:
        (directory / f"{record['id']}.json").write_text(json.dumps(record))
    AdvisoryImporter(db).import_source(JsonFiles(directory, "PyPI"))


def _component(version: str) -> Component:
    return Component(f"pkg:pypi/widget@{version}", "PyPI", "widget", version)


def test_upgrade_targets_of_many_versions_in_one_warm_matcher(db: Database, tmp_path: Path) -> None:
    _import(db, tmp_path)
    matcher = Matcher(db)
    versions = list(EXPECTED)
    for order in (versions, versions[::-1], versions):  # remembered verdicts, any order
        results = matcher.scan([_component(v) for v in order])
        assert {r.component.version: r.remediation for r in results} == {
            v: EXPECTED[v] for v in order
        }
    fresh = Matcher(db).scan([_component(v) for v in versions])
    for result in fresh:
        key = matcher._key(result.component)
        assert key is not None
        relevant = list(matcher._entries[key])
        assert remediation_target(result.component, relevant) == result.remediation


def test_a_version_with_no_clean_fix_above_it_has_no_target(db: Database, tmp_path: Path) -> None:
    _import(db, tmp_path)
    matcher = Matcher(db)
    (result,) = matcher.scan([_component("2.0.4")])
    assert result.vulnerable
    assert result.remediation == "2.1"
    (clean,) = matcher.scan([_component("2.1")])
    assert not clean.vulnerable
    assert clean.remediation is None
