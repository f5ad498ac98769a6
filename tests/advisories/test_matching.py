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


def _import(db: Database, tmp_path: Path, records: list[Any] = RECORDS) -> None:
    directory = tmp_path / "osv"
    directory.mkdir()
    for record in records:
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


PRERELEASE_RECORDS = [
    _advisory("PYSEC-10", ("0", "3.0rc1")),  # fixed in a pre-release of 3.0
    _advisory("PYSEC-11", ("4.0", "4.1b2")),  # fixed in a beta of 4.1 ...
    _advisory("PYSEC-12", ("4.1", "4.2rc1")),  # ... whose final release is affected again
    _advisory("PYSEC-13", ("5.0", "5.1a1")),  # 5.1 itself is affected: only the alpha is clean
    _advisory("PYSEC-14", ("5.1", "5.2")),
    _advisory("PYSEC-15", ("5.2.dev0", "5.3")),
    _advisory("PYSEC-16", ("6.0", "6.1rc1")),  # 6.1 and everything above it are affected:
    _advisory("PYSEC-17"),  # only the release candidate is clean
]
PRERELEASE_RECORDS[-1]["affected"][0]["ranges"][0]["events"] = [{"introduced": "6.1"}]


def test_a_final_release_gets_a_final_release_to_upgrade_to(db: Database, tmp_path: Path) -> None:
    """pip skips pre-releases unless asked: so does the upgrade target, where it can."""
    _import(db, tmp_path, PRERELEASE_RECORDS)
    expected = {
        "2.0": "3.0",  # 3.0rc1 announces 3.0, which no advisory affects
        "4.0": "4.2",  # 4.1 (announced by 4.1b2) is inside PYSEC-12; 4.2 (by 4.2rc1) is clean
        "4.1b1": "4.1b2",  # already on a pre-release: the nearest clean version
        "5.0": "5.3",  # 5.1a1 is clean too, but a final release comes first
        "6.0": "6.1rc1",  # no clean final release above 6.0 is known: the pre-release it is
    }
    matcher = Matcher(db)
    results = matcher.scan([_component(v) for v in expected])
    assert {r.component.version: r.remediation for r in results} == expected
    for result in results:
        key = matcher._key(result.component)
        assert key is not None
        relevant = list(matcher._entries[key])
        assert remediation_target(result.component, relevant) == result.remediation


def test_airflow_on_a_final_release_is_sent_to_a_final_release(
    db: Database, tmp_path: Path
) -> None:
    """Real PyPI records state airflow fixes as release candidates (``2.8.3rc1``...)."""
    from clearinghouse.advisories.sources import ZipArchive
    from clearinghouse.versions import is_affected
    from clearinghouse.versions.prereleases import is_prerelease
    from tests.conftest import shared_path

    archive = shared_path("osv", "PyPI", "all.zip")
    AdvisoryImporter(db).import_source(ZipArchive(archive, "PyPI", 1 << 32))
    component = Component("pkg:pypi/apache-airflow@1.10.10", "PyPI", "apache-airflow", "1.10.10")
    (result,) = Matcher(db).scan([component])
    assert result.vulnerable
    target = result.remediation
    assert target is not None
    assert not is_prerelease("pypi", target), target
    import zipfile

    with zipfile.ZipFile(archive) as bundle:
        for name in bundle.namelist():
            record = json.loads(bundle.read(name))
            if record.get("withdrawn"):
                continue
            for affected in record.get("affected", []):
                if affected.get("package", {}).get("name", "").lower() == "apache-airflow":
                    assert not is_affected(affected, target), (record["id"], target)
