"""``/v1/querybatch`` throughput and latency: 1,000-query batches from N concurrent clients.

Imports the PyPI, Go and crates.io archives of the shared data set into a fresh database
(SQLite in a temporary directory, PostgreSQL in a schema of its own), runs
``clearinghouse serve --no-worker`` on 127.0.0.1 and sends it batches of 1,000 real
package@version queries (versions named by the advisories themselves: introduced, fixed,
last_affected and listed versions) over loopback HTTP with keep-alive.

    .venv/bin/python bench/querybatch_bench.py                      # SQLite and PostgreSQL
    .venv/bin/python bench/querybatch_bench.py --backend sqlite --clients 1 4

Prints the machine, the date and, per backend and concurrency: requests/s, queries/s and
p50/p99 latency; plus the first (cold) request. Everything it creates is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
ECOSYSTEMS = ("PyPI", "Go", "crates.io")
DEFAULT_PG = "postgresql+psycopg://root@127.0.0.1:5432/test"


def shared_root() -> Path:
    env = os.environ.get("CLEARINGHOUSE_SHARED")
    return Path(env) if env else REPO.parent / "shared" / "data"


def package_versions(shared: Path, ecosystems: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(ecosystem, name, version) for every version an advisory of the data names."""
    pairs: set[tuple[str, str, str]] = set()
    for ecosystem in ecosystems:
        with zipfile.ZipFile(shared / "osv" / ecosystem / "all.zip") as archive:
            for member in archive.namelist():
                record = json.loads(archive.read(member))
                for affected in record.get("affected") or ():
                    package = affected.get("package") or {}
                    if package.get("ecosystem") != ecosystem:
                        continue
                    versions = set(affected.get("versions") or ())
                    for version_range in affected.get("ranges") or ():
                        if version_range.get("type") == "GIT":
                            continue
                        for event in version_range.get("events") or ():
                            versions.update(v for v in event.values() if v != "0")
                    pairs.update((ecosystem, package["name"], v) for v in versions)
    return sorted(pairs)


def batches(pairs: list[tuple[str, str, str]], count: int, size: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        sample = rng.sample(pairs, size)
        queries = [{"package": {"ecosystem": e, "name": n}, "version": v} for e, n, v in sample]
        bodies.append(json.dumps({"queries": queries}).encode())
    return bodies


# -- databases and the server ---------------------------------------------------------------------


@contextmanager
def database(backend: str, workdir: Path, pg_url: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'clearinghouse.db'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"bench_querybatch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def clearinghouse(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "clearinghouse", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "clearinghouse", "serve", "--no-worker"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start (exit code {process.poll()})")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- load ---------------------------------------------------------------------------------------


@dataclass
class Figures:
    clients: int
    requests: int
    seconds: float
    latencies: list[float]
    vulns: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def post(client: httpx.Client, url: str, body: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.post(f"{url}/v1/querybatch", content=body)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    results = response.json()["results"]
    assert len(results) == body.count(b'"package"'), "one result per query"
    return elapsed, sum(len(r.get("vulns", ())) for r in results)


def load(url: str, bodies: list[bytes], clients: int, total: int) -> Figures:
    latencies: list[float] = []
    vulns = [0]
    lock = threading.Lock()
    per_client = max(1, total // clients)

    def run(worker: int) -> None:
        with httpx.Client(timeout=120) as client:
            for n in range(per_client):
                elapsed, found = post(client, url, bodies[(worker + n * clients) % len(bodies)])
                with lock:
                    latencies.append(elapsed)
                    vulns[0] += found

    threads = [threading.Thread(target=run, args=(w,)) for w in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return Figures(clients, per_client * clients, seconds, latencies, vulns[0])


# -- report -------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def bench_backend(
    backend: str, args: argparse.Namespace, bodies: list[bytes]
) -> tuple[dict[str, Any], list[Figures]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"querybatch-{backend}-"))
    try:
        with database(backend, workdir, args.pg_url) as url:
            env = {
                **os.environ,
                "CLEARINGHOUSE_DATA_DIR": str(workdir),
                "CLEARINGHOUSE_DATABASE_URL": url,
            }
            archives = [str(args.shared / "osv" / e / "all.zip") for e in args.ecosystems]
            started = time.perf_counter()
            clearinghouse("db", "import", *archives, env=env)
            imported = time.perf_counter() - started
            stats = json.loads(clearinghouse("db", "stats", "--format", "json", env=env).stdout)
            with serve(env) as server, httpx.Client(timeout=120) as client:
                cold, _ = post(client, server, bodies[0])
                for body in bodies:  # every batch once: the matcher holds them all
                    post(client, server, body)
                figures = [load(server, bodies, n, args.requests) for n in args.clients]
            info = {
                "backend": backend,
                "advisories": stats["totals"]["advisories"],
                "import_seconds": imported,
                "cold_seconds": cold,
            }
            return info, figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("CLEARINGHOUSE_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--requests", type=int, default=120, help="per concurrency level")
    parser.add_argument("--queries", type=int, default=1000, help="queries per batch")
    parser.add_argument("--batches", type=int, default=8, help="distinct batches, rotated")
    parser.add_argument("--ecosystems", nargs="+", default=list(ECOSYSTEMS))
    parser.add_argument("--shared", type=Path, default=shared_root())
    args = parser.parse_args()

    pairs = package_versions(args.shared, tuple(args.ecosystems))
    bodies = batches(pairs, args.batches, args.queries, seed=2026)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]

    print(f"date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    print(f"machine: {machine()}")
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"data: {', '.join(args.ecosystems)} archives; {len(pairs):,} package@version pairs; "
        f"{args.batches} batches of {args.queries} queries; client and server on one machine"
    )
    print()
    print("| backend | clients | requests | req/s | queries/s | p50 ms | p99 ms | vulns/batch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for backend in backends:
        info, figures = bench_backend(backend, args, bodies)
        for f in figures:
            print(
                f"| {backend} | {f.clients} | {f.requests} | {f.requests_per_second:.1f} | "
                f"{f.requests_per_second * args.queries:,.0f} | "
                f"{statistics.median(f.latencies) * 1000:.0f} | {f.percentile(99) * 1000:.0f} | "
                f"{f.vulns / f.requests:.0f} |"
            )
        cold_ms = info["cold_seconds"] * 1000
        notes.append(
            f"{backend}: {info['advisories']:,} advisories imported in "
            f"{info['import_seconds']:.1f} s; first (cold) batch {cold_ms:.0f} ms"
        )
    print()
    for note in notes:
        print(note)
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
