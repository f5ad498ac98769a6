"""Scan speed on a 1,000-component SBOM of real packages, and a peer on the same data.

1. Builds a CycloneDX 1.5 JSON SBOM of 1,000 real (name, version) pairs: components of the real
   SBOMs and lockfiles in ``../shared/data`` (mixed ecosystems), topped up with pairs from the
   advisories' own ``versions`` lists. It lives in the work directory (temporary, or
   ``--workdir``, e.g. ``.bench/scan``), never in the repository.
2. Imports ``../shared/data/osv`` and the KEV catalog into a fresh SQLite database there.
3. **Cold**: a new process runs ``clearinghouse scan sbom.json --format json`` (wall time and the
   child's max RSS), several times; the median is reported. Targets: < 1 s, < 200 MB.
4. **Warm**: in this process, ``Matcher(db).scan(components)`` repeated after a first run, in
   microseconds per component (target <= 13 us), also with the SBOM parse included.
5. **Peer**: appthreat-vulnerability-db, in its own virtualenv (``--peer-python``, default
   ``.bench/peer-venv/bin/python``), loads the same OSV records offline (``bench/peer_vdb.py``)
   and searches the same purls; every component where the two disagree is listed with a reason.

    .venv/bin/python bench/scan_bench.py [--workdir .bench/scan] [--runs 7] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from clearinghouse.advisories.matching import ComponentResult, Matcher
from clearinghouse.ecosystems import base_ecosystem, purl_for
from clearinghouse.formats.inventory import Component
from clearinghouse.inventories.files import read_inventory_file
from clearinghouse.store import Database
from clearinghouse.versions import compile_affected

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLEARINGHOUSE_SHARED", REPO.parent / "shared" / "data"))
CLI = REPO / ".venv" / "bin" / "clearinghouse"
PEER_PYTHON = REPO / ".bench" / "peer-venv" / "bin" / "python"
MAX_INPUT = 1 << 28
SIZE = 1_000
SEED = 2026

INVENTORIES = [
    "sbom/cyclonedx/harp-darwin-amd64.cdx-1.4.json",
    "sbom/spdx/constellation-2.2.2.spdx-2.2.json",
    "sbom/cyclonedx/juice-shop-via-npm-flat.cdx-1.4.json",
    "sbom/cyclonedx/keycloak-10.0.2.cdx-1.2.json",
    "sbom/cyclonedx/laravel-7.12.0.cdx-1.1.xml",
    "sbom/cyclonedx/mediawiki-image.cdx-1.4.xml",
    "sbom/cyclonedx/obsidian-sailboat.cdx-1.2.json",
]
"""Real SBOMs; every well-formed lockfile of ``lockfiles/INDEX.json`` is read too."""

QUOTAS = {
    "Go": 280,
    "npm": 160,
    "Maven": 110,
    "PyPI": 150,
    "Packagist": 50,
    "crates.io": 50,
    "NuGet": 40,
    "RubyGems": 30,
    "Alpine": 20,
}
"""Components drawn from the real inventories; advisory-listed pairs fill the rest."""
LISTED_SHARE = {"PyPI": 0.85, "CRAN": 0.15}

TARGET_COLD_SECONDS = 1.0
TARGET_COLD_MB = 200
TARGET_WARM_US = 13.0


# -- the SBOM ------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Package:
    ecosystem: str
    name: str
    version: str
    purl: str


def inventory_files() -> list[Path]:
    index = json.loads((SHARED / "lockfiles" / "INDEX.json").read_text())
    lockfiles = [
        SHARED / "lockfiles" / case["case"] / name
        for case in index
        if not case["malformed"]
        for name in case["files"]
    ]
    return [SHARED / p for p in INVENTORIES] + lockfiles


def real_packages() -> dict[str, list[Package]]:
    pools: dict[str, set[Package]] = defaultdict(set)
    for path in inventory_files():
        for c in read_inventory_file(path, MAX_INPUT).components:
            if c.ecosystem and c.version and "@" in c.purl:
                pools[base_ecosystem(c.ecosystem)].add(
                    Package(c.ecosystem, c.name, c.version, c.purl)
                )
    return {name: sorted(pool) for name, pool in pools.items()}


def listed_packages(ecosystem: str) -> list[Package]:
    """(name, version) pairs named in the ``versions`` lists of the ecosystem's advisories."""
    found: set[Package] = set()
    with zipfile.ZipFile(SHARED / "osv" / ecosystem / "all.zip") as archive:
        for member in archive.namelist():
            record = orjson.loads(archive.read(member))
            if record.get("withdrawn"):
                continue
            for entry in record.get("affected") or ():
                package = entry.get("package") or {}
                if package.get("ecosystem") != ecosystem:
                    continue
                for version in entry.get("versions") or ():
                    purl = purl_for(ecosystem, package["name"], version)
                    if purl:
                        found.add(Package(ecosystem, package["name"], version, purl))
    return sorted(found)


