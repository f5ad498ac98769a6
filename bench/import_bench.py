"""Knowledge-base import speed: every ecosystem of ``../shared/data/osv`` into a fresh database.

Prints, per ecosystem and overall, records per second for a first import (everything new) and a
second, idempotent one (everything unchanged), plus the share of the time spent reading,
parsing and validating records before anything reaches the database. SQLite always;
PostgreSQL too with ``--postgres URL`` (a fresh schema, dropped afterwards). Target: >= 5,000
records/s.

    .venv/bin/python bench/import_bench.py [--postgres postgresql+psycopg://root@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from clearinghouse.advisories.importer import AdvisoryImporter, ImportReport, prepare_record
from clearinghouse.advisories.sources import AdvisorySource, local_sources
from clearinghouse.store import Database

SHARED = Path(os.environ.get("CLEARINGHOUSE_SHARED", Path(__file__).parents[2] / "shared" / "data"))
TARGET_RECORDS_PER_SECOND = 5_000
MAX_ARCHIVE_BYTES = 8 << 30


def sources(osv: Path) -> list[AdvisorySource]:
    return local_sources(osv, MAX_ARCHIVE_BYTES)


def prepare_only(osv: Path) -> tuple[int, float]:
    """Records read, parsed, validated and turned into rows, without a database."""
    started = time.perf_counter()
    count = 0
    for source in sources(osv):
        for raw in source.records():
            prepare_record(raw, source.label)
            count += 1
    return count, time.perf_counter() - started


def import_all(db: Database, osv: Path) -> tuple[dict[str, ImportReport], float]:
    importer = AdvisoryImporter(db)
    reports: dict[str, ImportReport] = {}
    started = time.perf_counter()
    for source in sources(osv):
        reports[source.label] = importer.import_source(source)
    return reports, time.perf_counter() - started


def rate(records: int, seconds: float) -> str:
    return f"{records / seconds:>9,.0f}" if seconds else "        -"


def print_run(title: str, reports: dict[str, ImportReport], wall: float) -> None:
    print(f"  {title}")
    print(
        f"    {'source':<10} {'records':>8} {'seconds':>8} {'records/s':>9}  new/updated/unchanged"
    )
    total = 0
    for label, report in sorted(reports.items()):
        records = report.records
        total += records
        counts = report.counts.values()
        changed = sum(c.new for c in counts), sum(c.updated for c in counts)
        unchanged = sum(c.unchanged for c in counts)
        print(
            f"    {label:<10} {records:>8,} {report.seconds:>8.2f} {rate(records, report.seconds)}"
            f"  {changed[0]}/{changed[1]}/{unchanged}"
        )
    verdict = "met" if total / wall >= TARGET_RECORDS_PER_SECOND else "NOT met"
    print(
        f"    {'all':<10} {total:>8,} {wall:>8.2f} {rate(total, wall)}"
        f"  (target >= {TARGET_RECORDS_PER_SECOND:,}/s: {verdict})"
    )


def run(name: str, db: Database, osv: Path) -> None:
    print(f"{name}:")
    first, first_wall = import_all(db, osv)
    print_run("first import (fresh database)", first, first_wall)
    second, second_wall = import_all(db, osv)
    print_run("second import (idempotent: nothing changes)", second, second_wall)
    changed = sum(len(r.changed) for r in second.values())
    print(f"    changed by the second import: {changed}")


@contextmanager
def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="import-bench-") as directory:
        db = Database(f"sqlite:///{Path(directory) / 'clearinghouse.db'}")
        db.upgrade()
        try:
            yield db
        finally:
            db.dispose()


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    db = Database(f"{url}{separator}options=-csearch_path%3D{schema}")
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osv", type=Path, default=SHARED / "osv", help="OSV bucket layout")
    parser.add_argument("--postgres", metavar="URL", help="also import into PostgreSQL")
    args = parser.parse_args()

    count, seconds = prepare_only(args.osv)
    print(
        f"read + parse + validate only: {count:,} records in {seconds:.2f} s "
        f"({count / seconds:,.0f} records/s)"
    )
    with sqlite_database() as db:
        run("SQLite", db, args.osv)
    if args.postgres:
        with postgres_database(args.postgres) as db:
            run("PostgreSQL", db, args.osv)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
