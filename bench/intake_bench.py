"""End-to-end findings intake throughput: parse, check, deduplicate and store.

Fills a fresh database with ``--prefill`` findings (100,000 by default, through the intake
itself), then times submissions of native (clearinghouse-finding/1) and SARIF 2.1.0 reports
of ``--batch`` findings each. The reports are generated: packages drawn from the real
package names of the shared OSV data, texts built from vulnerability-class templates with
specific identifiers, CWE ids, version ranges and CVSS vectors, and a share of re-reports
(the same bug in other words, or the same SARIF result again) so that every deduplication
path runs. Runs on SQLite (a file in a temporary directory) and on PostgreSQL (a fresh
schema, dropped afterwards) when ``--postgres`` is given.

    .venv/bin/python bench/intake_bench.py [--postgres postgresql+psycopg://root@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from clearinghouse.audit import Actor  # noqa: E402
from clearinghouse.findings.intake import submit  # noqa: E402
from clearinghouse.participants.models import OrganizationKind, Role  # noqa: E402
from clearinghouse.participants.service import Principal, create_organization  # noqa: E402
from clearinghouse.store import Database  # noqa: E402

CLASSES = [
    (
        "CWE-79",
        "Cross-site scripting in {thing}",
        "The {param} parameter of {thing} is rendered without escaping, so a crafted link "
        "runs script in the victim's session.",
    ),
    (
        "CWE-89",
        "SQL injection in {thing}",
        "{thing} concatenates the {param} argument into a SQL statement; an attacker can read "
        "or change the database.",
    ),
    (
        "CWE-22",
        "Path traversal in {thing}",
        "{thing} joins the {param} value to a base directory without normalising it, so ../ "
        "sequences reach files outside it.",
    ),
    (
        "CWE-502",
        "Unsafe deserialization in {thing}",
        "{thing} unpickles the {param} field of untrusted input, which executes arbitrary code.",
    ),
    (
        "CWE-400",
        "Denial of service in {thing}",
        "A crafted {param} makes {thing} allocate memory without bound until the process dies.",
    ),
    (
        "CWE-787",
        "Out-of-bounds write in {thing}",
        "{thing} copies {param} into a fixed buffer without checking its length.",
    ),
    (
        "CWE-918",
        "Server-side request forgery in {thing}",
        "{thing} fetches the URL given in {param} from the server, reaching internal services.",
    ),
    (
        "CWE-287",
        "Authentication bypass in {thing}",
        "{thing} accepts an empty {param} as a valid credential for any account.",
    ),
]
VECTORS = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
]
WORDS = [
    "parse",
    "render",
    "load",
    "export",
    "import",
    "decode",
    "encode",
    "fetch",
    "sync",
    "upload",
    "resolve",
    "merge",
]
PARAMS = [
    "name",
    "path",
    "url",
    "token",
    "filter",
    "order_by",
    "callback",
    "template",
    "header",
    "cookie",
    "size",
    "id",
]


def package_names(shared: Path) -> list[tuple[str, str]]:
    names: set[tuple[str, str]] = set()
    for ecosystem in ("PyPI", "Go", "crates.io"):
        with zipfile.ZipFile(shared / "osv" / ecosystem / "all.zip") as archive:
            for member in archive.namelist():
                record = orjson.loads(archive.read(member))
                for entry in record.get("affected") or ():
                    package = entry.get("package") or {}
                    if package.get("name"):
                        names.add((package["ecosystem"], package["name"]))
    return sorted(names)


class Generator:
    def __init__(self, packages: list[tuple[str, str]], seed: int) -> None:
        self.packages = packages
        self.rng = random.Random(seed)
        self.issued: list[dict[str, Any]] = []
        self.sarif_results: list[dict[str, Any]] = []

    def _finding(self) -> dict[str, Any]:
        rng = self.rng
        ecosystem, name = rng.choice(self.packages)
        cwe, title, text = rng.choice(CLASSES)
        thing = f"{rng.choice(WORDS)}_{rng.randrange(10**6):06d}()"
        param = f"{rng.choice(PARAMS)}{rng.randrange(1000)}"
        major = rng.randrange(1, 9)
        finding = {
            "id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "title": title.format(thing=thing),
            "description": text.format(thing=thing, param=param),
            "package": {"ecosystem": ecosystem, "name": name},
            "affected": {
                "ranges": [
                    {"introduced": f"{major}.0.0", "fixed": f"{major}.{rng.randrange(1, 20)}.0"}
                ]
            },
            "cwe": cwe,
            "cvss": rng.choice(VECTORS),
            "ai": {"found_by_ai": rng.random() < 0.7, "model": "bench-model"},
        }
        self.issued.append(finding)
        return finding

    def native(self, size: int, rereport: float = 0.1) -> bytes:
        findings = []
        for _ in range(size):
            if self.issued and self.rng.random() < rereport:
                earlier = dict(self.rng.choice(self.issued))
                earlier["id"] = uuid.UUID(int=self.rng.getrandbits(128)).hex
                earlier["title"] = "Re-report: " + earlier["title"]
                findings.append(earlier)
            else:
                findings.append(self._finding())
        return orjson.dumps(
            {"schema": "clearinghouse-finding/1", "tool": {"name": "bench"}, "findings": findings}
        )

    def sarif(self, size: int, repeat: float = 0.1) -> bytes:
        rng = self.rng
        results = []
        for _ in range(size):
            if self.sarif_results and rng.random() < repeat:
                results.append(rng.choice(self.sarif_results))
                continue
            cwe, _title, text = rng.choice(CLASSES)
            thing = f"{rng.choice(WORDS)}_{rng.randrange(10**6):06d}"
            result = {
                "ruleId": f"bench/{cwe.lower()}",
                "message": {"text": text.format(thing=thing, param=rng.choice(PARAMS))},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"src/{thing}.py"},
                            "region": {"startLine": rng.randrange(1, 2000)},
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": f"{rng.getrandbits(64):016x}:1"},
            }
            self.sarif_results.append(result)
            results.append(result)
        run = {
            "tool": {
                "driver": {
                    "name": "BenchQL",
                    "rules": [
                        {"id": f"bench/{c[0].lower()}", "properties": {"tags": [c[0]]}}
                        for c in CLASSES
                    ],
                }
            },
            "versionControlProvenance": [{"repositoryUri": "https://example.org/bench/repo"}],
            "results": results,
        }
        return orjson.dumps({"version": "2.1.0", "runs": [run]})


@contextmanager
def database(postgres: str | None) -> Iterator[Database]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
            db.upgrade()
            try:
                yield db
            finally:
                db.dispose()
        return
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres else "?"
    db = Database(f"{postgres}{separator}options=-csearch_path%3D{schema}")
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(
    db: Database, generator: Generator, prefill: int, batch: int, rounds: int
) -> dict[str, Any]:
    with db.session() as session:
        org = create_organization(session, Actor.cli(), "bench lab", OrganizationKind.ai_developer)
        lab = Principal(org.id, OrganizationKind.ai_developer, Role.member, "bench:intake")
    started = time.perf_counter()
    for _ in range(prefill // 10_000):
        with db.session() as session:
            submit(session, lab, generator.native(10_000), source="prefill")
    prefill_seconds = time.perf_counter() - started
    figures: dict[str, Any] = {
        "prefill": prefill,
        "prefill_findings_per_second": round(prefill / prefill_seconds, 1) if prefill else None,
    }
    for kind in ("native", "sarif"):
        rates = []
        methods: dict[str, int] = {}
        for _ in range(rounds):
            data = generator.native(batch) if kind == "native" else generator.sarif(batch)
            t0 = time.perf_counter()
            with db.session() as session:
                report = submit(session, lab, data, source=f"bench.{kind}")
            elapsed = time.perf_counter() - t0
            rates.append(len(report.accepted) / elapsed)
            for outcome in report.accepted:
                methods[outcome.method] = methods.get(outcome.method, 0) + 1
        figures[kind] = {
            "batch": batch,
            "rounds": rounds,
            "findings_per_second_median": round(statistics.median(rates), 1),
            "findings_per_second_min": round(min(rates), 1),
            "dedup_methods": methods,
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (a fresh schema is used)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    packages = package_names(args.shared)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} Python {platform.python_version()}",
        "package_names": len(packages),
    }
    backends = ([] if args.skip_sqlite else [("sqlite", None)]) + (
        [("postgresql", args.postgres)] if args.postgres else []
    )
    for name, url in backends:
        with database(url) as db:
            results[name] = run(
                db, Generator(packages, seed=1), args.prefill, args.batch, args.rounds
            )
        print(json.dumps({name: results[name]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
