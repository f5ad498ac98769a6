"""OSV range evaluation: synthetic entries for each rule, then real records."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from clearinghouse.versions import AffectedRanges, compile_affected, is_affected
from tests.conftest import shared_path


def entry(
    ecosystem: str, *ranges: dict[str, Any], versions: list[str] | None = None
) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": "pkg"}}
    affected["ranges"] = list(ranges)
    if versions is not None:
        affected["versions"] = versions
    return affected


def ecosystem_range(*events: dict[str, str], kind: str = "ECOSYSTEM") -> dict[str, Any]:
    return {"type": kind, "events": list(events)}


def test_introduced_zero_to_fixed() -> None:
    compiled = compile_affected(
        entry("PyPI", ecosystem_range({"introduced": "0"}, {"fixed": "2.0"}))
    )
    assert compiled.contains("0.0.1") is True
    assert compiled.contains("1.9.9") is True
    assert compiled.contains("2.0rc1") is True
    assert compiled.contains("2.0") is False
    assert compiled.contains("2.0.1") is False


def test_last_affected_is_inclusive() -> None:
    compiled = compile_affected(
        entry("npm", ecosystem_range({"introduced": "1.0.0"}, {"last_affected": "1.4.2"}))
    )
    assert [compiled.contains(v) for v in ("0.9.0", "1.0.0", "1.4.2", "1.4.3")] == [
        False,
        True,
        True,
        False,
    ]


def test_unsorted_events_with_several_intervals() -> None:
    compiled = compile_affected(
        entry(
            "Maven",
            ecosystem_range(
                {"fixed": "2.9.10.8"},
                {"introduced": "2.10.0"},
                {"introduced": "2.0.0"},
                {"fixed": "2.11.4"},
            ),
        )
    )
    assert compiled.contains("1.9") is False
    assert compiled.contains("2.9.10.7") is True
    assert compiled.contains("2.9.10.8") is False
    assert compiled.contains("2.10.0-rc1") is False
    assert compiled.contains("2.10.5") is True
    assert compiled.contains("2.11.4") is False


def test_abutting_intervals_in_one_range_leave_the_shared_bound_affected() -> None:
    # BIT-vault-2021-3282: "Vault 1.6.0 & 1.6.1 ... Fixed in 1.6.2", written [1.6.0, 1.6.1)
    # and [1.6.1, 1.6.2) in one range.
    vault = compile_affected(
        entry(
            "Bitnami",
            ecosystem_range(
                {"introduced": "1.6.0"},
                {"fixed": "1.6.1"},
                {"introduced": "1.6.1"},
                {"fixed": "1.6.2"},
                kind="SEMVER",
            ),
        )
    )
    assert [vault.contains(v) for v in ("1.5.9", "1.6.0", "1.6.1", "1.6.2")] == [
        False,
        True,
        True,
        False,
    ]
    assert vault.fixed == ("1.6.1", "1.6.2")


def test_an_empty_interval_affects_nothing() -> None:
    # RUSTSEC-2024-0399 writes [0.23.0, 0.23.0) before its real interval [0.23.13, 0.23.18).
    compiled = compile_affected(
        entry(
            "crates.io",
            ecosystem_range(
                {"introduced": "0.23.0"},
                {"fixed": "0.23.0"},
                {"introduced": "0.23.13"},
                {"fixed": "0.23.18"},
                kind="SEMVER",
            ),
        )
    )
    assert [compiled.contains(v) for v in ("0.22.9", "0.23.0", "0.23.5", "0.23.13")] == [
        False,
        False,
        False,
        True,
    ]
    assert compiled.contains("0.23.18") is False


def test_limit_bounds_the_range() -> None:
    compiled = compile_affected(
        entry("Go", ecosystem_range({"introduced": "0"}, {"limit": "1.5.0"}))
    )
    assert compiled.contains("1.4.9") is True
    assert compiled.contains("1.5.0") is False
    unlimited = compile_affected(
        entry("Go", ecosystem_range({"introduced": "1.0.0"}, {"limit": "*"}))
    )
    assert unlimited.contains("9.0.0") is True


def test_semver_ranges_use_semver_even_in_go_with_a_leading_v() -> None:
    compiled = compile_affected(
        entry("Go", ecosystem_range({"introduced": "0"}, {"fixed": "1.2.0"}, kind="SEMVER"))
    )
    assert compiled.contains("v1.1.9") is True
    assert compiled.contains("1.2.0-rc.1") is True
    assert compiled.contains("v1.2.0") is False


def test_ecosystem_ranges_use_the_ecosystem_order() -> None:
    debian = compile_affected(
        entry("Debian:12", ecosystem_range({"introduced": "0"}, {"fixed": "1.2-3"}))
    )
    assert debian.contains("1.2-3~deb12u1") is True
    assert debian.contains("1:0.1-1") is False


def test_versions_list_makes_a_version_affected() -> None:
    compiled = compile_affected(
        entry("PyPI", ecosystem_range({"introduced": "0"}, {"fixed": "1.0"}), versions=["1.5"])
    )
    assert compiled.contains("1.5") is True
    assert compiled.contains("1.5.0") is True
    assert compiled.contains("1.6") is False


def test_git_only_entry_cannot_be_evaluated() -> None:
    git = {"type": "GIT", "repo": "https://example.org/r.git", "events": [{"introduced": "0"}]}
    compiled = compile_affected(
        {"package": {"ecosystem": "OSS-Fuzz", "name": "x"}, "ranges": [git]}
    )
    assert compiled.evaluable is False
    assert compiled.contains("1.0") is None
    assert is_affected({"ranges": [git]}, "1.0") is False
    assert compiled.git_ranges == (git,)


def test_git_ranges_with_a_versions_list_use_the_list() -> None:
    git = {"type": "GIT", "repo": "https://example.org/r.git", "events": [{"introduced": "abc"}]}
    compiled = compile_affected(
        {"package": {"ecosystem": "OSS-Fuzz", "name": "x"}, "ranges": [git], "versions": ["v1.0"]}
    )
    assert compiled.evaluable is True
    assert compiled.contains("v1.0") is True
    assert compiled.contains("v1.1") is False


def test_fixed_and_last_affected_are_kept_as_written() -> None:
    compiled = compile_affected(
        entry(
            "PyPI",
            ecosystem_range(
                {"introduced": "0"}, {"fixed": "1.0.0"}, {"introduced": "2"}, {"fixed": "2.1"}
            ),
            ecosystem_range({"introduced": "3"}, {"last_affected": "3.2"}),
        )
    )
    assert compiled.fixed == ("1.0.0", "2.1")
    assert compiled.last_affected == ("3.2",)
    assert compiled.ecosystem == "PyPI"


def test_malformed_parts_are_skipped() -> None:
    compiled = compile_affected(
        {
            "package": {"ecosystem": "npm", "name": "x"},
            "ranges": [
                "junk",
                {
                    "type": "ECOSYSTEM",
                    "events": [7, {"introduced": 3}, {"fixed": "2.0.0"}, {"introduced": "1.0.0"}],
                },
            ],
            "versions": [None, "0.1.0"],
        }
    )
    assert compiled.contains("1.5.0") is True
    assert compiled.contains("0.1.0") is True
    assert compiled.contains("0.2.0") is False


def test_unknown_ecosystem_ranges_are_not_evaluated() -> None:
    compiled = compile_affected(entry("NoSuchEcosystem", ecosystem_range({"introduced": "0"})))
    assert compiled.evaluable is False
    assert compiled.contains("1.0") is None


def records(ecosystem: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
    with zipfile.ZipFile(shared_path("osv", ecosystem, "all.zip")) as archive:
        for name in sorted(archive.namelist())[:limit]:
            yield json.loads(archive.read(name))


def listed_versions_outside_ranges(
    ecosystem: str, limit: int | None = None
) -> tuple[int, list[str]]:
    """Check every version an entry lists against the entry's ranges alone."""
    checked, misses = 0, []
    for record in records(ecosystem, limit):
        for affected in record.get("affected", []):
            versions = affected.get("versions") or []
            if not any(
                r.get("type") in ("ECOSYSTEM", "SEMVER") for r in affected.get("ranges", [])
            ):
                continue
            ranges_only: AffectedRanges = compile_affected({**affected, "versions": []})
            for version in versions:
                checked += 1
                if not ranges_only.contains(version):
                    misses.append(f"{record['id']} {version}")
    return checked, misses


