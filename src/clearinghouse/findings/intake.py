"""Intake: parse a report, check each finding, deduplicate it into a vulnerability, store it.

One submission is one transaction. Per batch the database is asked a fixed number of
questions (keys, packages, candidates, knowledge base), whatever the batch size; of the stored
vulnerabilities that share a package with the batch, only those that can score against some
finding (they share one of its rare terms) are read whole, so the cost of a batch barely
grows with what is stored. Findings are then decided in order against that state plus the
vulnerabilities the batch itself created, and written with bulk inserts. A malformed finding
is rejected with its index and reason and the rest are stored — or, with ``atomic``, nothing
is.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    bindparam,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from clearinghouse.audit import record_event
from clearinghouse.ecosystems import base_ecosystem, name_key
from clearinghouse.findings.dedup import (
    Candidate,
    NearRules,
    Probe,
    UnionFind,
    best_near_match,
    exact_keys,
    location_key,
    package_keys,
)
from clearinghouse.findings.marking import refresh_markings
from clearinghouse.findings.models import (
    Finding,
    FindingAttachment,
    FindingKey,
    Submission,
    Transition,
    TriageState,
    Vulnerability,
    VulnerabilityPackage,
)
from clearinghouse.findings.readers import ReportFormat, read_findings
from clearinghouse.findings.text import TextModel, TextProfile, profile, with_member
from clearinghouse.findings.textmodel import text_model_for
from clearinghouse.findings.validation import intake_checks
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.native_finding import RejectedFinding, ReportedFinding
from clearinghouse.formats.tlp import DEFAULT_TLP, parse_tlp
from clearinghouse.participants.service import Principal
from clearinghouse.store import bulk_insert, one_of, pairs_present, utcnow

__all__ = ["DedupSettings", "FindingOutcome", "IntakeReport", "new_vulnerability_id", "submit"]

_CHUNK = 500
_ID_ALPHABET = "23456789cfghjmpqrvwx"
_EXPLOITATION_RANK = {None: 0, "none": 1, "poc": 2, "active": 3}


VULNERABILITY_ID_PREFIX = "x_CHS-"
"""OSV ids must start with a registered database prefix or ``x_`` (the schema's prefix for
databases not yet registered with OSV); published records keep the vulnerability's id."""


def new_vulnerability_id() -> str:
    """``x_CHS-`` and three random groups of four (the GHSA alphabet: no look-alikes)."""
    value = secrets.randbelow(len(_ID_ALPHABET) ** 12)  # one system call, not twelve
    digits = []
    for _ in range(12):
        value, digit = divmod(value, len(_ID_ALPHABET))
        digits.append(_ID_ALPHABET[digit])
    groups = ("".join(digits[start : start + 4]) for start in (0, 4, 8))
    return VULNERABILITY_ID_PREFIX + "-".join(groups)


@dataclass(frozen=True, slots=True)
class DedupSettings:
    near_threshold: float = 0.2
    """TF-IDF cosine (after the CWE penalty) from which a finding joins a vulnerability."""
    known_threshold: float = 0.2
    """The same, against a knowledge-base advisory of the same package (``known``)."""
    cwe_penalty: float = 0.15
    """Subtracted when both sides state CWE ids and none is shared."""
    member_score: float | None = 0.3
    """A finding that joins a vulnerability with at least this score (an exact or alias match
    scores 1) adds its text to the vulnerability's member texts (:func:`text.with_member`):
    a later report in the words of that finding, not of the first one, then matches too.
    None: a vulnerability is compared by its first finding's text only."""

    def rules(self, threshold: float) -> NearRules:
        return NearRules(threshold=threshold, cwe_penalty=self.cwe_penalty)


@dataclass(frozen=True, slots=True)
class FindingOutcome:
    index: int
    finding_id: int
    vulnerability_id: str
    method: str
    score: float
    reason: str
    checks: list[dict[str, Any]]
    tlp: str = DEFAULT_TLP.value


@dataclass
class IntakeReport:
    submission_id: int | None
    format: str
    accepted: list[FindingOutcome] = field(default_factory=list)
    rejected: list[RejectedFinding] = field(default_factory=list)
    new_vulnerabilities: int = 0
    merged_vulnerabilities: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self, *, details: bool = True) -> dict[str, Any]:
        return {
            "submission_id": self.submission_id,
            "format": self.format,
            "accepted": len(self.accepted),
            "rejected": [{"index": r.index, "reason": r.reason} for r in self.rejected],
            "new_vulnerabilities": self.new_vulnerabilities,
            "merged_vulnerabilities": [
                {"from": a, "into": b} for a, b in self.merged_vulnerabilities
            ],
            "seconds": round(self.seconds, 3),
            "findings": [
                {
                    "index": o.index,
                    "id": o.finding_id,
                    "vulnerability_id": o.vulnerability_id,
                    "dedup": {"method": o.method, "score": o.score, "reason": o.reason},
                    "checks": o.checks,
                    "tlp": o.tlp,
                }
                for o in self.accepted
            ]
            if details
            else [],
        }


