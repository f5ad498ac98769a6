"""Evaluations: Inspect AI eval logs (``.eval`` and ``.json``) uploaded by evaluators.

Logs are read only with ``inspect_ai.log.read_eval_log``, from a file on disk whose size was
checked first. What we keep: task, evaluated model, status, sample counts, every scorer's
numeric metrics, and the log's SHA-256 (the log itself stays with the evaluator; the hash proves
which log a result came from).

Who sees an evaluation: the evaluator that uploaded it, the model's developer, and coordinators.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.safety import check_size
from clearinghouse.frontier.benchmarks import recognise_benchmark
from clearinghouse.frontier.common import (
    Conflict,
    NotFound,
    audit,
    require_kind,
    require_role,
)
from clearinghouse.frontier.models import Evaluation, ModelVersion
from clearinghouse.frontier.registry import get_version, version_model
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.participants.service import Principal

LOG_FORMATS = ("eval", "json")
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class LogSummary:
    """What an Inspect eval log says, in the terms we store."""

    log_format: str
    sha256: str
    size: int
    task: str
    task_id: str
    run_id: str
    task_version: str
    model: str
    status: str
    error: str | None
    total_samples: int
    completed_samples: int
    scores: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime | None = None
    inspect_version: str = ""


# -- reading logs --------------------------------------------------------------------------------


def detect_format(source: str, head: bytes) -> str:
    """``eval`` (a zip) or ``json``, from the name and checked against the first bytes."""
    suffix = Path(source).suffix.lower().lstrip(".")
    looks_zip = head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06")
    looks_json = head.lstrip()[:1] == b"{"
    if suffix == "eval":
        if not looks_zip:
            raise InputError(source, "a .eval log is a zip archive, but this file is not one")
        return "eval"
    if suffix == "json":
        if not looks_json:
            raise InputError(source, "a .json eval log is a JSON object, but this file is not one")
        return "json"
    if looks_zip:
        return "eval"
    if looks_json:
        return "json"
    raise InputError(
        source, "not an Inspect eval log: expected a .eval (zip) or .json log", status=415
    )


def _check_archive(source: str, path: Path, limit: int) -> None:
    """Refuse a .eval archive that would inflate past ``limit`` (zip-bomb guard)."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InputError(source, "the .eval archive is truncated or corrupt") from None
    if total > limit:
        raise InputError(
            source,
            f"the .eval archive would inflate to {total} bytes, more than the {limit} limit",
            status=413,
        )


