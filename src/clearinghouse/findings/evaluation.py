"""A labelled deduplication set built from real OSV records, and pairwise quality figures.

Records from different databases that name the same single CVE (Bitnami and PyPI, AlmaLinux
and PyPI, two PyPI records...) are positives; records of the same or an equivalent package
that name different CVEs are negatives. Before they are submitted, every identifier is
removed — ``id`` (replaced by an opaque one), ``aliases``, ``upstream``, ``related``,
references, ``database_specific`` — and CVE/GHSA/... ids are cut out of the text, so only the
package, versions, CWE and words are left to decide with.
"""

from __future__ import annotations

import hashlib
import random
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from clearinghouse.findings.dedup import equivalence, package_keys

__all__ = [
    "LabelledPair",
    "LabelledSet",
    "PairwiseScore",
    "build_pairs",
    "load_records",
    "pairwise_quality",
    "scrub",
]

_IDS = re.compile(
    r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+|GO-\d{4}-\d+|RUSTSEC-\d{4}-\d+"
    r"|BIT-[a-z0-9._-]+-\d{4}-\d+|AL[SBE]A-\d{4}:\d+|RHSA-\d{4}:\d+|RHBA-\d{4}:\d+)\b",
    re.IGNORECASE,
)


def _cves(record: dict[str, Any], *, related: bool) -> set[str]:
    ids = {record.get("id", ""), *record.get("aliases", []), *record.get("upstream", [])}
    if related:
        ids.update(record.get("related", []))
    return {i for i in ids if isinstance(i, str) and i.startswith("CVE-")}


def load_records(osv_root: Path, ecosystems: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(database, record) for every record of each ecosystem's ``all.zip``."""
    for ecosystem in ecosystems:
        with zipfile.ZipFile(osv_root / ecosystem / "all.zip") as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".json"):
                    yield ecosystem, orjson.loads(archive.read(name))


def scrub(record: dict[str, Any], opaque_id: str) -> dict[str, Any]:
    """The record with every identifier removed (text included) and an opaque id."""
    clean: dict[str, Any] = {
        "id": opaque_id,
        "modified": record["modified"],
    }
    for key in ("summary", "details"):
        if isinstance(record.get(key), str):
            clean[key] = _IDS.sub("", record[key])
    if record.get("severity"):
        clean["severity"] = record["severity"]
    cwes = (record.get("database_specific") or {}).get("cwe_ids")
    if cwes:
        clean["database_specific"] = {"cwe_ids": cwes}
    clean["affected"] = []
    for entry in record.get("affected") or ():
        if not entry.get("package"):
            continue
        kept = {k: v for k, v in entry.items() if k in ("package", "versions", "severity")}
        ranges = [r for r in entry.get("ranges") or () if r.get("type") != "GIT"]
        if ranges:
            kept["ranges"] = ranges
        clean["affected"].append(kept)
    return clean


@dataclass(frozen=True, slots=True)
class LabelledPair:
    a: str
    b: str
    same: bool
    category: str


def _blocking(record: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for entry in record.get("affected") or ():
        package = entry.get("package") or {}
        if isinstance(package.get("ecosystem"), str) and isinstance(package.get("name"), str):
            exact, equivalent = package_keys(package["ecosystem"], package["name"])
            keys |= {exact, *equivalent}
    return keys


@dataclass
class LabelledSet:
    records: dict[str, dict[str, Any]]
    """Scrubbed records by opaque id."""
    pairs: list[LabelledPair]
    unrelated_package_positives: int
    """Same-CVE pairs left out because their packages are unrelated (``nginx`` and
    ``apisix`` both shipping an HTTP/2 flaw): only an id can join those."""


def build_pairs(
    records: Iterable[tuple[str, dict[str, Any]]],
    *,
    negatives_per_positive: float = 3.0,
    seed: int = 20261122,
) -> LabelledSet:
    """The labelled set: scrubbed records and the pairs among them.

    Only records naming exactly one CVE take part (an AlmaLinux errata listing five CVEs is
    not one vulnerability). Positives: pairs naming the same CVE whose packages are the same
    or equivalent (:func:`clearinghouse.findings.dedup.equivalence`), from different
    databases or both from PyPI. Negatives: pairs of the same or equivalent packages naming
    different CVEs, sampled deterministically.
    """
    by_cve: dict[str, list[tuple[str, str]]] = defaultdict(list)
    originals: dict[str, tuple[str, dict[str, Any], str]] = {}
    for database, record in records:
        if record.get("withdrawn"):
            continue
        cves = _cves(record, related=database == "AlmaLinux")
        if len(cves) != 1:
            continue
        cve = next(iter(cves))
        digest = hashlib.sha256(f"{database}/{record['id']}".encode()).hexdigest()[:16]
        opaque = f"x_EVAL-{digest}"
        originals[opaque] = (database, record, cve)
        by_cve[cve].append((database, opaque))
    positives: list[LabelledPair] = []
    unrelated = 0
    used: set[str] = set()
    for members in by_cve.values():
        for i, (db_a, a) in enumerate(members):
            for db_b, b in members[i + 1 :]:
                if db_a == db_b and db_a != "PyPI":
                    continue
                if (
                    equivalence(
                        originals[a][1].get("affected") or [], originals[b][1].get("affected") or []
                    )
                    is None
                ):
                    unrelated += 1
                    continue
                category = "↔".join(sorted((db_a, db_b)))
                positives.append(LabelledPair(a, b, True, category))
                used.update((a, b))
    by_key: dict[str, list[str]] = defaultdict(list)
    for opaque in sorted(used):
        for key in _blocking(originals[opaque][1]):
            by_key[key].append(opaque)
    candidates: set[tuple[str, str]] = set()
    for block in by_key.values():
        for i, a in enumerate(block):
            for b in block[i + 1 :]:
                if originals[a][2] != originals[b][2]:
                    candidates.add((a, b))
    rng = random.Random(seed)
    ordered = sorted(candidates)
    rng.shuffle(ordered)
    wanted = int(len(positives) * negatives_per_positive)
    negatives: list[LabelledPair] = []
    for a, b in ordered:
        if len(negatives) >= wanted:
            break
        if (
            equivalence(
                originals[a][1].get("affected") or [], originals[b][1].get("affected") or []
            )
            is None
        ):
            continue
        category = "↔".join(sorted((originals[a][0], originals[b][0])))
        negatives.append(LabelledPair(a, b, False, category))
    involved = {x for p in positives + negatives for x in (p.a, p.b)}
    scrubbed = {o: scrub(originals[o][1], o) for o in sorted(involved)}
    return LabelledSet(scrubbed, positives + negatives, unrelated)


@dataclass(frozen=True, slots=True)
class PairwiseScore:
    pairs: int
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "tp": self.true_positives,
            "fp": self.false_positives,
            "fn": self.false_negatives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def pairwise_quality(pairs: Iterable[LabelledPair], cluster_of: dict[str, str]) -> PairwiseScore:
    """Pairwise precision/recall of a clustering (opaque id -> vulnerability id)."""
    tp = fp = fn = n = 0
    for pair in pairs:
        n += 1
        together = cluster_of[pair.a] == cluster_of[pair.b]
        if together and pair.same:
            tp += 1
        elif together:
            fp += 1
        elif pair.same:
            fn += 1
    return PairwiseScore(n, tp, fp, fn)
