"""Background work on a Huey task queue: feed sync, advisory changes, notification delivery.

The queue only wakes workers up; the database is the source of truth. Delivery work lives in
the notification outbox, so a lost queue message loses nothing: every worker's scheduler runs
a sweep each minute, and each delivery run schedules a wake-up for the next due retry or
expiring lease. The queue is SQLite in the data directory by default (``SqliteHuey``), Redis
when ``CLEARINGHOUSE_REDIS_URL`` is set (``RedisHuey``), for several workers on several hosts.

* ``clearinghouse worker [--workers N]`` runs a consumer (N threads);
* ``clearinghouse serve`` runs one in-process (:func:`in_process_worker`) unless ``--no-worker``;
* :func:`wake` is what the CLI and the API call after committing new work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import event
from sqlalchemy.orm import Session

from clearinghouse.advisories.importer import ChangeListener
from clearinghouse.notifications.dispatch import Dispatcher, worker_identity
from clearinghouse.notifications.jobs import job_lease
from clearinghouse.settings import Settings, get_settings
from clearinghouse.store import Database, open_database

log = logging.getLogger("clearinghouse.worker")

QUEUE_FILE = "queue.db"
SQLITE_POLL_SECONDS = 1.0
FEED_SYNC_LEASE_SECONDS = 4 * 3600.0
EXPOSURES_MODULE = "clearinghouse.exposures.service"


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        settings.queue_name, filename=str(settings.data_dir / QUEUE_FILE), results=False
    )


def cron(spec: str) -> Callable[[datetime], bool]:
    """A Huey crontab from ``minute hour day month weekday``."""
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(f"a schedule needs 5 fields (minute hour day month weekday): {spec!r}")
    minute, hour, day, month, day_of_week = fields
    validate: Callable[[datetime], bool] = crontab(
        minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week
    )
    return validate


class TaskQueue:
    """The queue of one deployment and the tasks its workers run."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.huey = make_huey(settings)
        self.owner = worker_identity()
        self._db = db
        self._db_lock = threading.Lock()
        task, periodic = self.huey.task, self.huey.periodic_task
        self.deliver = task(name="deliver_notifications")(self._deliver)
        self.process_changes = task(name="process_advisory_changes")(self._process_changes)
        self.sync_feeds = task(name="sync_feeds")(self._sync_feeds)
        periodic(crontab(), name="sweep")(self._sweep)
        if settings.feed_sync_ecosystems:
            periodic(cron(settings.feed_sync_cron), name="periodic_feed_sync")(self._sync_feeds)

    # -- producing -----------------------------------------------------------------------------
    def wake(self) -> None:
        """New work was committed: process advisory changes and deliver what is due."""
        self.process_changes()
        self.deliver()

    def wake_deliveries(self) -> None:
        self.deliver()

    def _wake_at(self, due: datetime) -> None:
        """One wake-up per due time, however many workers ask for it."""
        key = f"wake-at:{due.timestamp():.3f}"
        if self.huey.put_if_empty(key, "1"):
            self.deliver.schedule(kwargs={"wake_key": key}, eta=due)

    # -- tasks ---------------------------------------------------------------------------------
    def database(self) -> Database:
        with self._db_lock:
            if self._db is None:
                self._db = open_database(self.settings)
            return self._db

    def _deliver(self, wake_key: str | None = None) -> None:
        if wake_key is not None:
            self.huey.get(wake_key)  # consumed: a later run may schedule this time again
        dispatcher = Dispatcher(self.database(), self.settings, owner=self.owner)
        report = dispatcher.run_until_idle()
        if report.claimed:
            log.info(
                "notifications: %d delivered, %d to retry, %d dead",
                report.delivered,
                report.retrying,
                report.dead,
            )
        due = dispatcher.next_due()
        if due is not None:
            self._wake_at(due)

    def _process_changes(self) -> None:
        """Exposures for changed advisories (safe to run on several workers at once)."""
        process = _advisory_change_processor()
        if process is None:
            return
        process(self.database())
        self.deliver()

    def _sync_feeds(self) -> None:
        ecosystems = self.settings.feed_sync_ecosystems
        if not ecosystems:
            return
        from clearinghouse.advisories.feeds import import_locations, load_kev
        from clearinghouse.advisories.importer import AdvisoryImporter

        db = self.database()
        listeners = _advisory_change_listeners()
        with job_lease(db, "feed-sync", self.owner, FEED_SYNC_LEASE_SECONDS) as held:
            if not held:
                return
            report, unchanged = import_locations(
                db,
                self.settings,
                [self.settings.osv_base_url],
                AdvisoryImporter(db, listeners=listeners),
                ecosystems=ecosystems,
            )
            log.info("feed sync: %s; unchanged: %s", report.as_dict(), ", ".join(unchanged))
            if self.settings.feed_sync_kev:
                kev = load_kev(db, self.settings, None, listeners)
                log.info(
                    "KEV sync: %d entries (%d added, %d removed)",
                    kev.entries,
                    kev.added,
                    kev.removed,
                )
        self.process_changes()

    def _sweep(self) -> None:
        self._process_changes()
        self._deliver()

    # -- consuming -----------------------------------------------------------------------------
    def consumer(self, workers: int = 1, *, embedded: bool = False) -> Consumer:
        options: dict[str, Any] = {
            "workers": workers,
            "worker_type": "thread",
            "periodic": True,
            "max_delay": SQLITE_POLL_SECONDS,
            "shutdown_timeout": max(self.settings.webhook_timeout, self.settings.smtp_timeout) + 5,
        }
        consumer_class = _EmbeddedConsumer if embedded else Consumer
        consumer: Consumer = consumer_class(self.huey, **options)
        return consumer

    def start_embedded(self, workers: int = 1) -> Callable[[], None]:
        """Run a consumer on threads of this process (no signal handlers); returns stop."""
        consumer = self.consumer(workers, embedded=True)
        runner = threading.Thread(target=consumer.run, name="clearinghouse-worker", daemon=True)
        runner.start()
        self.wake()

        def stop() -> None:
            consumer.stop(graceful=True)
            runner.join(timeout=consumer.shutdown_timeout)

        return stop


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer inside another program (the API server), which owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


