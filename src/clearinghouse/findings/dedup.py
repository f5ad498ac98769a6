"""Deduplication rules: exact keys, package equivalence, version overlap, near-duplicate score.

Pure core (the intake does the I/O). Three ways a finding joins an existing vulnerability:

* **exact** — a shared key: a vulnerability id or alias (CVE, GHSA, PYSEC, GO, RUSTSEC, BIT,
  ALSA...), a SARIF fingerprint, or rule + code location. Keys are an alias graph: a finding
  naming two ids that belong to two vulnerabilities merges them (transitive closure, kept
  with a union-find over the batch).
* **known** — its ids, or its package and text, restate a knowledge-base advisory.
* **near** — same or equivalent package (``python3-psutil`` ~ ``psutil``, ``apache-airflow`` ~
  Bitnami ``airflow``), affected versions that can overlap, CWE ids that do not contradict,
  and TF-IDF cosine of title + description at or above the threshold.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from clearinghouse.ecosystems import base_ecosystem, name_key
from clearinghouse.findings.text import TextModel, TextProfile, Vector, similarity, tokens
from clearinghouse.formats.native_finding import ReportedFinding

__all__ = [
    "Candidate",
    "NearMatch",
    "NearRules",
    "Probe",
    "UnionFind",
    "best_near_match",
    "equivalence",
    "exact_keys",
    "fixed_versions",
    "package_keys",
    "package_terms",
    "ranges_overlap",
    "score_candidate",
]

_PREFIXES = re.compile(
    r"^(?:python\d*(?:\.\d+)?|py\d*|golang|go|rust|rubygem|ruby|perl|php\d*|nodejs|node"
    r"|apache|lib(?=[a-z]{3,}-))[-_]"
)
_SUFFIXES = re.compile(
    r"[-_](?:devel|libs?|cpu|gpu|common|core|server|client|debuginfo|debugsource|doc|docs"
    r"|tools|utils|bin|headers|static|runtime)$"
)
_SEPARATORS = re.compile(r"[-_.]+")
_LINE = re.compile(r":(\d+)$")


def _stem(name: str) -> str:
    value = name.lower()
    for _ in range(3):
        stripped = _SUFFIXES.sub("", _PREFIXES.sub("", value))
        if stripped == value or not stripped:
            break
        value = stripped
    return _SEPARATORS.sub("-", value)


_GENERIC_TOKENS = frozenset(
    {"python", "python3", "py", "apache", "lib", "go", "golang", "node", "nodejs", "perl", "ruby"}
    | {"rubygem", "rust", "java", "github", "com", "org", "net", "io", "x"}
)
_NAME_ALIASES = {"nodejs": "node", "golang": "go", "postgresql": "postgres"}


@lru_cache(maxsize=65536)
def package_keys(ecosystem: str, name: str) -> tuple[str, frozenset[str]]:
    """The exact package key and the equivalence keys used to find candidates.

    ``stem:`` keys: the last path segment normalised, with distribution prefixes
    (``python3-``, ``golang-``...) and split-package suffixes (``-devel``, ``-gpu``...)
    removed. ``loose:`` key: its first token when that is not a generic word (``php-cli`` ~
    ``php``); loose keys only make packages of *different* ecosystems equivalent.
    """
    base = base_ecosystem(ecosystem)
    exact = f"pkg:{base}/{name_key(ecosystem, name)}"[:600]
    last = re.split(r"[/:]", name.rstrip("/"))[-1] or name
    stem = _stem(last)
    stem = _NAME_ALIASES.get(stem, stem)
    keys = {f"stem:{stem}"[:600], f"stem:{_SEPARATORS.sub('-', last.lower())}"[:600]}
    first = stem.split("-", 1)[0]
    if len(first) >= 3 and first not in _GENERIC_TOKENS:
        keys.add(f"loose:{first}"[:600])
    if base == "Maven" and ":" in name:
        artifact = name.split(":", 1)[1]
        keys.add(f"stem:{_stem(artifact.split('-', 1)[0])}"[:600])
    return exact, frozenset(keys)


def package_identity(affected: Sequence[Any]) -> list[tuple[str, str, frozenset[str]]]:
    if affected and isinstance(affected[0], tuple):
        return list(affected)
    identity = []
    for entry in affected:
        package = entry.get("package") or {}
        eco, name = package.get("ecosystem"), package.get("name")
        if isinstance(eco, str) and isinstance(name, str):
            exact, keys = package_keys(eco, name)
            identity.append((base_ecosystem(eco), exact, keys))
    return identity


PackageIdentity = list[tuple[str, str, frozenset[str]]]


def equivalence(
    mine: Sequence[Mapping[str, Any]] | PackageIdentity,
    theirs: Sequence[Mapping[str, Any]] | PackageIdentity,
) -> str | None:
    """``same`` package, ``equivalent`` package, or None (different packages).

    Takes OSV affected entries, or their :func:`package_identity`."""
    found: str | None = None
    for base_a, exact_a, keys_a in package_identity(mine):
        for base_b, exact_b, keys_b in package_identity(theirs):
            if exact_a == exact_b:
                return "same"
            shared = keys_a & keys_b
            if any(k.startswith("stem:") for k in shared) or (shared and base_a != base_b):
                found = "equivalent"
    return found


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def exact_keys(finding: ReportedFinding, organization_id: int) -> list[str]:
    """Keys that make two findings the same vulnerability wherever they come from."""
    keys = [f"id:{alias}"[:255] for alias in finding.aliases]
    scope = _scope(finding, organization_id)
    for name, value in finding.fingerprints.items():
        if name == "guid":
            continue
        if name.startswith("partialFingerprints/"):
            keys.append(
                f"fp:{_hash(f'{scope}|{finding.rule_id}|{_file(finding.location)}|{name}|{value}')}"
            )
        else:
            keys.append(f"fp:{_hash(f'{finding.rule_id}|{name}|{value}')}")
    if finding.location and finding.rule_id and not finding.fingerprints:
        keys.append(f"loc:{_hash(f'{scope}|{finding.rule_id}|{finding.location}')}")
    if finding.external_id and finding.format == "native":
        keys.append(f"ext:{_hash(f'{organization_id}|{finding.external_id}')}")
    return list(dict.fromkeys(keys))


def _scope(finding: ReportedFinding, organization_id: int) -> str:
    """Code locations are repository-relative: without a repository they only match within
    one organization's own reports."""
    if finding.repository:
        return f"repo:{finding.repository}"
    return f"org:{organization_id}"


