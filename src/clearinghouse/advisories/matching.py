"""Matching components against the knowledge base, and the remediation target for each.

The index is keyed by (ecosystem, normalised package name): a scan loads and compiles only the
affected entries of the packages it scans, so it costs what it scans, not what the database
holds. Compiled entries and advisory summaries stay cached in the :class:`Matcher` (a warm
scan touches no database for packages it has seen).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from clearinghouse.advisories.kev import kev_cves
from clearinghouse.advisories.models import Advisory, AdvisoryAlias, AffectedPackage
from clearinghouse.ecosystems import base_ecosystem, name_key
from clearinghouse.formats.inventory import Component
from clearinghouse.formats.osv import severities
from clearinghouse.store import Database
from clearinghouse.versions import (
    AffectedRanges,
    UnknownEcosystemError,
    compile_affected,
    key_for_ordering,
    ordering_of,
)
from clearinghouse.versions.prereleases import announced_release, is_prerelease

__all__ = ["ComponentResult", "Matcher", "VulnerabilityMatch", "release_matches"]

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    advisory_id: str
    ecosystem: str
    ranges: AffectedRanges


@dataclass(frozen=True, slots=True)
class AdvisoryFacts:
    """What a scan reports about an advisory (one query per advisory, then cached)."""

    id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity: tuple[dict[str, Any], ...]
    severity_rating: str | None
    severity_score: float | None
    kev: bool
    published: datetime | None
    modified: datetime


@dataclass(frozen=True, slots=True)
class VulnerabilityMatch:
    advisory: AdvisoryFacts
    fixed: tuple[str, ...]
    """Fixed versions stated by the affected entries that matched this component."""


@dataclass(slots=True)
class ComponentResult:
    component: Component
    source: str | None = None
    vulnerabilities: list[VulnerabilityMatch] = field(default_factory=list)
    remediation: str | None = None
    """Smallest version above the current one that no known advisory affects (None: no fix)."""
    not_evaluated: list[str] = field(default_factory=list)
    """Advisories naming this package whose ranges cannot be evaluated (GIT-only)."""

    @property
    def vulnerable(self) -> bool:
        return bool(self.vulnerabilities)


def release_matches(component_ecosystem: str, entry_ecosystem: str) -> bool:
    """``Debian:11`` matches ``Debian:11`` and ``Debian``; an unscoped side matches any release."""
    if component_ecosystem == entry_ecosystem:
        return True
    _, _, mine = component_ecosystem.partition(":")
    _, _, theirs = entry_ecosystem.partition(":")
    return not mine or not theirs or mine.lower() == theirs.lower()


@dataclass(slots=True)
class _Verdict:
    hits: dict[str, list[IndexedEntry]]
    relevant: list[IndexedEntry]
    not_evaluated: list[str]


class Matcher:
    """Matches components against one database; keep one per process to stay warm."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._entries: dict[tuple[str, str], tuple[IndexedEntry, ...]] = {}
        self._facts: dict[str, AdvisoryFacts] = {}
        self._upgrades: dict[tuple[tuple[str, str], str], _UpgradeCandidates | None] = {}

    def forget(self, advisory_ids: Iterable[str] = ()) -> None:
        """Drop cached state after advisories changed (all of it: entries may have moved)."""
        self._entries.clear()
        self._upgrades.clear()
        for advisory_id in advisory_ids:
            self._facts.pop(advisory_id, None)

    # -- index ------------------------------------------------------------------------------
    def _load(self, keys: set[tuple[str, str]]) -> None:
        missing = sorted(k for k in keys if k not in self._entries)
        if not missing:
            return
        by_base: dict[str, list[str]] = defaultdict(list)
        for base, key in missing:
            by_base[base].append(key)
        found: dict[tuple[str, str], list[IndexedEntry]] = defaultdict(list)
        with self.db.session() as session:
            for base, names in by_base.items():
                for start in range(0, len(names), _CHUNK):
                    chunk = names[start : start + _CHUNK]
                    rows = session.execute(
                        select(
                            AffectedPackage.advisory_id,
                            AffectedPackage.ecosystem,
                            AffectedPackage.name_key,
                            AffectedPackage.entry,
                        )
                        .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
                        .where(
                            AffectedPackage.ecosystem_base == base,
                            AffectedPackage.name_key.in_(chunk),
                            Advisory.withdrawn.is_(None),
                        )
                        .order_by(AffectedPackage.advisory_id, AffectedPackage.ordinal)
                    )
                    for advisory_id, ecosystem, key, entry in rows:
                        ranges = compile_affected(orjson.loads(entry))
                        found[(base, key)].append(IndexedEntry(advisory_id, ecosystem, ranges))
        for k in missing:
            self._entries[k] = tuple(found.get(k, ()))

    def _facts_for(self, advisory_ids: set[str]) -> dict[str, AdvisoryFacts]:
        missing = sorted(a for a in advisory_ids if a not in self._facts)
        if missing:
            with self.db.session() as session:
                aliases: dict[str, list[str]] = defaultdict(list)
                rows: list[Advisory] = []
                for start in range(0, len(missing), _CHUNK):
                    chunk = missing[start : start + _CHUNK]
                    rows.extend(session.scalars(select(Advisory).where(Advisory.id.in_(chunk))))
                    for advisory_id, alias in session.execute(
                        select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias)
                        .where(AdvisoryAlias.advisory_id.in_(chunk), AdvisoryAlias.kind == "alias")
                        .order_by(AdvisoryAlias.alias)
                    ):
                        aliases[advisory_id].append(alias)
                cves = {a for a in missing if a.startswith("CVE-")}
                cves.update(x for xs in aliases.values() for x in xs if x.startswith("CVE-"))
                exploited = kev_cves(session, cves)
                for row in rows:
                    names = aliases.get(row.id, [])
                    self._facts[row.id] = AdvisoryFacts(
                        id=row.id,
                        aliases=tuple(names),
                        summary=row.summary,
                        severity=tuple(severities(orjson.loads(row.record))),
                        severity_rating=row.severity_rating,
                        severity_score=row.severity_score,
                        kev=row.id in exploited or any(n in exploited for n in names),
                        published=row.published,
                        modified=row.modified,
                    )
        return {a: self._facts[a] for a in advisory_ids if a in self._facts}

    # -- matching ---------------------------------------------------------------------------
    @staticmethod
    def _key(component: Component) -> tuple[str, str] | None:
        if component.ecosystem is None:
            return None
        return base_ecosystem(component.ecosystem), name_key(component.ecosystem, component.name)

    def _verdict(self, component: Component, key: tuple[str, str]) -> _Verdict | None:
        entries = self._entries.get(key)
        if not entries or component.version is None or component.ecosystem is None:
            return None
        relevant = [e for e in entries if release_matches(component.ecosystem, e.ecosystem)]
        hits: dict[str, list[IndexedEntry]] = {}
        not_evaluated: list[str] = []
        for entry in relevant:
            affected = entry.ranges.contains(component.version)
            if affected is None:
                if entry.advisory_id not in not_evaluated:
                    not_evaluated.append(entry.advisory_id)
            elif affected:
                hits.setdefault(entry.advisory_id, []).append(entry)
        return _Verdict(hits, relevant, [a for a in not_evaluated if a not in hits])

    def scan(
        self,
        components: Sequence[Component],
        sources: Sequence[str | None] | None = None,
        *,
        remediation: bool = True,
    ) -> list[ComponentResult]:
        """Match every component; ``sources`` (parallel to components) names their files.

        ``remediation=False`` skips computing the upgrade target (the OSV API has no use for it).
        """
        keys = [self._key(c) for c in components]
        self._load({k for k in keys if k is not None})
        results: list[ComponentResult] = []
        verdicts: list[_Verdict | None] = []
        matched_ids: set[str] = set()
        for component, key in zip(components, keys, strict=True):
            verdict = self._verdict(component, key) if key else None
            verdicts.append(verdict)
            if verdict:
                matched_ids.update(verdict.hits)
        facts = self._facts_for(matched_ids) if matched_ids else {}
        for index, (component, key, verdict) in enumerate(
            zip(components, keys, verdicts, strict=True)
        ):
            result = ComponentResult(component, sources[index] if sources else None)
            if verdict is not None:
                result.not_evaluated = verdict.not_evaluated
                if verdict.hits:
                    result.vulnerabilities = [
                        VulnerabilityMatch(facts[a], _fixed_of(entries))
                        for a, entries in sorted(verdict.hits.items())
                        if a in facts
                    ]
                    if remediation and key is not None:
                        result.remediation = self._remediation(component, key, verdict)
            results.append(result)
        return results

    def _remediation(
        self, component: Component, key: tuple[str, str], verdict: _Verdict
    ) -> str | None:
        """:func:`remediation_target`, with the package's candidates kept between components
        and scans (its relevant entries depend only on the package and the release)."""
        if component.version is None or component.ecosystem is None:
            return None
        cache_key = (key, component.ecosystem)
        if cache_key in self._upgrades:
            candidates = self._upgrades[cache_key]
        else:
            candidates = _UpgradeCandidates.of(component.ecosystem, verdict.relevant)
            self._upgrades[cache_key] = candidates
        return candidates.target(component.version) if candidates is not None else None