def test_cran_listed_versions_are_inside_their_ranges() -> None:
    checked, misses = listed_versions_outside_ranges("CRAN")
    assert checked > 100
    assert misses == []


def test_pypi_listed_versions_are_inside_their_ranges_sample() -> None:
    checked, misses = listed_versions_outside_ranges("PyPI", limit=400)
    assert checked > 10_000
    assert misses == []


@pytest.mark.slow
def test_pypi_listed_versions_are_inside_their_ranges_all() -> None:
    checked, misses = listed_versions_outside_ranges("PyPI")
    # The only misses are records whose own data disagrees (see docs/oracle.md): overlapping
    # intervals in one range (PYSEC-2021-114), a listed version equal to the fix
    # (PYSEC-2023-177), or pre-releases listed although the range starts at the final release
    # (PYSEC-2023-61: introduced 3.2, lists 3.2a1).
    inconsistent = {"PYSEC-2021-114", "PYSEC-2023-177", "PYSEC-2023-61"}
    assert checked > 140_000
    assert {m.split()[0] for m in misses} <= inconsistent, misses


def test_oss_fuzz_entries_are_decided_by_their_versions_lists() -> None:
    seen = 0
    for record in records("OSS-Fuzz", limit=200):
        for affected in record.get("affected", []):
            compiled = compile_affected(affected)
            if affected.get("versions"):
                seen += 1
                assert compiled.evaluable is True
                assert compiled.contains(affected["versions"][0]) is True
            elif all(r.get("type") == "GIT" for r in affected.get("ranges", [])):
                assert compiled.contains("1.0") is None
    assert seen > 50


def test_go_record_boundaries() -> None:
    checked = 0
    for record in records("Go", limit=300):
        for affected in record.get("affected", []):
            compiled = compile_affected(affected)
            for raw in affected.get("ranges", []):
                events = raw.get("events", [])
                if [list(e) for e in events] != [["introduced"], ["fixed"]]:
                    continue
                introduced, fixed = events[0]["introduced"], events[1]["fixed"]
                if len(affected["ranges"]) != 1 or introduced == "0":
                    continue
                checked += 1
                assert compiled.contains(introduced) is True, record["id"]
                assert compiled.contains(fixed) is False, record["id"]
    assert checked > 20
