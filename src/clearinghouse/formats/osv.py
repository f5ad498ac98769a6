"""OSV records (https://ossf.github.io/osv-schema/): validation and the facts we index.

Pure core. Records stay plain dicts (as parsed from JSON) — they are stored and served as
received; this module validates them against the vendored OSV JSON schema and extracts what the
knowledge base indexes: timestamps, aliases, affected packages and severity.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from clearinghouse.formats.cvss import CvssScore, rating_for, score_vector

__all__ = [
    "RecordSeverity",
    "format_timestamp",
    "parse_timestamp",
    "record_severity",
    "schema_errors",
]

_RATINGS = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_RATING_ALIASES = {"MODERATE": "MEDIUM", "IMPORTANT": "HIGH", "INFORMATIONAL": "NONE"}


@cache
def _validator() -> Any:
    import jsonschema_rs

    schema = json.loads(
        resources.files("clearinghouse.formats").joinpath("schemas/osv.schema.json").read_text()
    )
    return jsonschema_rs.validator_for(schema)


def schema_errors(record: Any, limit: int = 3) -> list[str]:
    """Up to ``limit`` OSV-schema violations of ``record``, each as ``path: message``."""
    validator = _validator()
    if validator.is_valid(record):
        return []
    errors: list[str] = []
    for error in validator.iter_errors(record):
        path = "/".join(str(p) for p in error.instance_path) or "(record)"
        errors.append(f"{path}: {error.message}")
        if len(errors) >= limit:
            break
    return errors


def parse_timestamp(value: str) -> datetime:
    """RFC 3339 timestamp (``Z`` or offset, optional fraction) to an aware UTC datetime."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``, as OSV writes them (microseconds only when non-zero)."""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class RecordSeverity:
    """The worst severity a record states, for sorting and filtering."""

    rating: str | None
    """NONE/LOW/MEDIUM/HIGH/CRITICAL, from the best-scored vector or the database's own label."""
    score: float | None
    vector: str | None
    cvss_version: str | None


def _severity_entries(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from record.get("severity") or ()
    for affected in record.get("affected") or ():
        yield from affected.get("severity") or ()


def _database_rating(record: dict[str, Any]) -> str | None:
    specific = record.get("database_specific")
    if not isinstance(specific, dict):
        return None
    label = specific.get("severity")
    if not isinstance(label, str):
        return None
    label = label.strip().upper()
    label = _RATING_ALIASES.get(label, label)
    return label if label in _RATINGS else None


def record_severity(record: dict[str, Any]) -> RecordSeverity:
    best: CvssScore | None = None
    for entry in _severity_entries(record):
        vector = entry.get("score")
        if not isinstance(vector, str) or not entry.get("type", "").startswith("CVSS"):
            continue
        try:
            scored = score_vector(vector)
        except ValueError:
            continue
        if best is None or (scored.base_score, scored.version) > (best.base_score, best.version):
            best = scored
    if best is not None:
        return RecordSeverity(best.rating, best.base_score, best.vector, best.version)
    return RecordSeverity(_database_rating(record), None, None, None)


def severities(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Every CVSS severity of a record with its computed score (invalid vectors reported)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in _severity_entries(record):
        vector = entry.get("score")
        kind = entry.get("type")
        if not isinstance(vector, str) or vector in seen:
            continue
        seen.add(vector)
        item: dict[str, Any] = {"type": kind, "vector": vector, "score": None, "rating": None}
        if isinstance(kind, str) and kind.startswith("CVSS"):
            try:
                scored = score_vector(vector)
                item["score"] = scored.base_score
                item["rating"] = scored.rating
            except ValueError as exc:
                item["error"] = str(exc)
        out.append(item)
    if not out:
        label = _database_rating(record)
        if label:
            out.append(
                {"type": "database_specific", "vector": None, "score": None, "rating": label}
            )
    return out


def rating_rank(rating: str | None) -> int:
    """0 (unknown) .. 5 (CRITICAL), for ``--min-severity`` style filters."""
    return _RATINGS.index(rating) + 1 if rating in _RATINGS else 0


__all__ += ["rating_for", "rating_rank", "severities"]
