"""The task queue: an in-process worker delivers what was committed, retries on schedule, syncs
feeds, hands advisory changes to the exposures part, and a lost wake-up loses nothing."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clearinghouse.advisories.models import Advisory, KevEntry
from clearinghouse.api.app import create_app
from clearinghouse.exposures.models import PendingAdvisoryChange
from clearinghouse.notifications.events import publish_exposure_events
from clearinghouse.notifications.jobs import job_lease, try_acquire
from clearinghouse.notifications.models import BackgroundJob, Delivery
from clearinghouse.settings import Settings
from clearinghouse.store import Database, utcnow
from clearinghouse.worker import (
    TaskQueue,
    _advisory_change_processor,
    in_process_worker,
    wake,
)
from tests.notifications.factories import add_webhook, exposure_event, notification_settings
from tests.notifications.receivers import WebhookReceiver, wait_until, webhook_receiver
from tests.service_fixtures import add_caller


def _states(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Delivery.state).order_by(Delivery.id)))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as rx:
        yield rx


def test_the_servers_worker_delivers_after_a_wake_and_retries_on_schedule(
    sqlite_db: Database, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    db = sqlite_db
    # the first attempt fails; the retry is due 1-2 s later, with nothing else to wake a worker
    settings = notification_settings(
        tmp_path, db, delivery_backoff_seconds=2.0, delivery_backoff_max_seconds=2.0
    )
    receiver.failures = 1
    org = add_caller(db, "Hospital").organization_id
    add_webhook(db, settings, org, receiver.url)
    app = create_app(settings, db=db, lifespan_hooks=[in_process_worker])
    with TestClient(app):
        with db.session() as session:
            publish_exposure_events(session, [exposure_event(org, n) for n in range(3)])
        wake(settings)
        wait_until(lambda: len(receiver.accepted) == 3, what="three deliveries")
    assert _states(db) == ["delivered"] * 3
    assert sum(receiver.raw.values()) == 4
    assert (tmp_path / "queue.db").exists()


def test_work_committed_without_a_wake_is_swept_up(
    sqlite_db: Database, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    db = sqlite_db
    settings = notification_settings(tmp_path, db)
    org = add_caller(db, "Bank").organization_id
    add_webhook(db, settings, org, receiver.url)
    with db.session() as session:
        publish_exposure_events(session, [exposure_event(org, 1)])
    # no wake: the worker's startup sweep finds it
    stop = TaskQueue(settings, db).start_embedded()
    try:
        wait_until(lambda: _states(db) == ["delivered"], what="the swept delivery")
    finally:
        stop()


def test_a_wake_that_cannot_reach_the_queue_does_not_fail_the_caller(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:9/0")
    wake(settings)
    assert "could not wake the workers" in caplog.text


def test_periodic_tasks_are_registered_only_when_configured(tmp_path: Path) -> None:
    def periodic(settings: Settings) -> set[str]:
        return {t.__name__ for t in TaskQueue(settings).huey._registry._periodic_tasks}

    assert periodic(Settings(data_dir=tmp_path)) == {"sweep"}
    configured = Settings(data_dir=tmp_path, feed_sync_ecosystems=("PyPI",), queue_name="other")
    assert periodic(configured) == {"sweep", "periodic_feed_sync"}
    with pytest.raises(ValueError, match="5 fields"):
        TaskQueue(
            Settings(data_dir=tmp_path, feed_sync_ecosystems=("Go",), feed_sync_cron="@daily")
        )


def test_feed_sync_imports_the_configured_ecosystems(
    sqlite_db: Database, tmp_path: Path, shared_http: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_db.url,
        osv_base_url=f"{shared_http}/osv",
        kev_url=f"{shared_http}/kev/known_exploited_vulnerabilities.json",
        feed_sync_ecosystems=("CRAN",),
    )
    queue = TaskQueue(settings, sqlite_db)
    queue.sync_feeds.call_local()
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Advisory)) == 14
        # every imported advisory waits for the reverse match against the inventories
        assert session.scalar(select(func.count()).select_from(PendingAdvisoryChange)) == 14
        assert session.scalar(select(func.count()).select_from(KevEntry)) > 1000
        job = session.get(BackgroundJob, "feed-sync")
        assert job is not None
        assert job.lease_owner is None
        assert job.last_finished_at is not None
        assert job.last_error is None
    assert queue.huey.pending_count() == 1  # advisory changes are processed next


def test_advisory_changes_go_to_the_exposures_part_when_it_exists(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "clearinghouse.exposures.service", None)
    assert _advisory_change_processor() is None

    calls: list[Database] = []
    service = types.ModuleType("clearinghouse.exposures.service")
    service.process_advisory_changes = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "clearinghouse.exposures.service", service)
    queue = TaskQueue(notification_settings(tmp_path, db), db)
    queue.process_changes.call_local()
    assert calls == [db]
    assert queue.huey.pending_count() == 1  # then deliveries are woken


def test_a_job_lease_admits_one_worker_until_it_ends_or_expires(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        assert try_acquire(session, "feed-sync", "a", now, 60)
    with db.session() as session:
        assert not try_acquire(session, "feed-sync", "b", now, 60)
    later = now.replace(year=now.year + 1)
    with db.session() as session:
        assert try_acquire(session, "feed-sync", "b", later, 60)

    def failing_job() -> None:
        with job_lease(db, "sync-2", "w", 60) as held:
            assert held
            raise RuntimeError("feed unreachable")

    with pytest.raises(RuntimeError):
        failing_job()
    with db.session() as session:
        job = session.get(BackgroundJob, "sync-2")
        assert job is not None
        assert (job.lease_owner, job.last_error) == (None, "RuntimeError: feed unreachable")