def choose_packages() -> list[Package]:
    rng = random.Random(SEED)
    pools = real_packages()
    chosen: list[Package] = []
    seen: set[tuple[str, str]] = set()

    def take(candidates: list[Package], count: int) -> None:
        fresh = [p for p in candidates if (p.purl, p.version) not in seen]
        for package in rng.sample(fresh, min(count, len(fresh))):
            seen.add((package.purl, package.version))
            chosen.append(package)

    for ecosystem, quota in QUOTAS.items():
        take(pools.get(ecosystem, []), quota)
    missing = SIZE - len(chosen)
    for ecosystem, share in LISTED_SHARE.items():
        take(listed_packages(ecosystem), round(missing * share))
    take(listed_packages("PyPI"), SIZE - len(chosen))
    return chosen


def write_sbom(packages: list[Package], path: Path) -> None:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.UUID(int=random.Random(SEED).getrandbits(128))}",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-01T00:00:00Z",
            "component": {"type": "application", "name": "scan-bench", "bom-ref": "subject"},
        },
        "components": [
            {
                "type": "library",
                "bom-ref": f"c{index:04d}",
                "name": p.name,
                "version": p.version,
                "purl": p.purl,
            }
            for index, p in enumerate(packages)
        ],
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


# -- the knowledge base ----------------------------------------------------------------------------
BYTECODE_CACHE = True
"""Let the child processes cache compiled bytecode (in the work directory), as an installed CLI
does; this machine's environment sets PYTHONDONTWRITEBYTECODE=1, which would recompile every
module of ours on every run."""


def child_env(workdir: Path) -> dict[str, str]:
    env = {**os.environ, "CLEARINGHOUSE_DATA_DIR": str(workdir)}
    env.pop("CLEARINGHOUSE_DATABASE_URL", None)
    if BYTECODE_CACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def cli(workdir: Path, *args: str, stdout: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(CLI), *args], env=child_env(workdir), stdout=stdout, stderr=subprocess.PIPE
    )


def prepare_database(workdir: Path) -> None:
    (workdir / "clearinghouse.db").unlink(missing_ok=True)
    for args in (
        ("db", "import", str(SHARED / "osv"), "--format", "json"),
        ("db", "import-kev", str(SHARED / "kev" / "known_exploited_vulnerabilities.json")),
    ):
        process = cli(workdir, *args)
        _, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"clearinghouse {' '.join(args)} failed: {err.decode()}")


# -- cold ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColdRun:
    seconds: float
    max_rss_mb: float
    exit_code: int


def cold_scan(workdir: Path, sbom: Path) -> ColdRun:
    report = workdir / "scan.json"
    with report.open("wb") as out:
        started = time.perf_counter()
        process = cli(workdir, "scan", str(sbom), "--format", "json", stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        sys.exit(f"clearinghouse scan failed ({process.returncode})")
    return ColdRun(seconds, usage.ru_maxrss / 1024, process.returncode)


PHASES = """
import sys, time
started = time.perf_counter()
marks = []
def mark(name):
    marks.append((name, time.perf_counter()))
import clearinghouse.cli
mark("import the CLI (typer; command modules load on use)")
from pathlib import Path
from clearinghouse.advisories.matching import Matcher
from clearinghouse.advisories.scan_report import ScannedSource, scan_document
from clearinghouse.inventories.files import read_inventory_file
from clearinghouse.store import open_database
mark("import the scan path (SQLAlchemy ORM, models, versions)")
inventory = read_inventory_file(Path(sys.argv[1]), 1 << 28)
mark("read the SBOM (format modules imported on first use)")
db = open_database()
mark("open the database (are migrations pending?)")
results = Matcher(db).scan(inventory.components)
mark("match (load and compile the index for these packages, advisory facts)")
import orjson
sources = [ScannedSource(sys.argv[1], inventory.format, len(inventory.components))]
orjson.dumps(scan_document(results, sources), option=orjson.OPT_INDENT_2)
db.dispose()
mark("build and serialise the JSON report")
import gc
gc.freeze()  # as clearinghouse.cli.main does when a command ends
previous = started
for name, at in marks:
    print(f"{(at - previous) * 1000:.0f}\t{name}")
    previous = at
"""
"""Where a cold scan spends its time, measured in a fresh interpreter like the CLI's."""


def cold_phases(workdir: Path, sbom: Path) -> list[tuple[float, str]]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PHASES, str(sbom)],
        env=child_env(workdir),
        capture_output=True,
        check=True,
    ).stdout.decode()
    total = (time.perf_counter() - started) * 1000
    phases = [(float(ms), name) for ms, name in (line.split("\t") for line in out.splitlines())]
    return [(total - sum(ms for ms, _ in phases), "interpreter start and exit"), *phases]