def _file(location: str | None) -> str:
    return _LINE.sub("", location) if location else ""


def location_key(finding: ReportedFinding, organization_id: int) -> str | None:
    if not finding.location:
        return None
    return f"file:{_hash(f'{_scope(finding, organization_id)}|{_file(finding.location)}')}"


def line_of(location: str | None) -> int | None:
    match = _LINE.search(location or "")
    return int(match.group(1)) if match else None


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            parent = self.parent[item] = self.find(parent)
        return parent

    def union(self, a: str, b: str) -> str:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_b] = root_a
        return root_a


def _probe_versions(entry: Mapping[str, Any]) -> tuple[list[str], bool]:
    probes = [v for v in entry.get("versions") or () if isinstance(v, str)]
    from_zero = False
    for rng in entry.get("ranges") or ():
        if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        for event in rng.get("events") or ():
            for kind in ("introduced", "last_affected"):
                value = event.get(kind)
                if value == "0":
                    from_zero = True
                elif isinstance(value, str):
                    probes.append(value)
    return probes, from_zero


def ranges_overlap(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> bool | None:
    """Whether two sets of affected entries of one ecosystem can share an affected version.

    None when either side states no evaluable versions (nothing to contradict).
    """
    from clearinghouse.versions import compile_affected

    if not a or not b:
        return None
    compiled_a = [compile_affected(e) for e in a]
    compiled_b = [compile_affected(e) for e in b]
    if not any(c.evaluable for c in compiled_a) or not any(c.evaluable for c in compiled_b):
        return None
    zero_a = zero_b = False
    for entries, others in ((a, compiled_b), (b, compiled_a)):
        for entry in entries:
            probes, from_zero = _probe_versions(entry)
            if entries is a:
                zero_a = zero_a or from_zero
            else:
                zero_b = zero_b or from_zero
            for version in probes:
                if any(c.contains(version) for c in others):
                    return True
    return zero_a and zero_b


_DISTRIBUTIONS = frozenset(
    {"AlmaLinux", "Rocky Linux", "Red Hat", "Debian", "Ubuntu", "Alpine", "SUSE", "openSUSE"}
    | {"Wolfi", "Chainguard", "Mageia", "openEuler", "Photon OS", "Azure Linux", "MinimOS"}
)


def fixed_versions(affected: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """Upstream ``fixed`` versions (distribution releases are backports: not comparable)."""
    found: set[str] = set()
    for entry in affected:
        package = entry.get("package") or {}
        if base_ecosystem(str(package.get("ecosystem", ""))) in _DISTRIBUTIONS:
            continue
        for rng in entry.get("ranges") or ():
            for event in rng.get("events") or ():
                if isinstance(event.get("fixed"), str):
                    # SemVer build metadata (Go's "+incompatible") has no bearing on order
                    found.add(event["fixed"].removeprefix("v").split("+", 1)[0])
    return frozenset(found)


def package_terms(affected: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The words of the affected packages' names, as :func:`text.tokens` cuts them."""
    found: set[str] = set()
    for entry in affected:
        name = (entry.get("package") or {}).get("name")
        if isinstance(name, str):
            found.update(tokens(name.replace("/", " ")))
    return frozenset(found)


@dataclass(slots=True)
class Candidate:
    """What near-duplicate scoring needs to know about a vulnerability (or an advisory)."""

    id: str
    text: TextProfile
    cwes: Sequence[str] = ()
    affected: Sequence[Mapping[str, Any]] = ()
    location: str | None = None
    rule_id: str | None = None
    vectors: list[Vector] | None = None
    terms: frozenset[str] = frozenset()
    fixed: frozenset[str] | None = None
    identity: PackageIdentity | None = None
    package_terms: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class NearMatch:
    vulnerability_id: str
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class NearRules:
    threshold: float
    cwe_penalty: float
    specificity_penalty: float = 2.0
    """Times the weight of rare terms each side has and the other lacks (see text.py)."""
    fixed_agree_bonus: float = 0.1
    fixed_disagree_penalty: float = 0.3
    max_line_distance: int = 2
    first_text_veto: float = -0.5
    """A vulnerability with member texts (:func:`text.with_member`) is no candidate when the
    text score against its first finding's text is below this, whatever the member texts
    score: a vulnerability must not drift, one restatement at a time, to another bug."""


@dataclass(slots=True)
class Probe:
    """The finding being placed, prepared once for all its candidates."""

    vectors: list[Vector]
    cwes: Sequence[str]
    affected: Sequence[Mapping[str, Any]]
    location: str | None
    rule_id: str | None
    fixed: frozenset[str] = field(default_factory=frozenset)
    key_terms: frozenset[str] = field(default_factory=frozenset)
    """Its rare terms: a candidate sharing none of them is talking about something else."""
    identity: PackageIdentity = field(default_factory=list)
    package_terms: frozenset[str] = field(default_factory=frozenset)
    """The words of its package names (``github.com/goharbor/harbor``: ``goharbor``...)."""

    @classmethod
    def of(
        cls,
        vectors: list[Vector],
        cwes: Sequence[str],
        affected: Sequence[Mapping[str, Any]],
        location: str | None,
        rule_id: str | None,
    ) -> Probe:
        key_terms = frozenset(t for vector in vectors for t in vector.rare)
        return cls(
            vectors,
            cwes,
            affected,
            location,
            rule_id,
            fixed_versions(affected),
            key_terms,
            package_identity(affected),
            package_terms(affected),
        )


def _same_ecosystem_affected(
    candidate: Candidate, affected: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    def key(entry: Mapping[str, Any]) -> tuple[str, str] | None:
        package = entry.get("package") or {}
        eco, name = package.get("ecosystem"), package.get("name")
        if not isinstance(eco, str) or not isinstance(name, str):
            return None
        return base_ecosystem(eco), name_key(eco, name)

    mine = {key(e) for e in affected} - {None}
    shared = mine & ({key(e) for e in candidate.affected} - {None})
    return (
        [e for e in affected if key(e) in shared],
        [e for e in candidate.affected if key(e) in shared],
    )


def _code_location_allows(probe: Probe, candidate: Candidate, rules: NearRules) -> bool:
    if not (probe.location and candidate.location) or probe.affected:
        return True
    if probe.rule_id and probe.rule_id == candidate.rule_id:
        return probe.location == candidate.location  # one rule at two places: two results
    mine, theirs = line_of(probe.location), line_of(candidate.location)
    return mine is None or theirs is None or abs(mine - theirs) <= rules.max_line_distance


def score_candidate(
    model: TextModel, probe: Probe, candidate: Candidate, rules: NearRules
) -> tuple[float, str] | None:
    """The near-duplicate score of one candidate and the reason in words (None: excluded)."""
    if candidate.vectors is None:
        candidate.vectors = model.vectors(candidate.text)
        candidate.terms = frozenset(t for v in candidate.vectors for t in v.weights)
    if probe.key_terms and probe.key_terms.isdisjoint(candidate.terms):
        return None
    relation = None
    if probe.affected:
        if candidate.identity is None:
            candidate.identity = package_identity(candidate.affected)
        relation = equivalence(probe.identity, candidate.identity)
        if relation is None:
            return None
    elif not _code_location_allows(probe, candidate, rules):
        return None
    if candidate.package_terms is None:
        candidate.package_terms = package_terms(candidate.affected)
    score = similarity(
        probe.vectors,
        candidate.vectors,
        specificity_penalty=rules.specificity_penalty,
        ignore=probe.package_terms | candidate.package_terms,
    )
    if score >= rules.threshold and candidate.text.get("m"):
        own = similarity(
            probe.vectors,
            candidate.vectors[: 1 + len(candidate.text.get("b") or ())],
            specificity_penalty=rules.specificity_penalty,
            ignore=probe.package_terms | candidate.package_terms,
        )
        if own < rules.first_text_veto:
            return None  # it restates a later report, yet contradicts the first one
    reasons = [f"text {score:.3f}"]
    my_cwes, their_cwes = set(probe.cwes), set(candidate.cwes)
    if my_cwes and their_cwes and not my_cwes & their_cwes:
        score -= rules.cwe_penalty
        reasons.append(
            f"CWE differ ({', '.join(sorted(my_cwes))} vs {', '.join(sorted(their_cwes))})"
        )
    elif my_cwes & their_cwes:
        reasons.append(f"same {', '.join(sorted(my_cwes & their_cwes))}")
    if candidate.fixed is None:
        candidate.fixed = fixed_versions(candidate.affected)
    if probe.fixed and candidate.fixed:
        if probe.fixed & candidate.fixed:
            score += rules.fixed_agree_bonus
            reasons.append(f"same fixed version {sorted(probe.fixed & candidate.fixed)[0]}")
        else:
            score -= rules.fixed_disagree_penalty
            reasons.append("different fixed versions")
    if relation:
        reasons.append(f"{relation} package")
    elif probe.location:
        reasons.append("same file")
    if score >= rules.threshold:
        mine, theirs = _same_ecosystem_affected(candidate, probe.affected)
        if mine and theirs and ranges_overlap(mine, theirs) is False:
            return None
    return score, "; ".join(reasons)


def best_near_match(
    model: TextModel, probe: Probe, candidates: Iterable[Candidate], rules: NearRules
) -> NearMatch | None:
    """The best candidate scoring at least the threshold, with the reason in words."""
    best: NearMatch | None = None
    for candidate in candidates:
        scored = score_candidate(model, probe, candidate, rules)
        if scored is None:
            continue
        score, reason = scored
        if score >= rules.threshold and (best is None or score > best.score):
            best = NearMatch(candidate.id, round(score, 4), reason)
    return best