def _advisory_change_processor() -> Callable[[Database], object] | None:
    """``exposures.service.process_advisory_changes`` once that part exists, else None."""
    try:
        from clearinghouse.exposures.service import (  # type: ignore[import-not-found,unused-ignore]
            process_advisory_changes,
        )
    except ImportError as exc:
        if exc.name in {EXPOSURES_MODULE, "clearinghouse.exposures"}:
            return None
        raise
    processor: Callable[[Database], object] = process_advisory_changes
    return processor


def _advisory_change_listeners() -> list[ChangeListener]:
    """Importer listeners that queue changed advisories for the exposures part, if it exists."""
    try:
        from clearinghouse.exposures.service import (  # type: ignore[import-not-found,unused-ignore]
            queue_advisory_changes,
        )
    except ImportError as exc:
        if exc.name in {EXPOSURES_MODULE, "clearinghouse.exposures"}:
            return []
        raise
    listener: ChangeListener = queue_advisory_changes
    return [listener]


_queues: dict[Settings, TaskQueue] = {}
_queues_lock = threading.Lock()


def queue_for(settings: Settings) -> TaskQueue:
    """This process's producer handle on the deployment's queue."""
    with _queues_lock:
        queue = _queues.get(settings)
        if queue is None:
            queue = _queues[settings] = TaskQueue(settings)
        return queue


def wake(settings: Settings | None = None, *, advisories: bool = True) -> None:
    """Tell workers new work was committed. Never fails the caller: the sweep catches up."""
    try:
        queue = queue_for(settings or get_settings())
        if advisories:
            queue.wake()
        else:
            queue.wake_deliveries()
    except Exception:
        log.warning(
            "could not wake the workers; the next sweep will pick the work up", exc_info=True
        )


def in_process_worker(app: Any) -> Callable[[], None] | None:
    """Start a worker inside the API process; returns the function that stops it."""
    queue = TaskQueue(app.state.settings, app.state.db)
    return queue.start_embedded()


def run_worker(settings: Settings, workers: int) -> None:
    """``clearinghouse worker``: consume until SIGINT (graceful) or SIGTERM."""
    queue = TaskQueue(settings, open_database(settings))
    consumer = queue.consumer(workers)
    queue.wake()
    consumer.run()


def wake_after_commit(session: Session, settings: Settings | None = None) -> None:
    """Wake the workers once ``session``'s transaction commits (never if it rolls back)."""
    event.listen(session, "after_commit", lambda _: wake(settings), once=True)