class _UpgradeCandidates:
    """The upgrade candidates of one package (as one release sees it) in version order: the
    stated ``fixed`` versions, and the final release each stated pre-release announces
    (``2.8.3rc1`` -> ``2.8.3``). Each is tested against the relevant advisories at most once,
    when a component first needs it (then remembered).

    A component on a final release gets the first unaffected *final* candidate above it, as
    its package manager would install by default; only when there is none does a pre-release
    qualify. A component already on a pre-release may move to any candidate."""

    __slots__ = ("_affected", "_entries", "_final", "_hint", "_keys", "_ordering", "_versions")

    def __init__(
        self,
        ordering: str,
        entries: Sequence[IndexedEntry],
        candidates: list[tuple[str, Any, bool]],
    ) -> None:
        self._ordering = ordering
        self._entries = tuple(entries)
        self._hint = 0
        self._versions = [version for version, _, _ in candidates]
        self._keys = [key for _, key, _ in candidates]
        self._final = [final for _, _, final in candidates]
        self._affected: list[bool | None] = [None] * len(candidates)

    @classmethod
    def of(cls, ecosystem: str, entries: Sequence[IndexedEntry]) -> _UpgradeCandidates | None:
        try:
            ordering = ordering_of(ecosystem)
        except UnknownEcosystemError:  # OSS-Fuzz, Linux: versions without an order
            return None
        candidates: dict[str, tuple[Any, bool]] = {}
        for entry in entries:
            for version in entry.ranges.fixed:
                if version in candidates:
                    continue
                final = not is_prerelease(ordering, version)
                candidates[version] = (key_for_ordering(ordering, version), final)
                release = None if final else announced_release(ordering, version)
                if release is not None and release not in candidates:
                    candidates[release] = (key_for_ordering(ordering, release), True)
        ordered = sorted(candidates.items(), key=lambda item: item[1][0])
        return cls(ordering, entries, [(version, key, final) for version, (key, final) in ordered])

    def _affects(self, candidate: str) -> bool:
        entries = self._entries
        # The entry that affected the previous candidate most likely affects the next one up
        # too (its range spans both): ask it first. Only a hint: shared state stays read-only.
        hint = self._hint
        if entries[hint].ranges.contains(candidate):
            return True
        for position, entry in enumerate(entries):
            if position != hint and entry.ranges.contains(candidate):
                self._hint = position
                return True
        return False

    def _first_unaffected(self, start: int, finals_only: bool) -> str | None:
        affected = self._affected
        for index in range(start, len(self._versions)):
            if finals_only and not self._final[index]:
                continue
            verdict = affected[index]
            if verdict is None:
                verdict = self._affects(self._versions[index])
                affected[index] = verdict
            if not verdict:
                return self._versions[index]
        return None

    def target(self, version: str) -> str | None:
        """The first candidate above ``version`` that no entry affects, a final release
        first when ``version`` is one."""
        start = bisect_right(self._keys, key_for_ordering(self._ordering, version))
        if not is_prerelease(self._ordering, version):
            final = self._first_unaffected(start, finals_only=True)
            if final is not None:
                return final
        return self._first_unaffected(start, finals_only=False)


def _fixed_of(entries: list[IndexedEntry]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for entry in entries:
        for version in entry.ranges.fixed:
            seen.setdefault(version, None)
    return tuple(seen)


def remediation_target(component: Component, entries: Sequence[IndexedEntry]) -> str | None:
    """The smallest version above the current one that none of ``entries`` affects: a final
    release when the current version is one (unless only a pre-release is unaffected).

    Candidates are the ``fixed`` versions the advisories state (the versions the data shows
    to exist) and the final releases their pre-releases announce; a candidate still inside
    any advisory's ranges is skipped.
    """
    if component.version is None or component.ecosystem is None:
        return None
    candidates = _UpgradeCandidates.of(component.ecosystem, entries)
    return candidates.target(component.version) if candidates is not None else None
