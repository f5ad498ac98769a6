"""OSV ``affected[]`` evaluation: is a package version inside an entry's ranges or versions?

Follows the OSV schema's evaluation rules (https://ossf.github.io/osv-schema/#evaluation) as
osv.dev and osv-scanner apply them:

* ``ECOSYSTEM`` ranges use the package ecosystem's order, ``SEMVER`` ranges SemVer 2.0 order
  (a leading ``v`` tolerated), ``GIT`` ranges are kept but never evaluated here.
* Events are sorted by version (``introduced: "0"`` first; at equal versions ``introduced``
  before ``last_affected`` before ``fixed``) and walked in order: ``introduced`` sets affected
  when ``v >= introduced``, ``fixed`` clears it when ``v >= fixed``, ``last_affected`` clears it
  when ``v > last_affected``. An ``introduced`` and a ``fixed`` at the same version cancel
  out (abutting intervals ``[a, X)``, ``[X, b)`` leave X affected; ``[X, X)`` is empty).
  ``limit`` events bound the range: ``v`` must be below at least
  one limit (``"*"`` is no limit).
* A version listed in the entry's ``versions`` is affected whatever the ranges say.

``compile_affected`` parses every event once; ``AffectedRanges.contains`` then needs one cached
key lookup for the version and a binary search per range.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clearinghouse.versions._common import Ordered
from clearinghouse.versions._orderings import UnknownEcosystemError, key_for_ordering, ordering_of

__all__ = ["AffectedRanges", "CompiledRange", "compile_affected", "is_affected"]

_INTRODUCED, _LAST_AFFECTED, _FIXED = 0, 1, 2
_EVENT_KINDS = {"introduced": _INTRODUCED, "last_affected": _LAST_AFFECTED, "fixed": _FIXED}
_EVALUATED_TYPES = frozenset({"ECOSYSTEM", "SEMVER"})


@dataclass(frozen=True, slots=True)
class CompiledRange:
    """One ``ECOSYSTEM``/``SEMVER`` range with its events parsed and sorted."""

    ordering: str
    from_start: bool
    """An ``introduced: "0"`` event: affected from the first version."""
    keys: tuple[Ordered, ...]
    """Event versions' sort keys, ascending (``introduced: "0"`` excluded)."""
    kinds: tuple[int, ...]
    limits: tuple[Ordered, ...]

    def contains(self, version_key: Ordered) -> bool:
        if self.limits and not any(version_key < limit for limit in self.limits):
            return False
        position = bisect_right(self.keys, version_key)
        while position > 0:
            position -= 1
            kind = self.kinds[position]
            if kind == _LAST_AFFECTED and not self.keys[position] < version_key:
                continue
            return kind == _INTRODUCED
        return self.from_start


@dataclass(frozen=True, slots=True)
class AffectedRanges:
    """One OSV ``affected[]`` entry, pre-parsed for fast matching."""

    ecosystem: str
    ranges: tuple[CompiledRange, ...]
    versions: frozenset[str]
    version_keys: frozenset[Ordered]
    fixed: tuple[str, ...]
    """``fixed`` versions of the ``ECOSYSTEM``/``SEMVER`` ranges, as written, first seen first."""
    last_affected: tuple[str, ...]
    git_ranges: tuple[Mapping[str, Any], ...] = field(default=())
    """``GIT`` ranges, stored as written; never evaluated here."""
    ordering: str | None = None
    """The ecosystem's ordering name; None when its versions have no known order."""

    @property
    def evaluable(self) -> bool:
        """False when nothing here can decide a version: only ``GIT`` ranges (or ranges in an
        ecosystem without an order) and no ``versions`` list."""
        return bool(self.ranges or self.versions)

    def contains(self, version: str) -> bool | None:
        """Whether ``version`` is affected; None when the entry cannot be evaluated."""
        if not self.evaluable:
            return None
        if version in self.versions:
            return True
        if (
            self.ordering is not None
            and self.version_keys
            and key_for_ordering(self.ordering, version) in self.version_keys
        ):
            return True
        return any(
            compiled.contains(key_for_ordering(compiled.ordering, version))
            for compiled in self.ranges
        )


def _ordering_or_none(ecosystem: str) -> str | None:
    try:
        return ordering_of(ecosystem)
    except UnknownEcosystemError:
        return None


