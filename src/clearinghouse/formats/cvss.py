"""CVSS vectors (v2, v3.0, v3.1, v4.0) to base scores and ratings, with the ``cvss`` package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CvssScore", "rating_for", "score_vector"]


@dataclass(frozen=True, slots=True)
class CvssScore:
    version: str
    """``2.0``, ``3.0``, ``3.1`` or ``4.0``."""
    vector: str
    base_score: float
    rating: str
    """``NONE``, ``LOW``, ``MEDIUM``, ``HIGH`` or ``CRITICAL`` (qualitative severity)."""


def rating_for(score: float) -> str:
    """Qualitative severity rating scale of CVSS v3/v4 (also used for v2 scores)."""
    if score == 0:
        return "NONE"
    if score < 4.0:
        return "LOW"
    if score < 7.0:
        return "MEDIUM"
    if score < 9.0:
        return "HIGH"
    return "CRITICAL"


@lru_cache(maxsize=16384)
def score_vector(vector: str) -> CvssScore:
    """Compute the base score of a CVSS vector string; ValueError when it is not valid."""
    from cvss import CVSS2, CVSS3, CVSS4, CVSSError

    text = vector.strip()
    try:
        if text.startswith("CVSS:4.0/"):
            v4 = CVSS4(text)
            score = float(v4.base_score)
            return CvssScore("4.0", v4.clean_vector(), score, rating_for(score))
        if text.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            v3 = CVSS3(text)
            score = float(v3.base_score)
            return CvssScore(text[5:8], v3.clean_vector(), score, rating_for(score))
        v2 = CVSS2(text.removeprefix("(").removesuffix(")"))
        score = float(v2.base_score)
        return CvssScore("2.0", v2.clean_vector(), score, rating_for(score))
    except CVSSError as exc:
        raise ValueError(f"invalid CVSS vector {vector!r}: {exc}") from None
