"""The deduplication quality floor on a fixed sample of the labelled OSV set.

The full measurement is ``bench/dedup_eval.py`` (figures in docs/benchmarks.md); this test
keeps a deterministic sample of its pairs so that a change that degrades deduplication fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from sqlalchemy import select

from clearinghouse.findings.evaluation import build_pairs, load_records, pairwise_quality
from clearinghouse.findings.intake import DedupSettings
from clearinghouse.findings.models import Finding
from clearinghouse.findings.text import TextModel
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.findings._helpers import principal, send

ECOSYSTEMS = ("PyPI", "Bitnami", "AlmaLinux", "Go", "crates.io")
SAMPLE = 600


def _sampled(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def test_pairwise_precision_and_f1_floor(sqlite_db: Database) -> None:
    root = Path(shared_path("osv"))
    loaded = list(load_records(root, ECOSYSTEMS))
    labelled = build_pairs(loaded)
    pairs = sorted(labelled.pairs, key=lambda p: _sampled(p.a + p.b))[:SAMPLE]
    involved = sorted({x for p in pairs for x in (p.a, p.b)})
    model = TextModel.from_texts(
        f"{r.get('summary') or ''} {r.get('details') or ''}" for _, r in loaded
    )
    lab = principal(sqlite_db, "Eval lab")
    records = [labelled.records[o] for o in involved]
    for start in range(0, len(records), 500):
        report = send(
            sqlite_db,
            lab,
            orjson.dumps(records[start : start + 500]),
            dedup=DedupSettings(),
            text_model=model,
        )
        assert not report.rejected
    with sqlite_db.session() as session:
        cluster = {
            str(a): str(b)
            for a, b in session.execute(select(Finding.external_id, Finding.vulnerability_id))
        }
    quality = pairwise_quality(pairs, cluster)
    assert quality.pairs == SAMPLE
    assert quality.true_positives + quality.false_negatives >= 100
    assert quality.precision >= 0.98, quality.as_dict()
    assert quality.f1 >= 0.85, quality.as_dict()