# -- warm ------------------------------------------------------------------------------------------
def median_seconds(function: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@dataclass
class Warm:
    components: list[Component]
    results: list[ComponentResult]
    first: float
    scan: float
    with_parse: float
    without_remediation: float
    upgrades_recomputed: float
    """The Matcher remembers, per package, which stated fixes are still affected: this is a
    warm scan with that forgotten first (every upgrade target computed again)."""


def warm_scan(db: Database, sbom: Path, repeat: int) -> Warm:
    first_started = time.perf_counter()
    components = read_inventory_file(sbom, MAX_INPUT).components
    matcher = Matcher(db)
    results = matcher.scan(components)
    first = time.perf_counter() - first_started
    return Warm(
        components,
        results,
        first,
        median_seconds(lambda: matcher.scan(components), repeat),
        median_seconds(
            lambda: matcher.scan(read_inventory_file(sbom, MAX_INPUT).components), repeat
        ),
        median_seconds(lambda: matcher.scan(components, remediation=False), repeat),
        median_seconds(lambda: rescan_forgetting_upgrades(matcher, components), repeat),
    )


def rescan_forgetting_upgrades(matcher: Matcher, components: list[Component]) -> None:
    matcher._upgrades.clear()
    matcher.scan(components)


# -- the peer ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    side: str
    """``ours`` (we report it, the peer does not) or ``peer``."""
    advisory: str
    cause: str
    detail: str = ""


@dataclass
class Disagreement:
    component: Component
    ours: list[str]
    theirs: list[str]
    differences: list[Difference]


def run_peer(
    peer_python: Path, workdir: Path, components: list[Component]
) -> dict[str, Any] | None:
    if not peer_python.exists():
        print(f"peer: {peer_python} not found; see docs/benchmarks.md to set it up")
        return None
    purls = workdir / "purls.json"
    purls.write_text(json.dumps([c.purl for c in components]))
    out = workdir / "peer.json"
    subprocess.run(
        [
            str(peer_python),
            str(REPO / "bench" / "peer_vdb.py"),
            "--osv",
            str(SHARED / "osv"),
            "--home",
            str(workdir / "peer-vdb"),
            "--purls",
            str(purls),
            "--out",
            str(out),
        ],
        check=True,
    )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


PEER_DROPS_GHSA_ALIASED = "peer drops PYSEC/GO records that alias a GHSA (expects the GHSA copy)"
PEER_DROPS_DISPUTED = "peer drops records whose text says ** DISPUTED ** or ** REJECT **"
PEER_MANGLES_REPOSITORY = "peer reads 'Packagist:<repository URL>' as a package named 'https'"
PEER_SEMVER_BOUNDS = (
    "peer bounds the range by the SemVer-parseable listed versions; this PEP 440 version "
    "is not SemVer and falls outside"
)
PEER_LIST_SPAN = (
    "peer matches the whole span of the listed versions, which the ranges exclude in part"
)
SEMVER = re.compile(r"^v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
"""What the peer's ``semver.Version.parse(..., optional_minor_and_patch=True)`` accepts."""


class Evidence:
    """The shared OSV records, to explain why the two sides differ on a component."""

    def __init__(self, osv: Path) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.by_alias: dict[str, set[str]] = defaultdict(set)
        for archive in sorted(osv.glob("*/all.zip")):
            with zipfile.ZipFile(archive) as members:
                for member in members.namelist():
                    record = orjson.loads(members.read(member))
                    self.records[record["id"]] = record
                    for alias in (record.get("aliases") or []) + [record["id"]]:
                        self.by_alias[alias].add(record["id"])

    def names(self, advisory_id: str) -> set[str]:
        record = self.records.get(advisory_id, {})
        return {advisory_id, *(record.get("aliases") or [])}

    def _entries(self, record: dict[str, Any], component: Component) -> list[dict[str, Any]]:
        key = component.name.lower().replace("_", "-")
        return [
            entry
            for entry in record.get("affected") or ()
            if (entry.get("package") or {}).get("name", "").lower().replace("_", "-") == key
        ]

    def ours_only(self, advisory_id: str, component: Component) -> Difference:
        record = self.records[advisory_id]
        aliases = record.get("aliases") or []
        ghsa = any(a.startswith("GHSA-") for a in aliases)
        if ghsa and advisory_id.startswith(("PYSEC-", "GO-")):
            return Difference("ours", advisory_id, PEER_DROPS_GHSA_ALIASED)
        text = f"{record.get('summary', '')} {record.get('details', '')}"
        if "** DISPUTED **" in text or "** REJECT **" in text:
            return Difference("ours", advisory_id, PEER_DROPS_DISPUTED)
        entries = self._entries(record, component)
        if any(":" in (e.get("package") or {}).get("ecosystem", "") for e in entries):
            return Difference("ours", advisory_id, PEER_MANGLES_REPOSITORY)
        version = component.version or ""
        if any(e.get("versions") for e in entries) and not SEMVER.match(version):
            return Difference("ours", advisory_id, PEER_SEMVER_BOUNDS)
        return Difference("ours", advisory_id, "unexplained: investigate")

    def peer_only(self, peer_id: str, component: Component) -> Difference:
        record_ids = sorted(self.by_alias.get(peer_id, set()))
        if not record_ids:
            return Difference("peer", peer_id, "id unknown to the shared OSV data")
        causes = []
        for record_id in record_ids:
            record = self.records[record_id]
            if record.get("withdrawn"):
                causes.append(f"{record_id} is withdrawn: we skip it")
                continue
            entries = self._entries(record, component)
            verdicts = [
                compile_affected(entry).contains(component.version or "") for entry in entries
            ]
            if not verdicts:
                causes.append(f"{record_id} names no package {component.name!r}")
            elif True in verdicts:
                causes.append(f"{record_id} affects it by our ranges too: our matching gap")
            elif None in verdicts:
                causes.append(f"{record_id} has GIT ranges only: not evaluated")
            elif any(e.get("versions") for e in entries):
                causes.append(f"{record_id}: {PEER_LIST_SPAN}")
            else:
                causes.append(f"{record_id}: {component.version} is outside its ranges")
        return Difference("peer", peer_id, "; ".join(causes))


def compare(
    components: list[Component],
    results: list[ComponentResult],
    peer: dict[str, list[str]],
    evidence: Evidence,
) -> list[Disagreement]:
    disagreements = []
    for component, result in zip(components, results, strict=True):
        theirs = set(peer.get(component.purl, []))
        ours = [m.advisory.id for m in result.vulnerabilities]
        our_names: set[str] = set()
        differences = []
        for advisory_id in ours:
            names = evidence.names(advisory_id)
            our_names |= names
            if not names & theirs:
                differences.append(evidence.ours_only(advisory_id, component))
        differences += [evidence.peer_only(p, component) for p in sorted(theirs - our_names)]
        if differences:
            disagreements.append(Disagreement(component, ours, sorted(theirs), differences))
    return disagreements


def report_peer(
    peer: dict[str, Any], components: list[Component], disagreements: list[Disagreement]
) -> None:
    load = peer["load"]
    first_pass, second_pass = peer["search_seconds"]
    per = len(components)
    not_stored = ", ".join(
        f"{name} {a['not_stored']}" for name, a in sorted(load["archives"].items())
    )
    print(
        f"peer appthreat-vulnerability-db: loaded {load['seconds']:.1f} s "
        f"(records it stores nothing for: {not_stored}); per-purl search "
        f"{first_pass * 1e6 / per:,.0f} us/component first pass, "
        f"{second_pass * 1e6 / per:,.0f} us/component again"
    )
    peer_vulnerable = sum(bool(peer["results"].get(c.purl)) for c in components)
    both = sum(
        1
        for c in components
        if peer["results"].get(c.purl) and c not in {d.component for d in disagreements}
    )
    print(
        f"  peer: {peer_vulnerable} vulnerable components; identical verdicts and advisory "
        f"sets on {per - len(disagreements)} of {per} ({both} of them vulnerable); "
        f"disagreements on {len(disagreements)}"
    )
    by_cause = Counter(d.cause for x in disagreements for d in x.differences)
    components_by_cause = Counter(
        cause for x in disagreements for cause in {d.cause for d in x.differences}
    )
    for cause, count in by_cause.most_common():
        print(f"    {count:>4} advisories on {components_by_cause[cause]:>3} components: {cause}")
    for d in disagreements:
        print(f"  {d.component.purl}: ours {len(d.ours)}, peer {len(d.theirs)}")
        for difference in d.differences:
            label = "only ours" if difference.side == "ours" else "only peer"
            print(f"      {label} {difference.advisory}: {difference.cause}")


# -- main ------------------------------------------------------------------------------------------
def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM; "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def met(condition: bool) -> str:
    return "met" if condition else "NOT met"


def report_cold(runs: list[ColdRun]) -> None:
    seconds = statistics.median(r.seconds for r in runs)
    rss = statistics.median(r.max_rss_mb for r in runs)
    print(
        f"cold (new process, {len(runs)} runs): median {seconds:.3f} s "
        f"(min {min(r.seconds for r in runs):.3f}, max {max(r.seconds for r in runs):.3f}), "
        f"max RSS median {rss:.0f} MB (max {max(r.max_rss_mb for r in runs):.0f}); "
        f"exit code {runs[0].exit_code}"
    )
    print(
        f"  targets < {TARGET_COLD_SECONDS:.0f} s: {met(seconds < TARGET_COLD_SECONDS)}; "
        f"< {TARGET_COLD_MB} MB: {met(rss < TARGET_COLD_MB)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep SBOM, database and reports here")
    parser.add_argument("--runs", type=int, default=7, help="cold runs")
    parser.add_argument("--repeat", type=int, default=30, help="warm repetitions")
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--reuse-db", action="store_true", help="keep an imported database")
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="cold runs recompile every module"
    )
    args = parser.parse_args()
    global BYTECODE_CACHE
    BYTECODE_CACHE = not args.no_bytecode_cache

    with tempfile.TemporaryDirectory(prefix="scan-bench-") as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"machine: {machine()}")
        sbom = workdir / "sbom.cdx.json"
        packages = choose_packages()
        write_sbom(packages, sbom)
        mix = Counter(base_ecosystem(p.ecosystem) for p in packages)
        print(f"SBOM: {len(packages)} components at {sbom}: {dict(mix.most_common())}")
        if not (args.reuse_db and (workdir / "clearinghouse.db").exists()):
            started = time.perf_counter()
            prepare_database(workdir)
            print(f"knowledge base imported in {time.perf_counter() - started:.1f} s")

        cold_scan(workdir, sbom)  # page cache and bytecode, as on any machine that scans twice
        report_cold([cold_scan(workdir, sbom) for _ in range(args.runs)])
        phases = [cold_phases(workdir, sbom) for _ in range(args.runs)]
        print("  where a cold scan spends its time (median ms over the runs):")
        for index, (_, name) in enumerate(phases[0]):
            print(f"    {statistics.median(p[index][0] for p in phases):>6.0f}  {name}")

        db = Database(f"sqlite:///{workdir / 'clearinghouse.db'}")
        warm = warm_scan(db, sbom, args.repeat)
        components, results = warm.components, warm.results
        per = len(components)
        scan_us = warm.scan * 1e6 / per
        print(
            f"warm (one process, median of {args.repeat}): first scan {warm.first * 1e3:.0f} ms "
            f"(parse + index load); then {scan_us:.1f} us/component "
            f"(target <= {TARGET_WARM_US:.0f} us: {met(scan_us <= TARGET_WARM_US)}); "
            f"{warm.with_parse * 1e6 / per:.1f} us/component with the parse; "
            f"{warm.without_remediation * 1e6 / per:.1f} us/component without the upgrade target; "
            f"{warm.upgrades_recomputed * 1e6 / per:.1f} us/component with every upgrade target "
            "computed again (remembered fix verdicts forgotten)"
        )
        vulnerable = sum(r.vulnerable for r in results)
        advisories = sum(len(r.vulnerabilities) for r in results)
        print(
            f"  {vulnerable} of {per} components vulnerable ({vulnerable / per:.0%}), "
            f"{advisories} advisories"
        )
        db.dispose()
        if args.no_peer:
            return
        peer = run_peer(args.peer_python, workdir, components)
        if peer is None:
            return
        evidence = Evidence(SHARED / "osv")
        report_peer(peer, components, compare(components, results, peer["results"], evidence))


if __name__ == "__main__":
    main()
