"""The data's own oracle: records that list affected ``versions`` next to their ``ranges``.

Every ``affected[]`` entry in every ``../shared/data/osv/*/all.zip`` that lists ``versions`` and
has ``ECOSYSTEM``/``SEMVER`` ranges we can evaluate is checked twice, with the list removed so
that only the ranges decide:

(a) every listed version is affected by the ranges;
(b) every ``fixed`` version is not affected by the ranges, unless the record also lists it.

Entries whose ranges cannot decide anything (only ``GIT`` ranges, or none) must be reported as
not evaluated by the ranges and affected through their list.

The records where the two halves of the data disagree are known and explained one by one in
``docs/oracle.md``; the test asserts that exact set, so a regression in version ordering or range
evaluation, or a new unexplained disagreement, fails. Run this module (``python -m
tests.advisories.test_oracle``) or pytest with ``-s`` to see the agreement per ecosystem.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from clearinghouse.ecosystems import base_ecosystem
from clearinghouse.versions import compile_affected
from tests.conftest import REPO, shared_path

LISTED_OUTSIDE_RANGES = "listed version not affected by the ranges"
FIXED_INSIDE_RANGES = "fixed version affected by the ranges"


@dataclass(frozen=True, order=True)
class Disagreement:
    record_id: str
    package: str
    check: str
    versions: tuple[str, ...]


KNOWN_DISAGREEMENTS = frozenset(
    {
        Disagreement("PYSEC-2021-114", "wagtail", LISTED_OUTSIDE_RANGES, ("2.11.6",)),
        Disagreement(
            "PYSEC-2023-61",
            "django",
            LISTED_OUTSIDE_RANGES,
            ("3.2a1", "3.2b1", "3.2rc1", "4.2a1", "4.2b1", "4.2rc1"),
        ),
        Disagreement("PYSEC-2023-177", "gevent", LISTED_OUTSIDE_RANGES, ("23.9.0", "23.9.0.post1")),
        Disagreement("PYSEC-2023-72", "pyspark", FIXED_INSIDE_RANGES, ("3.2.0",)),
        Disagreement("PYSEC-2022-42972", "apache-iotdb", FIXED_INSIDE_RANGES, ("0.13.0",)),
    }
)
"""Every disagreement in the shared data; each one is explained in docs/oracle.md."""


@dataclass
class Agreement:
    """Counts for one ecosystem (the entry's ``package.ecosystem`` without its release)."""

    records: set[str] = field(default_factory=set)
    listed_checked: int = 0
    listed_agreeing: int = 0
    fixed_checked: int = 0
    fixed_agreeing: int = 0
    list_only_entries: int = 0
    """Entries with ``versions`` whose ranges decide nothing (only GIT ranges, or none)."""
    list_only_agreeing: int = 0


@dataclass
class Oracle:
    archives: dict[str, int] = field(default_factory=dict)
    """Records walked per ``all.zip`` folder."""
    ecosystems: dict[str, Agreement] = field(default_factory=dict)
    disagreements: set[Disagreement] = field(default_factory=set)
    list_only_failures: list[str] = field(default_factory=list)

    def agreement(self, ecosystem: str) -> Agreement:
        return self.ecosystems.setdefault(ecosystem, Agreement())


def _records(archive: Path) -> Iterator[dict[str, Any]]:
    with zipfile.ZipFile(archive) as members:
        for name in members.namelist():
            if name.endswith(".json"):
                yield orjson.loads(members.read(name))


def _check_entry(oracle: Oracle, record_id: str, entry: Mapping[str, Any]) -> None:
    versions = [v for v in entry["versions"] if isinstance(v, str)]
    package = entry.get("package") or {}
    ecosystem = base_ecosystem(package.get("ecosystem", "")) or "(no package)"
    name = package.get("name", "")
    ranges_only = compile_affected({k: v for k, v in entry.items() if k != "versions"})
    counts = oracle.agreement(ecosystem)
    counts.records.add(record_id)
    if not ranges_only.ranges:
        with_list = compile_affected(entry)
        counts.list_only_entries += 1
        wrong = [
            v for v in versions if ranges_only.contains(v) is not None or not with_list.contains(v)
        ]
        if wrong:
            oracle.list_only_failures.append(f"{record_id} {name}: {wrong}")
        else:
            counts.list_only_agreeing += 1
        return
    outside = tuple(v for v in versions if ranges_only.contains(v) is not True)
    counts.listed_checked += len(versions)
    counts.listed_agreeing += len(versions) - len(outside)
    listed = set(versions)
    fixed = [f for f in ranges_only.fixed if f not in listed]
    inside = tuple(f for f in fixed if ranges_only.contains(f))
    counts.fixed_checked += len(fixed)
    counts.fixed_agreeing += len(fixed) - len(inside)
    if outside:
        oracle.disagreements.add(Disagreement(record_id, name, LISTED_OUTSIDE_RANGES, outside))
    if inside:
        oracle.disagreements.add(Disagreement(record_id, name, FIXED_INSIDE_RANGES, inside))


@cache
def run_oracle() -> Oracle:
    oracle = Oracle()
    for archive in sorted(shared_path("osv").glob("*/all.zip")):
        walked = 0
        for record in _records(archive):
            walked += 1
            for entry in record.get("affected") or ():
                if isinstance(entry, Mapping) and entry.get("versions"):
                    _check_entry(oracle, record["id"], entry)
        oracle.archives[archive.parent.name] = walked
    return oracle


def _percent(agreeing: int, checked: int) -> str:
    return f"{100 * agreeing / checked:.3f}%" if checked else "-"


def agreement_table(oracle: Oracle) -> str:
    lines = [
        "records walked: "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(oracle.archives.items())),
        "entries listing versions, per ecosystem:",
        f"{'ecosystem':<10} {'records':>7}  {'(a) listed: checked':>19} {'agreeing':>8} "
        f"{'%':>8}  {'(b) fixed: checked':>18} {'agreeing':>8} {'%':>8}  "
        f"{'list-only entries':>17} {'ok':>5}",
    ]
    for name, c in sorted(oracle.ecosystems.items()):
        lines.append(
            f"{name:<10} {len(c.records):>7,}  {c.listed_checked:>19,} {c.listed_agreeing:>8,} "
            f"{_percent(c.listed_agreeing, c.listed_checked):>8}  {c.fixed_checked:>18,} "
            f"{c.fixed_agreeing:>8,} {_percent(c.fixed_agreeing, c.fixed_checked):>8}  "
            f"{c.list_only_entries:>17,} {c.list_only_agreeing:>5,}"
        )
    silent = sorted(set(oracle.archives) - set(oracle.ecosystems))
    if silent:
        lines.append("no entry lists versions in: " + ", ".join(silent))
    for d in sorted(oracle.disagreements):
        lines.append(f"disagreement: {d.record_id} {d.package}: {d.check}: {', '.join(d.versions)}")
    return "\n".join(lines)


