"""FIRST EPSS scores: read the published CSV and keep the latest scores per CVE.

The file (``epss_scores-YYYY-MM-DD.csv``, gzip or not) starts with a comment line
``#model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000`` and a header
``cve,epss,percentile``. An import replaces the stored scores in one transaction.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from clearinghouse.audit import Actor, record_event
from clearinghouse.findings.models import EpssScore
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.safety import decode_text

__all__ = ["EpssCatalog", "epss_for", "parse_epss", "store_epss"]

_CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$")


@dataclass(frozen=True, slots=True)
class EpssCatalog:
    model_version: str | None
    score_date: date | None
    scores: dict[str, tuple[float, float]]


def _probability(source: str, line: int, field: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InputError(source, f"line {line}: {field} {value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise InputError(source, f"line {line}: {field} {number} is not between 0 and 1")
    return number


def parse_epss(source: str, data: bytes) -> EpssCatalog:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(source, f"is not a readable gzip file: {exc}") from None
    text = decode_text(source, data)
    lines = text.splitlines()
    model_version: str | None = None
    score_date: date | None = None
    start = 0
    if lines and lines[0].startswith("#"):
        start = 1
        for part in lines[0][1:].split(","):
            key, _, value = part.partition(":")
            if key.strip() == "model_version":
                model_version = value.strip() or None
            elif key.strip() == "score_date":
                try:
                    score_date = datetime.fromisoformat(
                        value.strip().replace("+0000", "+00:00")
                    ).date()
                except ValueError:
                    raise InputError(
                        source, f"line 1: score_date {value!r} is not a date"
                    ) from None
    reader = csv.reader(io.StringIO("\n".join(lines[start:])))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:3]] != ["cve", "epss", "percentile"]:
        raise InputError(source, f"line {start + 1}: expected the header cve,epss,percentile")
    scores: dict[str, tuple[float, float]] = {}
    for offset, row in enumerate(reader, start=start + 2):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 3:
            raise InputError(source, f"line {offset}: expected cve,epss,percentile")
        cve = row[0].strip()
        if not _CVE.match(cve):
            raise InputError(source, f"line {offset}: {cve!r} is not a CVE id")
        scores[cve] = (
            _probability(source, offset, "epss", row[1]),
            _probability(source, offset, "percentile", row[2]),
        )
    if not scores:
        raise InputError(source, "holds no scores")
    return EpssCatalog(model_version, score_date, scores)


@dataclass(frozen=True, slots=True)
class EpssImport:
    scores: int
    model_version: str | None
    score_date: date | None


def store_epss(session: Session, actor: Actor, catalog: EpssCatalog, source: str) -> EpssImport:
    """Replace the stored scores with ``catalog`` (in the caller's transaction), audited."""
    session.execute(delete(EpssScore))
    rows = [
        {
            "cve_id": cve,
            "epss": epss,
            "percentile": percentile,
            "score_date": catalog.score_date,
            "model_version": catalog.model_version,
        }
        for cve, (epss, percentile) in catalog.scores.items()
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(EpssScore), rows[start : start + 5000])
    record_event(
        session,
        actor,
        "epss.import",
        "epss",
        catalog.score_date.isoformat() if catalog.score_date else "unknown",
        after={"source": source, "scores": len(rows), "model_version": catalog.model_version},
    )
    return EpssImport(len(rows), catalog.model_version, catalog.score_date)


def epss_for(session: Session, cves: set[str]) -> dict[str, tuple[float, float]]:
    found: dict[str, tuple[float, float]] = {}
    ids = sorted(cves)
    for start in range(0, len(ids), 500):
        for cve, epss, percentile in session.execute(
            select(EpssScore.cve_id, EpssScore.epss, EpssScore.percentile).where(
                EpssScore.cve_id.in_(ids[start : start + 500])
            )
        ):
            found[cve] = (epss, percentile)
    return found
