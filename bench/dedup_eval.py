"""Deduplication quality on a labelled set built from the shared OSV data.

Builds the set (:mod:`clearinghouse.findings.evaluation`: same-CVE records from different
databases as positives, same-package different-CVE records as negatives, every identifier
removed), submits every record through the real intake into a fresh SQLite database (no
knowledge base: nothing can be matched by an id), and reports pairwise precision, recall and
F1 of the resulting vulnerabilities, overall, per category and on two halves split by CVE
(``dev`` to choose the threshold, ``test`` to report it honestly).

    .venv/bin/python bench/dedup_eval.py [--threshold 0.5] [--member 0.3] [--sweep] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from clearinghouse.audit import Actor  # noqa: E402
from clearinghouse.findings.evaluation import (  # noqa: E402
    LabelledPair,
    build_pairs,
    load_records,
    pairwise_quality,
)
from clearinghouse.findings.intake import DedupSettings, submit  # noqa: E402
from clearinghouse.findings.models import Finding  # noqa: E402
from clearinghouse.findings.text import TextModel  # noqa: E402
from clearinghouse.participants.models import OrganizationKind, Role  # noqa: E402
from clearinghouse.participants.service import Principal, create_organization  # noqa: E402
from clearinghouse.store import Database  # noqa: E402

ECOSYSTEMS = ("PyPI", "Bitnami", "AlmaLinux", "Go", "crates.io")
BATCH = 1000


def cluster(
    records: dict[str, dict[str, Any]], model: TextModel, settings: DedupSettings, workdir: Path
) -> tuple[dict[str, str], float]:
    db = Database(f"sqlite:///{workdir / 'eval.db'}")
    db.upgrade()
    with db.session() as session:
        org = create_organization(session, Actor.cli(), "eval lab", OrganizationKind.researcher)
        principal = Principal(org.id, OrganizationKind.researcher, Role.member, "bench:eval")
    order = sorted(records)
    random.Random(7).shuffle(order)
    started = time.perf_counter()
    for start in range(0, len(order), BATCH):
        chunk = [records[o] for o in order[start : start + BATCH]]
        with db.session() as session:
            submit(
                session,
                principal,
                orjson.dumps(chunk),
                source="eval",
                dedup=settings,
                text_model=model,
            )
    seconds = time.perf_counter() - started
    with db.session() as session:
        assignment = dict(
            session.execute(select(Finding.external_id, Finding.vulnerability_id)).all()
        )
    db.dispose()
    return {str(k): str(v) for k, v in assignment.items()}, seconds


def _half(pair: LabelledPair) -> str:
    digest = hashlib.sha256(min(pair.a, pair.b).encode()).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def report(pairs: list[LabelledPair], assignment: dict[str, str]) -> dict[str, Any]:
    by_category: dict[str, list[LabelledPair]] = defaultdict(list)
    by_half: dict[str, list[LabelledPair]] = defaultdict(list)
    for pair in pairs:
        by_category[("+" if pair.same else "-") + pair.category].append(pair)
        by_half[_half(pair)].append(pair)
    return {
        "overall": pairwise_quality(pairs, assignment).as_dict(),
        "halves": {
            h: pairwise_quality(p, assignment).as_dict() for h, p in sorted(by_half.items())
        },
        "categories": {
            c: pairwise_quality(p, assignment).as_dict() for c, p in sorted(by_category.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--threshold", type=float, default=DedupSettings().near_threshold)
    parser.add_argument("--cwe-penalty", type=float, default=DedupSettings().cwe_penalty)
    parser.add_argument(
        "--member",
        type=float,
        default=DedupSettings().member_score,
        help="score from which a finding's text joins its vulnerability's texts (<0: never)",
    )
    parser.add_argument("--sweep", action="store_true", help="try thresholds 0.1..0.6")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    loaded = list(load_records(args.shared / "osv", ECOSYSTEMS))
    labelled = build_pairs(loaded)
    records, pairs = labelled.records, labelled.pairs
    model = TextModel.from_texts(
        f"{r.get('summary') or ''} {r.get('details') or ''}" for _, r in loaded
    )
    positives = sum(p.same for p in pairs)
    thresholds = (
        [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6] if args.sweep else [args.threshold]
    )
    runs = []
    for threshold in thresholds:
        settings = DedupSettings(
            near_threshold=threshold,
            known_threshold=threshold,
            cwe_penalty=args.cwe_penalty,
            member_score=None if args.member is None or args.member < 0 else args.member,
        )
        with tempfile.TemporaryDirectory() as tmp:
            assignment, seconds = cluster(records, model, settings, Path(tmp))
        result = report(pairs, assignment)
        result["threshold"] = threshold
        result["intake_seconds"] = round(seconds, 2)
        result["findings_per_second"] = round(len(records) / seconds, 1)
        runs.append(result)
    output = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} {platform.processor() or ''} {platform.python_version()}",
        "records": len(records),
        "pairs": len(pairs),
        "positives": positives,
        "negatives": len(pairs) - positives,
        "same_cve_unrelated_packages_left_out": labelled.unrelated_package_positives,
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(output, indent=2, ensure_ascii=False))
        return
    print(
        f"{output['records']} records, {output['pairs']} labelled pairs "
        f"({positives} same CVE, {output['negatives']} same package, different CVE)"
    )
    for run in runs:
        o = run["overall"]
        print(
            f"threshold {run['threshold']:.2f}: precision {o['precision']:.4f} recall "
            f"{o['recall']:.4f} F1 {o['f1']:.4f} (tp {o['tp']} fp {o['fp']} fn {o['fn']}); "
            f"dev F1 {run['halves']['dev']['f1']:.4f}, test F1 {run['halves']['test']['f1']:.4f}; "
            f"{run['findings_per_second']} findings/s"
        )
        if len(runs) == 1:
            for category, figures in run["categories"].items():
                if category.startswith("+"):
                    print(
                        f"  same CVE       {category[1:]:24} pairs {figures['pairs']:5}  "
                        f"recall {figures['recall']:.4f}"
                    )
                else:
                    print(
                        f"  different CVE  {category[1:]:24} pairs {figures['pairs']:5}  "
                        f"wrongly merged {figures['fp']}"
                    )


if __name__ == "__main__":
    main()
