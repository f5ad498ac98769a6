"""The corpus statistics near-duplicate scoring uses, built from the database and cached.

Document frequencies come from up to ``SAMPLE`` knowledge-base advisories (summary and
details) and up to ``SAMPLE`` most recent vulnerabilities (their stored term counts). They
are rebuilt when older than ``MAX_AGE`` seconds: a corpus that grows by a few thousand
documents barely moves an IDF weight, so a slightly stale model scores the same.
"""

from __future__ import annotations

import threading
import time

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse.findings.text import TextModel, tokens

__all__ = ["forget_text_models", "text_model_for"]

SAMPLE = 20_000
MAX_AGE = 900.0

_lock = threading.Lock()
_models: dict[str, tuple[float, int, TextModel]] = {}


def _build(session: Session) -> TextModel:
    from clearinghouse.advisories.models import Advisory
    from clearinghouse.findings.models import Vulnerability

    model = TextModel()
    for record in session.scalars(
        select(Advisory.record).order_by(Advisory.modified.desc()).limit(SAMPLE)
    ):
        parsed = orjson.loads(record)
        model.add(set(tokens(f"{parsed.get('summary') or ''} {parsed.get('details') or ''}")))
    for text in session.scalars(
        select(Vulnerability.terms).order_by(Vulnerability.created_at.desc()).limit(SAMPLE)
    ):
        model.add((text or {}).get("w") or {})
    return model


def _corpus_size(session: Session) -> int:
    from clearinghouse.advisories.models import Advisory
    from clearinghouse.findings.models import Vulnerability

    advisories = session.scalar(select(func.count()).select_from(Advisory)) or 0
    vulnerabilities = session.scalar(select(func.count()).select_from(Vulnerability)) or 0
    return min(advisories, SAMPLE) + min(vulnerabilities, SAMPLE)


def text_model_for(session: Session) -> TextModel:
    """The cached model of the database ``session`` is bound to, rebuilt when it is older
    than ``MAX_AGE`` or the corpus grew by a fifth since it was built."""
    url = str(session.get_bind().engine.url)
    size = _corpus_size(session)
    now = time.monotonic()
    with _lock:
        cached = _models.get(url)
    if cached is not None:
        built_at, built_size, model = cached
        if now - built_at < MAX_AGE and size <= built_size * 1.2 + 20:
            return model
    model = _build(session)
    with _lock:
        _models[url] = (now, size, model)
    return model


def forget_text_models() -> None:
    with _lock:
        _models.clear()