class BatchRejected(InputError):
    """``atomic`` was asked and some findings were malformed: nothing was stored."""

    def __init__(self, source: str, rejected: Sequence[RejectedFinding]) -> None:
        first = rejected[0]
        super().__init__(
            source,
            f"{len(rejected)} findings are malformed (first: index {first.index}: "
            f"{first.reason}); atomic submission stored none",
        )
        self.rejected = list(rejected)


@dataclass(slots=True)
class _Vuln:
    id: str
    is_new: bool
    title: str
    description: str
    state: str
    created_at: datetime | None
    ecosystem: str | None = None
    package_name: str | None = None
    cwes: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    vectors: list[str] = field(default_factory=list)
    affected: list[dict[str, Any]] = field(default_factory=list)
    exploitation: str | None = None
    location: str | None = None
    rule_id: str | None = None
    text: TextProfile = field(default_factory=dict)
    known_advisory_id: str | None = None
    duplicate_of: str | None = None
    added_findings: int = 0
    changed: bool = False
    candidate: Candidate | None = None

    def absorb(
        self, finding: ReportedFinding, has_poc: bool, text: TextProfile | None = None
    ) -> None:
        joined = self.text if text is None else with_member(self.text, text)
        if joined is not self.text:
            self.text = joined
            self.changed = True
        for target, values in (
            (self.aliases, finding.aliases),
            (self.cwes, finding.cwes),
            (self.vectors, finding.cvss_vectors),
        ):
            for value in values:
                if value not in target:
                    target.append(value)
                    self.changed = True
        for entry in finding.affected:
            if entry not in self.affected and len(self.affected) < 50:
                self.affected.append(entry)
                self.changed = True
        claim = finding.exploitation
        if has_poc and _EXPLOITATION_RANK[claim] < _EXPLOITATION_RANK["poc"]:
            claim = "poc"
        if _EXPLOITATION_RANK[claim] > _EXPLOITATION_RANK[self.exploitation]:
            self.exploitation = claim
            self.changed = True
        self.added_findings += 1


@dataclass(slots=True)
class _Features:
    finding: ReportedFinding
    keys: list[str]
    packages: list[tuple[str, frozenset[str]]]
    """(exact key, stems) per affected package."""
    text: TextProfile
    blocking: tuple[str, ...] = ()
    """The package keys (exact and stems) and the file key it is blocked under."""
    probe: Probe | None = None
    """Prepared once per batch (the text model does not change during a batch)."""


