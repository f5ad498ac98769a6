"""The ``clearinghouse`` command line (Typer + Rich). Each command group is a thin adapter.

Exit codes: 0 success (and "clean" for ``scan``), 1 "vulnerable" for ``scan``, 2 bad input or
usage. Heavy imports happen inside commands so that ``clearinghouse scan`` starts fast.
"""

from __future__ import annotations

import sys

import typer

from clearinghouse.cli import (
    audit,
    db,
    findings,
    frontier,
    inventory,
    participants,
    scan,
    serve,
    users,
    versions,
    worker,
)

app = typer.Typer(
    name="clearinghouse",
    help="AI cybersecurity clearinghouse: advisories, inventories, exposures and triage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(versions.app, name="versions")
app.add_typer(db.app, name="db")
app.command(name="scan")(scan.scan)
app.command(name="serve")(serve.serve)
app.command(name="worker")(worker.worker)
app.add_typer(participants.org_app, name="org")
app.add_typer(participants.token_app, name="token")
app.add_typer(audit.app, name="audit")
app.add_typer(inventory.app, name="inventory")
app.add_typer(frontier.app, name="frontier")
app.add_typer(users.app, name="user")
app.add_typer(findings.app, name="findings")


def main() -> None:
    from clearinghouse.formats.errors import InputError

    try:
        app()
    except InputError as exc:
        from clearinghouse.cli._console import print_error

        print_error(str(exc))
        sys.exit(2)
