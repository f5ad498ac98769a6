"""Version ordering and OSV range evaluation speed.

Prints, per ecosystem: microseconds per cold ``sort_key`` (the parser, cache bypassed), per
warm ``sort_key`` (cache hit), and per ``AffectedRanges.contains`` on real OSV entries from
``../shared/data/osv`` (falling back to synthetic entries where no bulk data exists).

    .venv/bin/python bench/versions_bench.py
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clearinghouse.versions import (
    ORDERINGS,
    compile_affected,
    key_for_ordering,
    ordering_of,
    sort_key,
)

SHARED = Path(os.environ.get("CLEARINGHOUSE_SHARED", Path(__file__).parents[2] / "shared" / "data"))
REAL = ["PyPI", "Go", "crates.io", "Packagist", "AlmaLinux", "Bitnami"]
SYNTHETIC: dict[str, list[str]] = {
    "Maven": [
        "1.0",
        "1.0-SNAPSHOT",
        "2.9.10.8",
        "2.12.0-rc1",
        "9.4.12.v20180830",
        "5.3.18.RELEASE",
    ],
    "Debian": ["1.2.3-1", "1:2.30-3+deb11u1", "0.9.8o-4squeeze14", "2.6.32-48squeeze19"],
    "Alpine": ["1.2.3-r0", "2.4.58-r3", "1.8.7_p352-r2", "3.9_pre20060124"],
    "RubyGems": ["6.1.4.7", "5.0.0.beta1.1", "3.0.0.rc2", "1.2.0.pre6"],
    "NuGet": ["1.0.0.1", "6.0.0-preview.7.21377.19", "13.0.1"],
}


def per_call(function: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat * 1e6


def real_entries(ecosystem: str, limit: int = 400) -> list[dict[str, Any]]:
    path = SHARED / "osv" / ecosystem / "all.zip"
    if not path.exists():
        return []
    entries = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist())[:limit]:
            entries.extend(json.loads(archive.read(name)).get("affected", []))
    return entries


def versions_from(entries: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for entry in entries:
        found.extend(v for v in entry.get("versions", []) if isinstance(v, str))
        for raw in entry.get("ranges", []):
            if raw.get("type") in ("ECOSYSTEM", "SEMVER"):
                for event in raw.get("events", []):
                    found.extend(v for v in event.values() if isinstance(v, str) and v != "0")
    return list(dict.fromkeys(found))


def bench(ecosystem: str, versions: list[str], entries: list[dict[str, Any]]) -> str:
    ordering = ordering_of(ecosystem)
    parse = ORDERINGS[ordering]
    sample = versions[:2000]
    cold = per_call(lambda: [parse(v) for v in sample], 5) / len(sample)
    for v in sample:
        sort_key(ecosystem, v)
    warm = per_call(lambda: [sort_key(ecosystem, v) for v in sample], 20) / len(sample)
    compiled = [compile_affected(e) for e in entries if e.get("ranges") or e.get("versions")]
    compiled = [c for c in compiled if c.evaluable and c.ordering == ordering]
    probes = sample[:200]
    if compiled:

        def run() -> None:
            for c in compiled:
                for v in probes:
                    c.contains(v)

        contains = per_call(run, 2) / (len(compiled) * len(probes))
        contains_text = f"{contains:6.2f}"
    else:
        contains_text = "   n/a"
    return (
        f"{ecosystem:10} {len(sample):6} {cold:8.2f} {warm:8.2f} {len(compiled):8} {contains_text}"
    )


def synthetic_entries(ecosystem: str, versions: list[str]) -> list[dict[str, Any]]:
    ordered = sorted(versions, key=lambda v: sort_key(ecosystem, v))
    return [
        {
            "package": {"ecosystem": ecosystem, "name": "p"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": ordered[0]}, {"fixed": ordered[-1]}],
                }
            ],
        }
    ]


def main() -> None:
    print("versions: µs per call (cold = parser only, warm = cached sort_key)")
    print(f"{'ecosystem':10} {'n':>6} {'cold':>8} {'warm':>8} {'entries':>8} {'contains':>6}")
    for ecosystem in REAL:
        entries = real_entries(ecosystem)
        if not entries:
            print(f"{ecosystem:10} (no shared data)")
            continue
        print(bench(ecosystem, versions_from(entries), entries))
    for ecosystem, versions in SYNTHETIC.items():
        print(bench(ecosystem, versions * 50, synthetic_entries(ecosystem, versions)))
    info = key_for_ordering.cache_info()
    print(f"key cache: {info.currsize} keys, {info.hits} hits, {info.misses} misses")


if __name__ == "__main__":
    main()
