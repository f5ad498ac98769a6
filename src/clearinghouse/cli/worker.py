"""``clearinghouse worker``: a background worker (feed sync, advisory changes, notifications)."""

from __future__ import annotations

from typing import Annotated

import typer


def worker(
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=64, help="Worker threads.")
    ] = 2,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
) -> None:
    """Run a background worker: feed sync, advisory changes, notification delivery.

    The queue is SQLite in the data directory, or Redis with CLEARINGHOUSE_REDIS_URL.

    Run several, on several hosts: a notification is held by one worker at a time.

    SIGINT stops gracefully, SIGTERM at once; another worker resumes work left in flight.
    """
    from clearinghouse.api.logs import configure_logging
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.settings import get_settings
    from clearinghouse.worker import run_worker

    configure_logging(log_level)
    _open().dispose()  # the schema is current (or the command says what to do)
    run_worker(get_settings(), workers)