def _compile_range(
    ordering: str, events: Sequence[Any]
) -> tuple[CompiledRange, list[str], list[str]]:
    from_start = False
    parsed: list[tuple[Ordered, int]] = []
    limits: list[Ordered] = []
    fixed: list[str] = []
    last_affected: list[str] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        for name, value in event.items():
            if not isinstance(value, str) or not value:
                continue
            if name == "limit":
                if value != "*":
                    limits.append(key_for_ordering(ordering, value))
                continue
            kind = _EVENT_KINDS.get(name)
            if kind is None:
                continue
            if kind == _INTRODUCED and value == "0":
                from_start = True
                continue
            parsed.append((key_for_ordering(ordering, value), kind))
            if kind == _FIXED:
                fixed.append(value)
            elif kind == _LAST_AFFECTED:
                last_affected.append(value)
    parsed.sort(key=_event_order)
    parsed = _without_cancelling_pairs(parsed)
    return (
        CompiledRange(
            ordering=ordering,
            from_start=from_start,
            keys=tuple(k for k, _ in parsed),
            kinds=tuple(kind for _, kind in parsed),
            limits=tuple(limits),
        ),
        fixed,
        last_affected,
    )


def _without_cancelling_pairs(events: list[tuple[Ordered, int]]) -> list[tuple[Ordered, int]]:
    """Sorted events less the ``introduced``/``fixed`` pairs that share a version.

    ``fixed: X`` closing one interval and ``introduced: X`` opening the next (``[a, X)`` and
    ``[X, b)``, as converters split ``a <= v < b``) leave X affected; a lone
    ``introduced: X, fixed: X`` is an empty interval. Either way such a pair changes nothing,
    whereas the spec's walk of sorted events leaves the order of the tie undefined.
    """
    kept: list[tuple[Ordered, int]] = []
    start = 0
    while start < len(events):
        end = start + 1
        while end < len(events) and not events[start][0] < events[end][0]:
            end += 1
        tie = events[start:end]  # sorted by kind: introduced, last_affected, fixed
        kinds = [kind for _, kind in tie]
        pairs = min(kinds.count(_INTRODUCED), kinds.count(_FIXED))
        kept.extend(tie[pairs : len(tie) - pairs])
        start = end
    return kept


class _EventOrder:
    """Sort helper: event key, then introduced < last_affected < fixed at equal versions."""

    __slots__ = ("item",)

    def __init__(self, item: tuple[Ordered, int]) -> None:
        self.item = item

    def __lt__(self, other: _EventOrder) -> bool:
        (key_a, kind_a), (key_b, kind_b) = self.item, other.item
        if key_a < key_b:
            return True
        if key_b < key_a:
            return False
        return kind_a < kind_b


def _event_order(item: tuple[Ordered, int]) -> _EventOrder:
    return _EventOrder(item)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def compile_affected(osv_affected: Mapping[str, Any]) -> AffectedRanges:
    """Pre-parse one OSV ``affected[]`` entry. Malformed parts are skipped, never raised on."""
    package = osv_affected.get("package")
    ecosystem = ""
    if isinstance(package, Mapping) and isinstance(package.get("ecosystem"), str):
        ecosystem = package["ecosystem"]
    ordering = _ordering_or_none(ecosystem)
    compiled: list[CompiledRange] = []
    git: list[Mapping[str, Any]] = []
    fixed: list[str] = []
    last_affected: list[str] = []
    raw_ranges = osv_affected.get("ranges")
    for raw in raw_ranges if isinstance(raw_ranges, list) else ():
        if not isinstance(raw, Mapping):
            continue
        range_type = raw.get("type")
        events = raw.get("events")
        if range_type == "GIT":
            git.append(raw)
            continue
        if range_type not in _EVALUATED_TYPES or not isinstance(events, list):
            continue
        range_ordering = "semver" if range_type == "SEMVER" else ordering
        if range_ordering is None:
            continue
        compiled_range, range_fixed, range_last = _compile_range(range_ordering, events)
        compiled.append(compiled_range)
        fixed.extend(range_fixed)
        last_affected.extend(range_last)
    raw_versions = osv_affected.get("versions")
    versions = frozenset(
        v for v in (raw_versions if isinstance(raw_versions, list) else ()) if isinstance(v, str)
    )
    version_keys: frozenset[Ordered] = frozenset()
    if ordering is not None:
        version_keys = frozenset(key_for_ordering(ordering, v) for v in versions if v)
    return AffectedRanges(
        ecosystem=ecosystem,
        ranges=tuple(compiled),
        versions=versions,
        version_keys=version_keys,
        fixed=_unique(fixed),
        last_affected=_unique(last_affected),
        git_ranges=tuple(git),
        ordering=ordering,
    )


def is_affected(osv_affected: Mapping[str, Any], version: str) -> bool:
    """Whether ``version`` is affected by one OSV ``affected[]`` entry (False if undecidable)."""
    return compile_affected(osv_affected).contains(version) is True
