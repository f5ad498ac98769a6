"""Text similarity for near-duplicate findings: TF-IDF weighted cosine over word tokens.

Pure core. Document frequencies come from a corpus (the knowledge base's advisories and the
stored vulnerabilities): words every advisory uses ("vulnerability", distribution boilerplate)
weigh almost nothing, while the rare words that name a bug (a function, a parameter, a file)
carry the score. Term counts are what is stored per vulnerability; weights are applied at
comparison time, so a refreshed corpus never invalidates stored data.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TextModel",
    "TextProfile",
    "cosine",
    "profile",
    "similarity",
    "term_counts",
    "tokens",
    "with_member",
]

_BULLET = re.compile(r"^\s*[*\u2022-]\s+(.+)$", re.MULTILINE)
_MAX_BULLETS = 12
MAX_TERMS = 120
"""Terms kept per vector: the tail of a long text adds cost, not evidence."""
RARE_DF = 50
"""A term in at most this many corpus documents is *rare*: it names something specific."""
MIN_CORPUS = 500
"""Below this many documents nothing can be called rare (no specificity penalty)."""
_TOKEN = re.compile(r"[a-z0-9_][a-z0-9_.]*[a-z0-9_]|[a-z0-9_]")
_MAX_CHARS = 6000
_NUMERIC = re.compile(r"^v?\d[\d._]*$")
"""Versions, dates, build numbers: rare, yet two texts citing different ones (a range end
here, a release date there) are not naming different things."""
_STOPWORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "more",
        "most",
        "must",
        "no",
        "not",
        "of",
        "on",
        "or",
        "other",
        "such",
        "than",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "were",
        "when",
        "where",
        "which",
        "while",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "also",
        "all",
        "any",
        "before",
        "after",
        "over",
        "under",
        "up",
        "via",
        "upon",
        "within",
        "without",
    )
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (dotted names kept whole), stopwords and 1-letter words out."""
    return [
        t for t in _TOKEN.findall(text[:_MAX_CHARS].lower()) if len(t) > 1 and t not in _STOPWORDS
    ]


def term_counts(*texts: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(tokens(text))
    return dict(counts)


@dataclass
class TextModel:
    """Document frequencies of a corpus; turns term counts into unit TF-IDF vectors."""

    documents: int = 0
    df: dict[str, int] = field(default_factory=dict)
    _idf: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TextModel:
        model = cls()
        for text in texts:
            model.add(set(tokens(text)))
        return model

    def add(self, terms: Iterable[str]) -> None:
        self._idf.clear()
        self.documents += 1
        df = self.df
        for term in terms:
            df[term] = df.get(term, 0) + 1

    @property
    def rare_idf(self) -> float:
        return math.log((self.documents + 1) / (RARE_DF + 1)) + 1.0

    def vectors(self, text: TextProfile) -> list[Vector]:
        """Vectors of the whole text and of each bullet, then those of each member text
        (:func:`with_member`)."""
        found = [
            self.weighted(text.get("w") or {}),
            *(self.weighted(b) for b in text.get("b") or ()),
        ]
        for member in text.get("m") or ():
            found.extend(self.vectors(member))
        return found

    def weighted(self, counts: Mapping[str, int]) -> Vector:
        weights = self.vector(counts)
        if self.documents < MIN_CORPUS:
            return Vector(weights, {})
        limit = self.rare_idf
        return Vector(
            weights,
            {t: w for t, w in weights.items() if self.idf(t) >= limit and not _NUMERIC.match(t)},
        )

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            value = math.log((self.documents + 1) / (self.df.get(term, 0) + 1)) + 1.0
            self._idf[term] = value
        return value

    def vector(self, counts: Mapping[str, int]) -> dict[str, float]:
        """Unit TF-IDF vector of the ``MAX_TERMS`` heaviest terms."""
        weights = {t: (1.0 + math.log(c)) * self.idf(t) for t, c in counts.items() if c > 0}
        if len(weights) > MAX_TERMS:
            kept = sorted(weights.items(), key=lambda item: item[1], reverse=True)[:MAX_TERMS]
            weights = dict(kept)
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if norm == 0:
            return {}
        return {t: w / norm for t, w in weights.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)


TextProfile = dict[str, Any]
"""What is stored per text: ``{"w": whole-text term counts, "b": [bullet term counts]}``, and
for a vulnerability ``"m"``: the profiles of up to ``MAX_MEMBERS`` other findings' texts."""

MAX_MEMBERS = 4
"""Texts of a vulnerability compared besides its first finding's: reports of one bug in
other words (an errata, a module advisory, the NVD text) each attract their own restatements."""


def with_member(text: TextProfile, other: TextProfile) -> TextProfile:
    """``text`` with ``other`` (and its own members) among its member texts: unchanged (the
    same object) when each is already there or ``MAX_MEMBERS`` are kept."""
    members = list(text.get("m") or ())
    seen = [text.get("w") or {}, *(m.get("w") or {} for m in members)]
    added = False
    for item in ({"w": other.get("w") or {}, "b": other.get("b") or []}, *(other.get("m") or ())):
        if len(members) >= MAX_MEMBERS:
            break
        words = item.get("w") or {}
        if words and words not in seen:
            members.append({"w": words, "b": list(item.get("b") or [])})
            seen.append(words)
            added = True
    return {**text, "m": members} if added else text


def profile(title: str, description: str) -> TextProfile:
    """Term counts of the whole text and of each bullet item (advisories list one issue per
    bullet: an errata naming its fixes, a scanner listing its findings)."""
    bullets = [
        term_counts(m.group(1))
        for m in _BULLET.finditer(description[:_MAX_CHARS])
        if len(m.group(1).split()) >= 3
    ][:_MAX_BULLETS]
    return {"w": term_counts(title, description), "b": bullets}


@dataclass(frozen=True, slots=True)
class Vector:
    weights: dict[str, float]
    """Unit TF-IDF vector."""
    rare: dict[str, float]
    """Its rare terms (document frequency at most ``RARE_DF``) and their weights."""


def _unshared_rare(a: Vector, b: Vector, ignore: frozenset[str]) -> float:
    """Weight of the rare terms only one side has, for the side with less: both texts naming
    different specific things (two functions, two parameters) is evidence of two bugs."""
    only_a = sum(w for t, w in a.rare.items() if t not in b.weights and t not in ignore)
    if not only_a:
        return 0.0
    return min(only_a, sum(w for t, w in b.rare.items() if t not in a.weights and t not in ignore))


def similarity(
    vectors_a: Sequence[Vector],
    vectors_b: Sequence[Vector],
    *,
    specificity_penalty: float,
    ignore: frozenset[str] = frozenset(),
) -> float:
    """Best ``cosine - penalty x unshared rare weight`` over whole texts and bullet items
    (the vectors of :meth:`TextModel.vectors`); rare terms in ``ignore`` (the words of the
    package names, already known to agree) are no evidence either way."""
    best = -1.0
    for x in vectors_a:
        for y in vectors_b:
            score = cosine(x.weights, y.weights)
            if score <= best:
                continue
            score -= specificity_penalty * _unshared_rare(x, y, ignore)
            best = max(best, score)
    return best