def _features(finding: ReportedFinding, organization_id: int) -> _Features:
    packages = []
    for entry in finding.affected:
        package = entry.get("package") or {}
        packages.append(package_keys(package["ecosystem"], package["name"]))
    file_key = location_key(finding, organization_id) if not finding.affected else None
    blocking = {k for exact, stems in packages for k in (exact, *stems)}
    if file_key:
        blocking.add(file_key)
    return _Features(
        finding=finding,
        keys=exact_keys(finding, organization_id),
        packages=packages,
        text=profile(finding.title, finding.description),
        blocking=tuple(sorted(blocking)),
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _insert_ignore(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for chunk in _chunks(rows):
        session.execute(builder(model).on_conflict_do_nothing(), list(chunk))


def _may_share_a_term(dialect: str, terms: Sequence[str]) -> ColumnElement[bool]:
    """Whether a vulnerability's stored term counts (``terms``) may hold one of ``terms``:
    its whole-text counts or a member text's do, or it has bullet counts (not tested here)."""
    if dialect == "postgresql":
        # hashed once per statement when planned for its parameters: see _load_package_index
        clause = text(
            "(EXISTS (SELECT 1 FROM jsonb_object_keys(vulnerability.terms -> 'w') AS term"
            " WHERE term = ANY(:key_terms))"
            " OR vulnerability.terms -> 'b' <> CAST('[]' AS jsonb)"
            " OR EXISTS (SELECT 1 FROM jsonb_array_elements("
            "COALESCE(vulnerability.terms -> 'm', CAST('[]' AS jsonb))) AS member"
            " WHERE member -> 'b' <> CAST('[]' AS jsonb)"
            " OR EXISTS (SELECT 1 FROM jsonb_object_keys(member -> 'w') AS term"
            " WHERE term = ANY(:key_terms))))"
        ).bindparams(bindparam("key_terms", list(terms), ARRAY(String)))
    elif dialect != "sqlite":
        return true()  # not tested here: every candidate is read
    else:
        clause = text(
            "(EXISTS (SELECT 1 FROM json_each(vulnerability.terms, '$.w') AS term"
            " WHERE term.key IN (SELECT value FROM json_each(:key_terms)))"
            " OR json_array_length(vulnerability.terms, '$.b') > 0"
            " OR EXISTS (SELECT 1 FROM json_each(vulnerability.terms, '$.m') AS member"
            " WHERE COALESCE(json_array_length(member.value, '$.b'), 0) > 0"
            " OR EXISTS (SELECT 1 FROM json_each(member.value, '$.w') AS term"
            " WHERE term.key IN (SELECT value FROM json_each(:key_terms)))))"
        ).bindparams(bindparam("key_terms", orjson.dumps(list(terms)).decode(), String))
    return cast(ColumnElement[bool], clause)


def _profile_terms(text: Mapping[str, Any]) -> frozenset[str]:
    """Every term of a stored text profile: whole text, bullets and member texts (the terms
    :func:`dedup.score_candidate` tests a finding's rare terms against)."""
    found = set(text.get("w") or ())
    for bullet in text.get("b") or ():
        found.update(bullet)
    for member in text.get("m") or ():
        found |= _profile_terms(member)
    return frozenset(found)


class _Batch:
    """The deduplication state of one submission."""

    def __init__(
        self,
        session: Session,
        features: list[_Features],
        model: TextModel,
        settings: DedupSettings,
    ) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.features = features
        self.model = model
        self.settings = settings
        self.vulns: dict[str, _Vuln] = {}
        """Stored vulnerabilities loaded whole, and those this batch created."""
        self.links: dict[str, str] = {}
        """``duplicate_of`` of every stored vulnerability loaded, whole or not."""
        self.key_owner: dict[str, set[str]] = defaultdict(set)
        self.package_index: dict[str, set[str]] = defaultdict(set)
        self.new_keys: set[tuple[str, str]] = set()
        self.new_packages: set[tuple[str, str]] = set()
        self.union = UnionFind()
        self.merges: list[tuple[str, str, str]] = []
        self.kb_ids: dict[str, set[str]] = defaultdict(set)
        self.kb_package_advisories: dict[str, set[str]] = defaultdict(set)
        self.kb_candidates: dict[str, Candidate] = {}
        self._load()

    # -- loading ----------------------------------------------------------------------------
    def _load(self) -> None:
        self._load_knowledge_base()
        advisories = {a for ids in self.kb_ids.values() for a in ids} | set(self.kb_candidates)
        keys = sorted({k for f in self.features for k in f.keys} | {f"adv:{a}" for a in advisories})
        if keys:
            for key, owner in self.session.execute(
                select(FindingKey.key, FindingKey.vulnerability_id).where(
                    one_of(self.dialect, FindingKey.key, keys)
                )
            ):
                self.key_owner[key].add(owner)
        self._load_package_index()
        self._load_vulnerabilities({v for owners in self.key_owner.values() for v in owners})
        self._load_candidates({v for owners in self.package_index.values() for v in owners})

    def _load_package_index(self) -> None:
        """The stored vulnerabilities blocked with the batch's findings by package (or file).

        Only those that may share a rare term with some finding are read (the database tests
        it on the stored term counts): the others would score None (see
        :meth:`_load_candidates`). A finding with no rare term reaches all of its blocks.
        """
        blocking: set[str] = set()
        open_blocking: set[str] = set()
        key_terms: set[str] = set()
        for features in self.features:
            blocking.update(features.blocking)
            rare = self._probe(features).key_terms
            if rare:
                key_terms |= rare
            else:
                open_blocking.update(features.blocking)
        dialect = self.dialect
        pairs = select(VulnerabilityPackage.package_key, VulnerabilityPackage.vulnerability_id)
        queries = []
        if open_blocking:
            queries.append(
                pairs.where(one_of(dialect, VulnerabilityPackage.package_key, open_blocking))
            )
        if blocking - open_blocking:
            keyed = one_of(dialect, VulnerabilityPackage.package_key, blocking - open_blocking)
            may_share = or_(
                Vulnerability.duplicate_of.is_not(None),
                _may_share_a_term(dialect, sorted(key_terms)),
            )
            if dialect == "postgresql":
                # a vulnerability stands under several keys (its package, its stems): test its
                # terms once, on the distinct vulnerabilities reached, then join the keys back
                reached = (
                    select(VulnerabilityPackage.vulnerability_id).where(keyed).distinct()
                ).subquery()
                kept = (
                    select(Vulnerability.id)
                    .join(reached, reached.c.vulnerability_id == Vulnerability.id)
                    .where(may_share)
                ).subquery()
                queries.append(
                    pairs.join(kept, kept.c.id == VulnerabilityPackage.vulnerability_id).where(
                        keyed
                    )
                )
            else:  # SQLite's planner does best with the plain join
                queries.append(
                    pairs.join(
                        Vulnerability, Vulnerability.id == VulnerabilityPackage.vulnerability_id
                    )
                    .where(keyed)
                    .where(may_share)
                )
        previous = None
        if dialect == "postgresql" and key_terms:
            # A generic plan (psycopg prepares a statement from its fifth execution on) does
            # not hash a parameter array: "= ANY(:key_terms)" would then scan thousands of
            # terms for each stored term (seconds per batch). Planned for its parameters, the
            # array is hashed once. Only for this statement: the setting is put back after.
            previous = self.session.scalar(text("SELECT current_setting('plan_cache_mode')"))
            self.session.execute(
                text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
            )
        for query in queries:
            for key, owner in self.session.execute(query):
                self.package_index[key].add(owner)
        if previous is not None:
            self.session.execute(
                text("SELECT set_config('plan_cache_mode', :value, true)"), {"value": previous}
            )

    def _load_candidates(self, ids: set[str]) -> None:
        """Load whole only the package candidates some finding of the batch can match.

        A candidate scores only when it shares one of the finding's rare terms
        (:func:`~clearinghouse.findings.dedup.score_candidate`), and its scored terms are a
        subset of its stored term counts: so the terms (and ``duplicate_of`` links) of every
        package candidate are read first, and the rest of a vulnerability only when, for some
        finding blocked with it, that test can pass. A candidate left unloaded is skipped by
        :meth:`_candidates`: for every finding it reaches, it would have scored None.
        """
        terms: dict[str, frozenset[str]] = {}
        pending = ids - self.vulns.keys()
        asked: set[str] = set()
        while pending:
            asked |= pending
            for vulnerability_id, duplicate_of, stored in self.session.execute(
                select(Vulnerability.id, Vulnerability.duplicate_of, Vulnerability.terms).where(
                    one_of(self.dialect, Vulnerability.id, pending)
                )
            ):
                terms[vulnerability_id] = _profile_terms(stored or {})
                if duplicate_of:
                    self.links[vulnerability_id] = duplicate_of
            pending = (
                {target for source, target in self.links.items() if source in terms}
                - asked
                - self.vulns.keys()
            )
        holders: dict[str, set[str]] = defaultdict(set)
        for vulnerability_id, held in terms.items():
            for term in held:
                holders[term].add(vulnerability_id)
        wanted: set[str] = set()
        for features in self.features:
            reached = self._blocked_with(features)
            if self.links:
                reached = {self.resolve(i) for i in reached}
            key_terms = self._probe(features).key_terms
            if key_terms:
                sharing: set[str] = set()
                for term in key_terms:
                    sharing |= holders.get(term, set())
                reached &= sharing
            wanted |= reached & terms.keys()
        self._load_vulnerabilities(wanted)
        dropped = {i for i in terms if i not in self.vulns and self.resolve(i) not in self.vulns}
        if dropped:  # never a candidate: blocking need not reach them again
            for key, owners in self.package_index.items():
                self.package_index[key] = {i for i in owners if i not in dropped}

    def _load_vulnerabilities(self, ids: set[str]) -> None:
        pending = ids - self.vulns.keys()
        if pending:
            for row in self.session.execute(
                select(
                    Vulnerability.id,
                    Vulnerability.title,
                    Vulnerability.description,
                    Vulnerability.state,
                    Vulnerability.created_at,
                    Vulnerability.ecosystem,
                    Vulnerability.package_name,
                    Vulnerability.cwes,
                    Vulnerability.aliases,
                    Vulnerability.cvss_vectors,
                    Vulnerability.affected,
                    Vulnerability.exploitation,
                    Vulnerability.location,
                    Vulnerability.rule_id,
                    Vulnerability.terms,
                    Vulnerability.known_advisory_id,
                    Vulnerability.duplicate_of,
                ).where(one_of(self.dialect, Vulnerability.id, pending))
            ):
                self.vulns[row.id] = _Vuln(
                    id=row.id,
                    is_new=False,
                    title=row.title,
                    description=row.description,
                    state=row.state,
                    created_at=row.created_at,
                    ecosystem=row.ecosystem,
                    package_name=row.package_name,
                    cwes=list(row.cwes or []),
                    aliases=list(row.aliases or []),
                    vectors=list(row.cvss_vectors or []),
                    affected=list(row.affected or []),
                    exploitation=row.exploitation,
                    location=row.location,
                    rule_id=row.rule_id,
                    text=dict(row.terms or {}),
                    known_advisory_id=row.known_advisory_id,
                    duplicate_of=row.duplicate_of,
                )
                if row.duplicate_of:
                    self.links[row.id] = row.duplicate_of
        targets = {
            self.vulns[i].duplicate_of or i for i in pending if i in self.vulns
        } - self.vulns.keys()
        if targets:
            self._load_vulnerabilities(targets)

    def _load_knowledge_base(self) -> None:
        from clearinghouse.advisories.models import Advisory, AdvisoryAlias, AffectedPackage

        aliases = sorted({a for f in self.features for a in f.finding.aliases})
        for chunk in _chunks(aliases):
            for advisory_id in self.session.scalars(
                select(Advisory.id).where(Advisory.id.in_(chunk))
            ):
                self.kb_ids[advisory_id].add(advisory_id)
            for advisory_id, alias in self.session.execute(
                select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias).where(
                    AdvisoryAlias.alias.in_(chunk)
                )
            ):
                self.kb_ids[alias].add(advisory_id)
        packages = sorted(
            {
                (
                    base_ecosystem(e["package"]["ecosystem"]),
                    name_key(e["package"]["ecosystem"], e["package"]["name"]),
                )
                for f in self.features
                if not f.finding.aliases
                for e in f.finding.affected
            }
        )
        for chunk in _chunks(packages):
            for base, key, advisory_id in self.session.execute(
                select(
                    AffectedPackage.ecosystem_base,
                    AffectedPackage.name_key,
                    AffectedPackage.advisory_id,
                )
                .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
                .where(
                    tuple_(AffectedPackage.ecosystem_base, AffectedPackage.name_key).in_(chunk),
                    Advisory.withdrawn.is_(None),
                )
            ):
                self.kb_package_advisories[f"pkg:{base}/{key}"].add(advisory_id)
        wanted = sorted({a for ids in self.kb_package_advisories.values() for a in ids})
        for chunk in _chunks(wanted):
            for advisory_id, record in self.session.execute(
                select(Advisory.id, Advisory.record).where(Advisory.id.in_(chunk))
            ):
                parsed = orjson.loads(record)
                specific = parsed.get("database_specific") or {}
                self.kb_candidates[advisory_id] = Candidate(
                    id=advisory_id,
                    text=profile(
                        str(parsed.get("summary") or ""), str(parsed.get("details") or "")
                    ),
                    cwes=list(specific.get("cwe_ids") or []) if isinstance(specific, dict) else [],
                    affected=list(parsed.get("affected") or []),
                )

    # -- deciding ---------------------------------------------------------------------------
    def resolve(self, vulnerability_id: str) -> str:
        if not self.links and not self.merges:
            return vulnerability_id  # nothing to follow (the common case)
        seen = set()
        current = self.union.find(vulnerability_id)
        while current in self.links and current not in seen:
            seen.add(current)
            current = self.union.find(self.links[current])
        return current

    def _merge(self, ids: set[str], reason: str) -> str:
        roots = sorted(
            {self.resolve(i) for i in ids},
            key=lambda i: (
                self.vulns[i].is_new,
                self.vulns[i].created_at or utcnow(),
                i,
            ),
        )
        target = roots[0]
        for other in roots[1:]:
            self.union.union(target, other)
            self.merges.append((other, target, reason))
            source, into = self.vulns[other], self.vulns[target]
            for alias in source.aliases:
                if alias not in into.aliases:
                    into.aliases.append(alias)
            into.text = with_member(into.text, source.text)
            into.candidate = None
            into.changed = True
        return target

    def _new_vulnerability(self, features: _Features) -> _Vuln:
        finding = features.finding
        package = finding.affected[0]["package"] if finding.affected else {}
        vuln = _Vuln(
            id=new_vulnerability_id(),
            is_new=True,
            title=finding.title,
            description=finding.description,
            state=TriageState.new.value,
            created_at=None,
            ecosystem=package.get("ecosystem"),
            package_name=package.get("name"),
            location=finding.location,
            rule_id=finding.rule_id[:512] if finding.rule_id else None,
            text=features.text,
        )
        self.vulns[vuln.id] = vuln
        return vuln

    def _blocked_with(self, features: _Features) -> set[str]:
        """The vulnerabilities indexed under any of the finding's blocking keys."""
        found: set[str] = set()
        for key in features.blocking:
            found |= self.package_index.get(key, set())
        return found

    def _candidates(self, features: _Features) -> list[Candidate]:
        candidates: list[Candidate] = []
        for vulnerability_id in {self.resolve(i) for i in self._blocked_with(features)}:
            vuln = self.vulns.get(vulnerability_id)
            if vuln is None:
                continue
            if vuln.candidate is None:
                vuln.candidate = Candidate(
                    id=vuln.id,
                    text=vuln.text,
                    cwes=vuln.cwes,
                    affected=vuln.affected,
                    location=vuln.location,
                    rule_id=vuln.rule_id,
                )
            candidates.append(vuln.candidate)
        return candidates

    def _probe(self, features: _Features) -> Probe:
        if features.probe is None:
            finding = features.finding
            features.probe = Probe.of(
                self.model.vectors(features.text),
                finding.cwes,
                finding.affected,
                finding.location,
                finding.rule_id,
            )
        return features.probe

    def _known(self, features: _Features, probe: Probe) -> tuple[str, float, str] | None:
        finding = features.finding
        for alias in finding.aliases:
            advisories = sorted(self.kb_ids.get(alias, ()))
            if advisories:
                return advisories[0], 1.0, f"{alias} is knowledge-base advisory {advisories[0]}"
        candidates = [
            self.kb_candidates[a]
            for exact, _ in features.packages
            for a in sorted(self.kb_package_advisories.get(exact, ()))
            if a in self.kb_candidates
        ]
        match = best_near_match(
            self.model, probe, candidates, self.settings.rules(self.settings.known_threshold)
        )
        if match is None:
            return None
        reason = f"restates {match.vulnerability_id}: {match.reason}"
        return match.vulnerability_id, match.score, reason

    def decide(self, features: _Features) -> tuple[_Vuln, str, float, str]:
        owners: set[str] = set()
        matched_keys: list[str] = []
        for key in features.keys:
            found = self.key_owner.get(key)
            if found:
                owners |= {self.resolve(o) for o in found if o in self.vulns}
                matched_keys.append(key)
        if owners:
            method = "alias" if any(k.startswith("id:") for k in matched_keys) else "exact"
            reason = "same " + ", ".join(
                k.split(":", 1)[0] + " " + k.split(":", 1)[1][:60] for k in matched_keys[:3]
            )
            if len(owners) > 1:
                reason += f" (alias graph joins {len(owners)} vulnerabilities)"
                target = self._merge(owners, f"finding links {', '.join(matched_keys[:3])}")
            else:
                target = next(iter(owners))
            return self.vulns[target], method, 1.0, reason
        probe = self._probe(features)
        known = self._known(features, probe)
        if known is not None:
            advisory_id, score, reason = known
            for owner in self.key_owner.get(f"adv:{advisory_id}", ()):
                if owner in self.vulns:
                    return self.vulns[self.resolve(owner)], "known", score, reason
            vuln = self._new_vulnerability(features)
            vuln.known_advisory_id = advisory_id
            vuln.state = TriageState.known.value
            self._own(f"adv:{advisory_id}", vuln.id)
            return vuln, "known", score, reason
        match = best_near_match(
            self.model,
            probe,
            self._candidates(features),
            self.settings.rules(self.settings.near_threshold),
        )
        if match is not None:
            vuln = self.vulns[self.resolve(match.vulnerability_id)]
            return vuln, "near", match.score, match.reason
        return self._new_vulnerability(features), "new", 1.0, "no earlier report matched"

    def _own(self, key: str, vulnerability_id: str) -> None:
        if vulnerability_id not in self.key_owner[key]:
            self.key_owner[key].add(vulnerability_id)
            self.new_keys.add((key, vulnerability_id))

    def register(self, features: _Features, vuln: _Vuln) -> None:
        for key in features.keys:
            self._own(key, vuln.id)
        for key in features.blocking:
            if vuln.id not in self.package_index[key]:
                self.package_index[key].add(vuln.id)
                self.new_packages.add((key, vuln.id))
        if vuln.candidate is not None:
            vuln.candidate = None  # its aggregates changed


def _finding_row(
    features: _Features,
    submission_id: int,
    organization_id: int,
    vulnerability_id: str,
    method: str,
    score: float,
    reason: str,
    checks: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    finding = features.finding
    package = finding.affected[0]["package"] if finding.affected else {}
    return {
        "submission_id": submission_id,
        "organization_id": organization_id,
        "vulnerability_id": vulnerability_id,
        "batch_index": finding.index,
        "format": finding.format,
        "tool_name": finding.tool_name,
        "tool_version": finding.tool_version,
        "external_id": (finding.external_id or None) and finding.external_id[:512],
        "title": finding.title,
        "description": finding.description,
        "ecosystem": package.get("ecosystem"),
        "package_name": package.get("name"),
        "purl": package.get("purl"),
        "affected": list(finding.affected),
        "cwes": list(finding.cwes),
        "cvss_vectors": list(finding.cvss_vectors),
        "aliases": list(finding.aliases),
        "rule_id": finding.rule_id[:512] if finding.rule_id else None,
        "location": finding.location[:2048] if finding.location else None,
        "found_by_ai": finding.found_by_ai,
        "ai_model": finding.ai_model,
        "exploitation": finding.exploitation,
        "attachment_sha256": finding.attachment.sha256 if finding.attachment else None,
        "attachment_name": finding.attachment.filename if finding.attachment else None,
        "checks": checks,
        "dedup_method": method,
        "dedup_score": score,
        "dedup_reason": reason,
        "raw": orjson.dumps(finding.raw, default=str).decode(),
        "tlp": finding.tlp or DEFAULT_TLP.value,
        "created_at": now,
    }


def _known_packages(session: Session, features: list[_Features]) -> set[tuple[str, str]]:
    from clearinghouse.advisories.models import AffectedPackage
    from clearinghouse.findings.exposure import inventory_packages

    wanted = sorted(
        {
            (
                base_ecosystem(e["package"]["ecosystem"]),
                name_key(e["package"]["ecosystem"], e["package"]["name"]),
            )
            for f in features
            for e in f.finding.affected
        }
    )
    known = pairs_present(session, AffectedPackage.ecosystem_base, AffectedPackage.name_key, wanted)
    missing = set(wanted) - known
    if missing:
        known |= inventory_packages(session, missing)
    return known


def submit(
    session: Session,
    principal: Principal,
    data: bytes,
    *,
    source: str = "upload",
    declared: ReportFormat | None = None,
    atomic: bool = False,
    max_findings: int = 10_000,
    max_attachment_bytes: int = 1024 * 1024,
    dedup: DedupSettings | None = None,
    text_model: TextModel | None = None,
    tlp: str | None = None,
) -> IntakeReport:
    """Parse, check, deduplicate and store one report for ``principal``'s organization.

    Each finding's TLP marking is ``tlp`` when given, else the one the report states, else
    AMBER. Raises InputError for a report that cannot be read at all (and :class:`BatchRejected`
    when ``atomic`` and any finding is malformed); the caller's transaction then holds nothing.
    """
    started = time.perf_counter()
    try:
        marking = parse_tlp(tlp).value if tlp is not None else None
    except ValueError as exc:
        raise InputError("tlp", str(exc)) from None
    report_format, parsed = read_findings(
        source,
        data,
        declared=declared,
        max_findings=max_findings,
        max_attachment_bytes=max_attachment_bytes,
    )
    report = IntakeReport(submission_id=None, format=report_format.value)
    accepted: list[ReportedFinding] = []
    for item in parsed:
        if isinstance(item, RejectedFinding):
            report.rejected.append(item)
        else:
            item.tlp = marking or item.tlp
            accepted.append(item)
    if atomic and report.rejected:
        raise BatchRejected(source, report.rejected)
    organization_id = principal.organization_id
    now = utcnow()
    submission = Submission(
        organization_id=organization_id,
        actor=principal.actor,
        format=report_format.value,
        source=source[:1024],
        received_at=now,
        accepted=len(accepted),
        rejected=len(report.rejected),
        rejections=[{"index": r.index, "reason": r.reason} for r in report.rejected[:1000]],
    )
    session.add(submission)
    session.flush()
    report.submission_id = submission.id
    features = [_features(f, organization_id) for f in accepted]
    model = text_model or text_model_for(session)
    batch = _Batch(session, features, model, dedup or DedupSettings())
    known = _known_packages(session, features)
    decisions: list[tuple[_Features, _Vuln, str, float, str, list[dict[str, Any]]]] = []
    for feature in features:
        vuln, method, score, reason = batch.decide(feature)
        member = batch.settings.member_score is not None and score >= batch.settings.member_score
        vuln.absorb(
            feature.finding,
            feature.finding.attachment is not None,
            feature.text if member else None,
        )
        batch.register(feature, vuln)
        checks = intake_checks(feature.finding, known)
        decisions.append((feature, vuln, method, score, reason, checks))
    _store(session, principal, submission, batch, decisions, report, now)
    report.seconds = time.perf_counter() - started
    return report


def _store(
    session: Session,
    principal: Principal,
    submission: Submission,
    batch: _Batch,
    decisions: list[tuple[_Features, _Vuln, str, float, str, list[dict[str, Any]]]],
    report: IntakeReport,
    now: datetime,
) -> None:
    from clearinghouse.findings.workflow import merge_into

    new_rows: list[dict[str, Any]] = []
    transitions: list[dict[str, Any]] = []
    for vuln in batch.vulns.values():
        if not vuln.is_new or not vuln.added_findings:
            continue
        new_rows.append(_vulnerability_row(vuln, now))
        transitions.append(
            {
                "vulnerability_id": vuln.id,
                "from_state": None,
                "to_state": vuln.state,
                "actor": "system:intake",
                "organization_id": None,
                "at": now,
                "evidence": f"submission {submission.id}",
                "details": {"known_advisory_id": vuln.known_advisory_id}
                if vuln.known_advisory_id
                else {},
            }
        )
    vulnerability_table = Vulnerability.__table__
    assert isinstance(vulnerability_table, Table)
    bulk_insert(session, vulnerability_table, new_rows)
    updates = [
        {
            "b_id": v.id,
            "aliases": v.aliases,
            "cwes": v.cwes,
            "cvss_vectors": v.vectors,
            "affected": v.affected,
            "exploitation": v.exploitation,
            "terms": v.text,
            "updated_at": now,
            "added": v.added_findings,
        }
        for v in batch.vulns.values()
        if not v.is_new and (v.changed or v.added_findings)
    ]
    if updates:
        table = Vulnerability.__table__
        assert isinstance(table, Table)
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                aliases=bindparam("aliases"),
                cwes=bindparam("cwes"),
                cvss_vectors=bindparam("cvss_vectors"),
                affected=bindparam("affected"),
                exploitation=bindparam("exploitation"),
                terms=bindparam("terms"),
                updated_at=bindparam("updated_at"),
                finding_count=table.c.finding_count + bindparam("added"),
            ),
            updates,
        )
    attachments = {
        f.finding.attachment.sha256: {
            "sha256": f.finding.attachment.sha256,
            "size": f.finding.attachment.size,
            "media_type": f.finding.attachment.media_type,
            "data": f.finding.attachment.data,
            "created_at": now,
        }
        for f, *_ in decisions
        if f.finding.attachment is not None
    }
    _insert_ignore(session, FindingAttachment, list(attachments.values()))
    _insert_ignore(
        session, FindingKey, [{"key": k, "vulnerability_id": v} for k, v in sorted(batch.new_keys)]
    )
    _insert_ignore(
        session,
        VulnerabilityPackage,
        [{"package_key": k, "vulnerability_id": v} for k, v in sorted(batch.new_packages)],
    )
    rows = [
        _finding_row(
            features,
            submission.id,
            principal.organization_id,
            vuln.id,
            method,
            score,
            reason,
            checks,
            now,
        )
        for features, vuln, method, score, reason, checks in decisions
    ]
    finding_table = Finding.__table__
    assert isinstance(finding_table, Table)
    bulk_insert(session, finding_table, rows)
    # the submission's findings are exactly these rows, numbered in the order written
    ids = list(
        session.scalars(
            select(Finding.id).where(Finding.submission_id == submission.id).order_by(Finding.id)
        )
    )
    for source_id, target_id, reason in batch.merges:
        merge_into(
            session,
            principal.audit_actor,
            source_id,
            target_id,
            method="alias",
            score=1.0,
            reason=reason,
        )
        report.merged_vulnerabilities.append((source_id, target_id))
    refresh_markings(session, {v.id for v in batch.vulns.values() if v.added_findings})
    transition_table = Transition.__table__
    assert isinstance(transition_table, Table)
    bulk_insert(session, transition_table, transitions)
    report.new_vulnerabilities = len(new_rows)
    report.accepted = [
        FindingOutcome(
            features.finding.index,
            finding_id,
            vuln.id,
            method,
            score,
            reason,
            checks,
            features.finding.tlp or DEFAULT_TLP.value,
        )
        for finding_id, (features, vuln, method, score, reason, checks) in zip(
            ids, decisions, strict=True
        )
    ]
    record_event(
        session,
        principal.audit_actor,
        "findings.submit",
        "finding_submission",
        submission.id,
        after={
            "format": submission.format,
            "source": submission.source,
            "accepted": len(rows),
            "rejected": len(report.rejected),
            "findings": [ids[0], ids[-1]] if ids else [],
            "new_vulnerabilities": len(new_rows),
            "known": sorted(v.id for v in batch.vulns.values() if v.is_new and v.known_advisory_id),
            "merged": [[a, b] for a, b in report.merged_vulnerabilities],
        },
        organization_id=principal.organization_id,
        restricted=True,
    )


def _vulnerability_row(vuln: _Vuln, now: datetime) -> dict[str, Any]:
    return {
        "id": vuln.id,
        "title": vuln.title,
        "description": vuln.description,
        "state": vuln.state,
        "ecosystem": vuln.ecosystem,
        "package_name": vuln.package_name,
        "cwes": vuln.cwes,
        "aliases": vuln.aliases,
        "cvss_vectors": vuln.vectors,
        "affected": vuln.affected,
        "exploitation": vuln.exploitation,
        "location": vuln.location,
        "rule_id": vuln.rule_id,
        "terms": vuln.text,
        "known_advisory_id": vuln.known_advisory_id,
        "finding_count": vuln.added_findings,
        "created_at": now,
        "updated_at": now,
    }


__all__ += ["BatchRejected"]