def _reason(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "the log"
        return f"not a valid Inspect eval log: {where}: {first.get('msg', 'invalid')}"
    if isinstance(exc, KeyError):
        return f"the .eval archive lacks the entry {exc.args[0]!r} every Inspect log has"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if text.startswith("EOCD") or isinstance(exc, zipfile.BadZipFile):
        return "the .eval archive is truncated or corrupt"
    if text.startswith("Unable to read log file"):
        return "not an Inspect eval log"
    return f"not a readable Inspect eval log: {text[:300]}"


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _scores(log: Any) -> list[dict[str, Any]]:
    results = log.results
    if results is None:
        return []
    out = []
    for score in results.scores:
        metrics = {}
        for name, metric in score.metrics.items():
            value = _numeric(metric.value)
            if value is not None:
                metrics[name] = value
        out.append(
            {
                "name": score.name,
                "scorer": score.scorer,
                "reducer": score.reducer,
                "scored_samples": score.scored_samples,
                "metrics": metrics,
            }
        )
    return out


def read_log(source: str, path: Path, *, limit: int, archive_limit: int) -> LogSummary:
    """Summarise the Inspect eval log at ``path`` (``source`` names it in errors)."""
    size = path.stat().st_size
    check_size(source, size, limit)
    if size == 0:
        raise InputError(source, "the file is empty")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(64)
        digest.update(head)
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    log_format = detect_format(source, head)
    if log_format == "eval":
        _check_archive(source, path, archive_limit)

    from inspect_ai.log import read_eval_log

    try:
        log = read_eval_log(str(path), format=log_format)  # type: ignore[arg-type]
    except Exception as exc:  # every failure is the upload's fault, said precisely
        raise InputError(source, _reason(exc)) from None
    spec = log.eval
    results = log.results
    total = results.total_samples if results else int(spec.dataset.samples or 0)
    completed = results.completed_samples if results else 0
    error = None
    if log.error is not None:
        error = log.error.message[:2000]
    return LogSummary(
        log_format=log_format,
        sha256=digest.hexdigest(),
        size=size,
        task=spec.task[:300],
        task_id=spec.task_id[:100],
        run_id=spec.run_id[:100],
        task_version=str(spec.task_version)[:50],
        model=spec.model[:300],
        status=log.status,
        error=error,
        total_samples=int(total),
        completed_samples=int(completed),
        scores=_scores(log),
        created_at=_created(spec.created),
        inspect_version=str(spec.packages.get("inspect_ai", ""))[:40],
    )


def _created(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@contextmanager
def spooled_upload(
    source: str, stream: IO[bytes], *, limit: int, directory: Path | None = None
) -> Iterator[Path]:
    """Copy an upload to a temporary file, refusing it past ``limit`` bytes; removed afterwards."""
    suffix = Path(source).suffix.lower()
    suffix = suffix if suffix in (".eval", ".json") else ""
    with tempfile.TemporaryDirectory(prefix="eval-upload-", dir=directory) as tmp:
        path = Path(tmp) / f"upload{suffix}"
        written = 0
        with path.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                written += len(chunk)
                check_size(source, written, limit)
                out.write(chunk)
        yield path


# -- the service ---------------------------------------------------------------------------------


def evaluation_snapshot(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "id": evaluation.id,
        "version_id": evaluation.version_id,
        "organization_id": evaluation.organization_id,
        "task": evaluation.task,
        "benchmark": evaluation.benchmark,
        "evaluated_model": evaluation.evaluated_model,
        "status": evaluation.status,
        "total_samples": evaluation.total_samples,
        "completed_samples": evaluation.completed_samples,
        "log_sha256": evaluation.log_sha256,
        "log_format": evaluation.log_format,
    }


def require_uploader(session: Session, principal: Principal, version_id: int) -> None:
    """An evaluator (member or above) the version's model was shared with."""
    require_kind(principal, [OrganizationKind.evaluator], "upload evaluations")
    require_role(principal, Role.member)
    get_version(session, principal, version_id)


def record_evaluation(
    session: Session, principal: Principal, version_id: int, summary: LogSummary
) -> Evaluation:
    """Store what a log says for a version the evaluator was given (one log once per version)."""
    require_uploader(session, principal, version_id)
    version = get_version(session, principal, version_id)
    duplicate = session.scalar(
        select(Evaluation).where(
            Evaluation.version_id == version.id, Evaluation.log_sha256 == summary.sha256
        )
    )
    if duplicate is not None:
        raise Conflict(f"this log (SHA-256 {summary.sha256}) is already evaluation {duplicate.id}")
    evaluation = Evaluation(
        version_id=version.id,
        organization_id=principal.organization_id,
        uploaded_by=principal.actor,
        log_format=summary.log_format,
        log_sha256=summary.sha256,
        log_bytes=summary.size,
        task=summary.task,
        task_id=summary.task_id,
        run_id=summary.run_id,
        task_version=summary.task_version,
        evaluated_model=summary.model,
        benchmark=recognise_benchmark(summary.task),
        status=summary.status,
        error=summary.error,
        total_samples=summary.total_samples,
        completed_samples=summary.completed_samples,
        scores=summary.scores,
        eval_created_at=summary.created_at,
        inspect_version=summary.inspect_version,
    )
    session.add(evaluation)
    session.flush()
    model = version_model(session, version)
    audit(
        session,
        principal,
        "frontier.evaluation.upload",
        "frontier_evaluation",
        evaluation.id,
        after=evaluation_snapshot(evaluation),
        organization_id=model.organization_id,
    )
    return evaluation


def upload_evaluation(
    session: Session,
    principal: Principal,
    version_id: int,
    source: str,
    path: Path,
    *,
    limit: int,
    archive_limit: int,
) -> Evaluation:
    """Check the caller may upload first (nothing is read for a version it cannot see)."""
    require_uploader(session, principal, version_id)
    summary = read_log(source, path, limit=limit, archive_limit=archive_limit)
    return record_evaluation(session, principal, version_id, summary)


def can_see_evaluation(session: Session, principal: Principal, evaluation: Evaluation) -> bool:
    if principal.is_coordinator or evaluation.organization_id == principal.organization_id:
        return True
    version = session.get(ModelVersion, evaluation.version_id)
    if version is None:
        return False
    return version_model(session, version).organization_id == principal.organization_id


def list_evaluations(session: Session, principal: Principal, version_id: int) -> list[Evaluation]:
    version = get_version(session, principal, version_id)
    rows = session.scalars(
        select(Evaluation).where(Evaluation.version_id == version.id).order_by(Evaluation.id)
    )
    return [e for e in rows if can_see_evaluation(session, principal, e)]


def get_evaluation(session: Session, principal: Principal, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or not can_see_evaluation(session, principal, evaluation):
        raise NotFound("no such evaluation")
    return evaluation


def version_evaluations(session: Session, version_id: int) -> list[Evaluation]:
    """Every evaluation of a version, unscoped: for the cleared designation process only."""
    return list(
        session.scalars(
            select(Evaluation).where(Evaluation.version_id == version_id).order_by(Evaluation.id)
        )
    )
