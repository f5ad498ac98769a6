"""The real service in its own process (``clearinghouse serve``, as the README starts it) and
Debian's Chromium driven by Playwright, for the browser tests and the screenshots."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.notifications.receivers import free_port, wait_until

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's package (``apt-get install chromium``); never a browser downloaded by Playwright."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def running_service(database_url: str, data_dir: Path, log: Path) -> Iterator[str]:
    """``clearinghouse serve`` on a free loopback port; yields its base URL once it is ready."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARINGHOUSE_")}
    env.update(
        {
            "CLEARINGHOUSE_DATA_DIR": str(data_dir),
            "CLEARINGHOUSE_DATABASE_URL": database_url,
        }
    )
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clearinghouse",
                "serve",
                "--port",
                str(port),
                "--no-worker",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(
                lambda: process.poll() is not None or _answers(url),
                timeout=90,
                what=f"the service on {url}",
            )
            if process.poll() is not None:
                raise RuntimeError(f"the service stopped: {log.read_text(errors='replace')}")
            yield url
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
