"""One new advisory against 10,000 inventories: time from the import commit to all outbox rows.

Builds, on PostgreSQL, the knowledge base from ../shared/data/osv (PyPI, Go, crates.io,
Packagist), 1,000 operator organizations with one webhook subscription each, and 10,000
systems of 200 components each (2,000,000 component rows, bulk-loaded with COPY). Package
names are real: the packages the advisories name plus those of the shared lockfiles and SBOMs
(npm and Maven ones have no advisories here: realistic noise); each system draws from one
ecosystem with Zipf popularity, at versions the advisories mention. The existing advisories are
matched first (the exposures every system already has). Then, for each of several real
advisories of popular packages, re-published under a new id, it imports the advisory (one
transaction, committed), starts the clock, runs ``process_advisory_changes`` and stops it when
that transaction has committed its exposures, audit events and outbox rows.

    .venv/bin/python bench/exposure_bench.py [--systems 10000] [--components 200] [--runs 15]

The database is ``$CLEARINGHOUSE_BENCH_POSTGRES_URL`` (default: the test server), in its own
schema ``exposure_bench`` (dropped and rebuilt unless ``--reuse``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.sources import local_sources
from clearinghouse.ecosystems import base_ecosystem, name_key, purl_for
from clearinghouse.exposures.models import Exposure, PendingAdvisoryChange
from clearinghouse.exposures.service import process_advisory_changes, queue_advisory_changes
from clearinghouse.formats.inventory import ParseContext, parse_inventory
from clearinghouse.notifications.models import Delivery
from clearinghouse.store import Database

SHARED = Path(os.environ.get("CLEARINGHOUSE_SHARED", Path(__file__).parents[2] / "shared" / "data"))
KB_ECOSYSTEMS = ("PyPI", "Go", "crates.io", "Packagist")
SCHEMA = "exposure_bench"
GIB = 1 << 30
SYSTEM_MIX = {
    "PyPI": 0.35,
    "npm": 0.25,
    "Go": 0.15,
    "Maven": 0.1,
    "crates.io": 0.1,
    "Packagist": 0.05,
}
ZIPF = 1.1


def base_url() -> str:
    return os.environ.get(
        "CLEARINGHOUSE_BENCH_POSTGRES_URL",
        os.environ.get(
            "CLEARINGHOUSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )


def schema_url() -> str:
    url = base_url()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"


# -- real package names and versions ------------------------------------------------------------


def advisory_packages() -> dict[str, dict[str, set[str]]]:
    """ecosystem -> package name -> versions the advisories mention."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for ecosystem in KB_ECOSYSTEMS:
        with zipfile.ZipFile(SHARED / "osv" / ecosystem / "all.zip") as archive:
            for member in archive.namelist():
                record = json.loads(archive.read(member))
                for affected in record.get("affected") or ():
                    package = affected.get("package") or {}
                    if base_ecosystem(package.get("ecosystem", "")) != ecosystem:
                        continue
                    versions = found[ecosystem][package["name"]]
                    versions.update(v for v in affected.get("versions") or () if isinstance(v, str))
                    for span in affected.get("ranges") or ():
                        if span.get("type") == "GIT":
                            continue
                        for event in span.get("events") or ():
                            versions.update(v for v in event.values() if v and v != "0")
    return found