def test_every_archive_is_walked() -> None:
    oracle = run_oracle()
    print("\n" + agreement_table(oracle))
    expected = {
        line.strip()
        for line in shared_path("osv", "ecosystems.txt").read_text().splitlines()
        if line.strip()
    }
    assert set(oracle.archives) == expected
    assert all(count > 0 for count in oracle.archives.values())


def test_listed_and_fixed_versions_agree_with_the_ranges_except_the_documented_records() -> None:
    oracle = run_oracle()
    assert oracle.ecosystems["PyPI"].listed_checked > 100_000
    assert oracle.ecosystems["PyPI"].fixed_checked > 1_000
    assert oracle.ecosystems["CRAN"].listed_checked > 100
    new = sorted(oracle.disagreements - KNOWN_DISAGREEMENTS)
    gone = sorted(KNOWN_DISAGREEMENTS - oracle.disagreements)
    assert (new, gone) == ([], []), "update KNOWN_DISAGREEMENTS and docs/oracle.md"


def test_every_known_disagreement_is_explained_in_docs() -> None:
    explained = (REPO / "docs" / "oracle.md").read_text(encoding="utf-8")
    missing = [d.record_id for d in KNOWN_DISAGREEMENTS if f"`{d.record_id}`" not in explained]
    assert missing == []


def test_entries_decided_only_by_their_list_are_not_evaluated_by_their_ranges() -> None:
    oracle = run_oracle()
    assert oracle.list_only_failures == []
    assert oracle.ecosystems["OSS-Fuzz"].list_only_entries > 1_000


if __name__ == "__main__":
    print(agreement_table(run_oracle()))
