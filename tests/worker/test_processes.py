"""Real processes: a worker killed with SIGKILL mid-delivery loses nothing, and two API servers
with two workers on one PostgreSQL and one Redis deliver every notification exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from clearinghouse.notifications.events import publish_exposure_events
from clearinghouse.notifications.models import Delivery
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from clearinghouse.worker import wake
from tests.conftest import POSTGRES_URL, make_test_database
from tests.notifications.factories import (
    SECRET,
    add_webhook,
    exposure_event,
    notification_settings,
)
from tests.notifications.receivers import WebhookReceiver, free_port, wait_until, webhook_receiver
from tests.service_fixtures import add_caller

REDIS_URL = os.environ.get("CLEARINGHOUSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("CLEARINGHOUSE_REQUIRE_SERVICES") == "1"


def _service_missing(message: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def _environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARINGHOUSE_")}
    env.update(
        {
            "CLEARINGHOUSE_DATA_DIR": str(settings.data_dir),
            "CLEARINGHOUSE_DATABASE_URL": settings.database_url,
            "CLEARINGHOUSE_REDIS_URL": settings.redis_url,
            "CLEARINGHOUSE_QUEUE_NAME": settings.queue_name,
            "CLEARINGHOUSE_SECRET_KEY": settings.secret_key,
            "CLEARINGHOUSE_WEBHOOK_ALLOWED_NETWORKS": ",".join(settings.webhook_allowed_networks),
            "CLEARINGHOUSE_WEBHOOK_TIMEOUT": str(settings.webhook_timeout),
            "CLEARINGHOUSE_SMTP_TIMEOUT": str(settings.smtp_timeout),
            "CLEARINGHOUSE_DELIVERY_LEASE_SECONDS": str(settings.delivery_lease_seconds),
            "CLEARINGHOUSE_DELIVERY_BACKOFF_SECONDS": str(settings.delivery_backoff_seconds),
            "CLEARINGHOUSE_DELIVERY_BACKOFF_MAX_SECONDS": str(
                settings.delivery_backoff_max_seconds
            ),
            "CLEARINGHOUSE_DELIVERY_MAX_ATTEMPTS": str(settings.delivery_max_attempts),
        }
    )
    return env


@contextmanager
def _process(args: list[str], settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``clearinghouse <args>`` in its own process group; stopped (SIGTERM) on the way out."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "clearinghouse", *args],
            env=_environment(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@contextmanager
def _logs_on_failure(directory: Path) -> Iterator[None]:
    """Put the processes' logs in the failure message: they say why a process did nothing."""
    try:
        yield
    except AssertionError as exc:
        logs = "\n".join(
            f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:]
            for log in sorted(directory.glob("*.log"))
        )
        raise AssertionError(f"{exc}\n{logs}") from None


def _delivery_rows(db: Database) -> list[Delivery]:
    with db.session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


@pytest.mark.services
def test_a_worker_killed_mid_delivery_loses_nothing_and_duplicates_nothing(
    db: Database, tmp_path: Path
) -> None:
    settings = notification_settings(
        tmp_path,
        db,
        queue_name=f"kill-{uuid.uuid4().hex[:8]}",
        webhook_timeout=3.0,
        smtp_timeout=3.0,
        delivery_lease_seconds=4.0,
    )
    with (
        _logs_on_failure(tmp_path),
        webhook_receiver(WebhookReceiver(hold=1)) as receiver,
        ExitStack() as stack,
    ):
        org = add_caller(db, "Regional Hospital").organization_id
        add_webhook(db, settings, org, receiver.url)
        with db.session() as session:
            publish_exposure_events(session, [exposure_event(org, n) for n in range(5)])
        keys = {d.idempotency_key for d in _delivery_rows(db)}

        first = stack.enter_context(_process(["worker", "-w", "1"], settings, tmp_path / "w1.log"))
        assert receiver.arrived.wait(timeout=60), "the first worker sent nothing"
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
        receiver.release.set()
        (held,) = receiver.raw
        in_flight = [d for d in _delivery_rows(db) if d.idempotency_key == held]
        assert [(d.state, d.attempts) for d in in_flight] == [("pending", 1)]
        assert in_flight[0].lease_owner is not None

        stack.enter_context(_process(["worker", "-w", "1"], settings, tmp_path / "w2.log"))
        wait_until(
            lambda: receiver.accepted_keys() == keys,
            timeout=60,
            what="every notification after the restart",
        )
        wait_until(lambda: all(d.state == "delivered" for d in _delivery_rows(db)), timeout=30)
    assert all(count == 1 for count in receiver.accepted.values())
    assert receiver.raw[held] == 2  # re-sent with the same key after the lease expired
    assert all(receiver.raw[key] == 1 for key in keys - {held})