def inventory_packages() -> dict[str, dict[str, set[str]]]:
    """Components of every shared lockfile and SBOM that parses, by ecosystem."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in [*(SHARED / "lockfiles").rglob("*"), *(SHARED / "sbom").rglob("*")]:
        if not path.is_file() or "malformed" in path.parts or "cyclonedx-vex" in path.parts:
            continue
        try:
            inventory = parse_inventory(path.read_bytes(), ParseContext(source=path.name))
        except ValueError:
            continue
        for component in inventory.components:
            if component.ecosystem and component.version:
                found[base_ecosystem(component.ecosystem)][component.name].add(component.version)
    return found


def pools(rng: random.Random) -> dict[str, list[tuple[str, list[str]]]]:
    """Per ecosystem, (name, versions) in popularity order (lockfile names first)."""
    from_advisories = advisory_packages()
    from_inventories = inventory_packages()
    result: dict[str, list[tuple[str, list[str]]]] = {}
    for ecosystem in SYSTEM_MIX:
        seen = from_inventories.get(ecosystem, {})
        named = from_advisories.get(ecosystem, {})
        keys: dict[str, str] = {}
        for name in [*seen, *named]:
            keys.setdefault(name_key(ecosystem, name), name)
        entries = []
        for key, name in keys.items():
            versions = set(seen.get(name, ())) | set(named.get(name, ()))
            versions = {v for v in versions if re.fullmatch(r"[0-9A-Za-z.+~:_-]{1,60}", v)}
            entries.append((name, sorted(versions) or ["1.0.0"]))
            del key
        popular = [e for e in entries if e[0] in seen]
        rest = [e for e in entries if e[0] not in seen]
        rng.shuffle(popular)
        rng.shuffle(rest)
        result[ecosystem] = popular + rest
    return result


def zipf_sample(rng: random.Random, size: int, count: int) -> list[int]:
    weights = [1.0 / (rank + 1) ** ZIPF for rank in range(size)]
    chosen: set[int] = set()
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    import bisect

    while len(chosen) < min(count, size):
        chosen.add(bisect.bisect_left(cumulative, rng.random() * total))
    return sorted(chosen)


# -- building the data set ----------------------------------------------------------------------


def build(db: Database, systems: int, components: int, rng: random.Random) -> None:
    started = time.perf_counter()
    importer = AdvisoryImporter(db)
    for ecosystem in KB_ECOSYSTEMS:
        importer.import_sources(local_sources(SHARED / "osv" / ecosystem / "all.zip", GIB))
    print(f"knowledge base imported in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    pool = pools(rng)
    print(
        "package pools: "
        + ", ".join(f"{eco} {len(entries)}" for eco, entries in pool.items())
        + f" ({time.perf_counter() - started:.1f} s)"
    )
    organizations = max(1, systems // 10)
    engine = db.engine
    with engine.begin() as conn:
        now = "now()"
        conn.execute(
            text(
                "INSERT INTO organization (id, name, kind, created_at) "
                f"SELECT g, 'Operator ' || g, 'operator', {now} FROM generate_series(1, :n) g"
            ),
            {"n": organizations},
        )
        conn.execute(
            text(
                "INSERT INTO notification_subscription "
                "(organization_id, channel, target, kev_only, events, created_at) "
                "SELECT g, 'webhook', 'https://hooks.example.org/' || g, false, "
                f"'[\"exposure.new\"]', {now} FROM generate_series(1, :n) g"
            ),
            {"n": organizations},
        )
        conn.execute(
            text(
                "INSERT INTO system (id, organization_id, name, criticality, current_version, "
                f"created_at, updated_at) SELECT g, (g - 1) % :orgs + 1, 'system-' || g, "
                f"'other', 1, {now}, {now} FROM generate_series(1, :n) g"
            ),
            {"n": systems, "orgs": organizations},
        )
        conn.execute(
            text(
                "INSERT INTO inventory (id, system_id, version, format, filename, sha256, size, "
                "uploaded_by, uploaded_at, component_count, warnings) SELECT g, g, 1, "
                f"'bench', 'bench.json', repeat('0', 64), 0, 'bench', {now}, :c, '[]' "
                "FROM generate_series(1, :n) g"
            ),
            {"n": systems, "c": components},
        )
        for table in ("organization", "system", "inventory"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )

    started = time.perf_counter()
    ecosystems = list(SYSTEM_MIX)
    shares = list(SYSTEM_MIX.values())
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(
            "COPY inventory_component (inventory_id, system_id, current, purl, ecosystem, "
            "ecosystem_base, name, name_key, version, ref, dev) FROM STDIN"
        ) as copy:
            for system_id in range(1, systems + 1):
                ecosystem = rng.choices(ecosystems, shares)[0]
                entries = pool[ecosystem]
                for index in zipf_sample(rng, len(entries), components):
                    name, versions = entries[index]
                    version = rng.choice(versions)
                    purl = purl_for(ecosystem, name, version) or f"pkg:generic/{name}@{version}"
                    copy.write_row(
                        (
                            system_id,
                            system_id,
                            True,
                            purl,
                            ecosystem,
                            ecosystem,
                            name,
                            name_key(ecosystem, name),
                            version,
                            None,
                            False,
                        )
                    )
        raw.commit()
    finally:
        raw.close()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    print(f"{systems:,} inventories loaded with COPY in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with db.session() as session:
        ids = list(session.scalars(text("SELECT id FROM advisory WHERE withdrawn IS NULL")))
        queue_advisory_changes(session, ids)
    done = process_advisory_changes(db, batch_size=500)
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(Exposure))
    print(
        f"existing advisories matched: {done:,} advisories, {total:,} exposures in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


# -- the measurement ----------------------------------------------------------------------------


def bench_advisories(db: Database, runs: int, rng: random.Random) -> list[dict[str, Any]]:
    """Real advisories of the most common packages held, each re-published under a new id."""
    with db.session() as session:
        popular = session.execute(
            text(
                "SELECT ecosystem_base, name_key, count(*) AS n FROM inventory_component "
                "WHERE current AND ecosystem_base IN ('PyPI', 'Go', 'crates.io', 'Packagist') "
                "GROUP BY 1, 2 ORDER BY n DESC LIMIT 200"
            )
        ).all()
        chosen: list[dict[str, Any]] = []
        for base, key, _ in popular:
            records = session.scalars(
                text(
                    "SELECT a.record FROM advisory a JOIN affected_package p "
                    "ON p.advisory_id = a.id WHERE p.ecosystem_base = :b AND p.name_key = :k "
                    "AND a.withdrawn IS NULL AND a.id NOT LIKE 'x\\_%' ORDER BY a.id"
                ),
                {"b": base, "k": key},
            ).all()
            if records:
                chosen.append(json.loads(rng.choice(records)))
            if len(chosen) == runs:
                break
    return chosen


def measure(db: Database, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    run = time.strftime("%Y%m%d%H%M%S")
    with tempfile.TemporaryDirectory() as directory:
        for number, original in enumerate(records, 1):
            record = dict(original)
            record["id"] = f"x_BENCH-{run}-{number}-{original['id']}"
            record["modified"] = "2030-01-01T00:00:00Z"
            folder = Path(directory) / str(number)
            folder.mkdir()
            (folder / "record.json").write_text(json.dumps(record))
            with db.session() as session:
                outbox_before = session.scalar(select(func.count()).select_from(Delivery)) or 0
            importer = AdvisoryImporter(db, listeners=[queue_advisory_changes])
            imported = time.perf_counter()
            importer.import_sources(local_sources(folder, GIB))
            committed = time.perf_counter()
            processed = process_advisory_changes(db)
            finished = time.perf_counter()
            with db.session() as session:
                opened = session.scalar(
                    select(func.count())
                    .select_from(Exposure)
                    .where(Exposure.advisory_id == record["id"])
                )
                outbox = (
                    session.scalar(select(func.count()).select_from(Delivery)) or 0
                ) - outbox_before
                pending = session.scalar(select(func.count()).select_from(PendingAdvisoryChange))
            assert processed == 1
            assert pending == 0
            package = record["affected"][0]["package"]
            results.append(
                {
                    "advisory": original["id"],
                    "package": f"{package['ecosystem']}/{package['name']}",
                    "import_ms": (committed - imported) * 1000,
                    "to_outbox_ms": (finished - committed) * 1000,
                    "exposures": opened,
                    "outbox_rows": outbox,
                }
            )
            label = f"{package['ecosystem']}/{package['name']}"
            print(
                f"  {original['id']:<22} {label:<32} {opened:>6,} exposures "
                f"{outbox:>6,} outbox rows {(finished - committed) * 1000:8.1f} ms "
                f"(import {(committed - imported) * 1000:.0f} ms)"
            )
    return results


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument("--components", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--reuse", action="store_true", help="keep an already built data set")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    admin = create_engine(base_url())
    if not args.reuse:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    db = Database(schema_url())
    db.upgrade()
    if not args.reuse:
        build(db, args.systems, args.components, rng)
    with db.session() as session:
        rows = session.scalar(select(func.count()).select_from(text("inventory_component")))
    print(f"component rows: {rows:,}")

    results = measure(db, bench_advisories(db, args.runs, rng))
    times = [r["to_outbox_ms"] for r in results]
    print(
        f"\none new advisory, import commit -> outbox rows written ({len(times)} advisories): "
        f"p50 {statistics.median(times):.0f} ms, p90 {percentile(times, 0.9):.0f} ms, "
        f"max {max(times):.0f} ms; exposures per advisory: median "
        f"{statistics.median(r['exposures'] for r in results):.0f}, max "
        f"{max(r['exposures'] for r in results):,}"
    )
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, PostgreSQL at {admin.url.host}"
    )
    db.dispose()
    admin.dispose()


if __name__ == "__main__":
    main()
