"""``clearinghouse serve``: the API (and, unless told not to, a background worker) on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run a background worker in-process.")
    ] = True,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
) -> None:
    """Run the clearinghouse service (SQLite in the data directory unless configured)."""
    import uvicorn

    from clearinghouse.api.app import create_app
    from clearinghouse.api.logs import configure_logging
    from clearinghouse.settings import get_settings

    configure_logging(log_level)
    settings = get_settings()
    hooks = []
    if worker:
        from clearinghouse.worker import in_process_worker

        hooks.append(in_process_worker)
    app = create_app(settings, lifespan_hooks=hooks)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
