"""The peer side of ``scan_bench.py``: appthreat-vulnerability-db on the same OSV records.

Runs in the peer's own virtualenv (never ours: its pins must not meet ours), offline: the OSV
``all.zip`` archives are read here and fed record by record to ``vdb.lib.osv.OSVSource`` exactly
as its ``fetch`` does after downloading, with the year floor lifted (``_start_year = None``) so
that old advisories are kept, and the database is finished (indexes, compaction) as the peer's
own build finishes it. Then every purl is searched with ``search_by_purl_like``.

    <peer-venv>/bin/python bench/peer_vdb.py --osv DIR --home DIR --purls IN.json --out OUT.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any


def load(osv: Path) -> dict[str, Any]:
    from vdb.lib.osv import OSVSource, _osv_store_batch_size  # type: ignore[import-not-found]

    batch_size = _osv_store_batch_size()
    per_archive: dict[str, dict[str, float]] = {}
    for archive in sorted(osv.glob("*/all.zip")):
        source = OSVSource()
        source._start_year = None
        started = time.perf_counter()
        records = dropped = 0
        batch: list[Any] = []
        with zipfile.ZipFile(archive) as members:
            for name in members.namelist():
                if not name.endswith(".json"):
                    continue
                records += 1
                try:
                    converted = source.convert(json.loads(members.read(name)))
                except Exception:
                    converted = []
                if not converted:
                    dropped += 1
                batch.extend(converted)
                if len(batch) >= batch_size:
                    source.store(batch)
                    batch.clear()
        if batch:
            source.store(batch)
        per_archive[archive.parent.name] = {
            "records": records,
            "not_stored": dropped,
            "seconds": time.perf_counter() - started,
        }
    return per_archive


def finish_build() -> None:
    """What the peer's own build (``vdb --cache``) does last: create the search indexes
    (``cve_index(purl_prefix)`` among them) and compact; without it every search scans the
    whole index table. Then drop the closed connections so searches reopen read-only."""
    from vdb.lib import db as db_lib  # type: ignore[import-not-found]

    db_lib.optimize_and_close_all()
    db_lib.reset_connections()


def search(purls: list[str]) -> tuple[dict[str, list[str]], float]:
    from vdb.lib.search import search_by_purl_like  # type: ignore[import-not-found]

    results: dict[str, list[str]] = {}
    started = time.perf_counter()
    for purl in purls:
        hits = search_by_purl_like(purl, with_data=False)
        results[purl] = sorted({hit["cve_id"] for hit in hits})
    return results, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osv", type=Path, required=True)
    parser.add_argument("--home", type=Path, required=True, help="VDB_HOME (its database)")
    parser.add_argument("--purls", type=Path, required=True, help="JSON list of purls")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.home.mkdir(parents=True, exist_ok=True)
    os.environ["VDB_HOME"] = str(args.home)
    os.environ.setdefault("VDB_QUIET", "true")

    loaded = None
    if not (args.home / "data.vdb7").exists() or not (args.home / "loaded").exists():
        started = time.perf_counter()
        per_archive = load(args.osv)
        finish_build()
        loaded = {"seconds": time.perf_counter() - started, "archives": per_archive}
        (args.home / "loaded").write_text(json.dumps(loaded))
    else:
        loaded = json.loads((args.home / "loaded").read_text())
    purls = json.loads(args.purls.read_text())
    results, first = search(purls)
    _, again = search(purls)
    args.out.write_text(
        json.dumps({"load": loaded, "search_seconds": [first, again], "results": results}, indent=1)
    )


if __name__ == "__main__":
    main()