@pytest.fixture
def postgres_db(tmp_path: Path) -> Iterator[Database]:
    if not POSTGRES_URL:
        _service_missing("CLEARINGHOUSE_TEST_POSTGRES_URL is not set")
    for db in make_test_database("postgresql", tmp_path):
        assert isinstance(db, Database)
        yield db


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        _service_missing(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield REDIS_URL
    client.close()


@pytest.mark.services
def test_two_api_servers_and_two_workers_deliver_each_notification_once(
    postgres_db: Database, redis_url: str, tmp_path: Path
) -> None:
    db = postgres_db
    queue_name = f"multi-{uuid.uuid4().hex[:8]}"
    # generous timeouts and attempts: on a loaded machine a slow answer must mean a retry, not
    # a dead letter (what this test checks is that nothing is lost or sent twice)
    settings = notification_settings(
        tmp_path,
        db,
        redis_url=redis_url,
        queue_name=queue_name,
        delivery_batch_size=5,
        webhook_timeout=20.0,
        delivery_max_attempts=20,
    )
    api_ports = [free_port(), free_port()]
    events = 150
    with _logs_on_failure(tmp_path), webhook_receiver() as receiver, ExitStack() as stack:
        for n, port in enumerate(api_ports):
            stack.enter_context(
                _process(
                    ["serve", "--no-worker", "--port", str(port), "--log-level", "warning"],
                    settings,
                    tmp_path / f"api{n}.log",
                )
            )
        for n in range(2):
            stack.enter_context(
                _process(["worker", "-w", "2"], settings, tmp_path / f"worker{n}.log")
            )
        caller = add_caller(db, "State Water Authority")
        for port in api_ports:
            wait_until(lambda p=port: _answers(p), timeout=60, what=f"the API on port {port}")
        for port in api_ports:  # one subscription made through each API server
            created = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/webhooks",
                json={"url": receiver.url, "secret": SECRET},
                headers=caller.headers,
            )
            assert created.status_code == 201, created.text
        for start in range(0, events, 10):
            with db.session() as session:
                batch = [
                    exposure_event(caller.organization_id, n) for n in range(start, start + 10)
                ]
                publish_exposure_events(session, batch)
            wake(settings)
        expected = 2 * events
        try:
            wait_until(
                lambda: len(receiver.accepted_keys()) == expected,
                timeout=120,
                what=f"{expected} deliveries",
            )
        except AssertionError as exc:
            states = Counter((d.state, d.attempts) for d in _delivery_rows(db))
            raise AssertionError(f"{exc}; deliveries (state, attempts): {dict(states)}") from None
        delivered = httpx.get(
            f"http://127.0.0.1:{api_ports[1]}/api/v1/deliveries",
            params={"state": "delivered", "limit": 1000},
            headers=caller.headers,
        ).json()
        assert len(delivered) == expected
    assert len(receiver.raw) == expected
    assert set(receiver.raw.values()) == {1}, "a notification was sent more than once"
    _drop_queue(redis_url, queue_name)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _drop_queue(url: str, name: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"huey.*.{name}*"):
        client.delete(key)
    client.close()
