"""``clearinghouse audit``: verify and read the hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from clearinghouse.cli._console import OutputFormat, out_console, print_error, print_json

app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)


@app.command()
def verify(
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Recompute the chain; exit 1 and name the first broken link if any."""
    from clearinghouse.audit.log import verify_chain
    from clearinghouse.cli._database import open_or_exit as _open

    verdict = verify_chain(_open())
    if output is OutputFormat.json:
        print_json(
            {
                "events": verdict.events,
                "intact": verdict.broken_at is None,
                "broken_at": verdict.broken_at,
                "reason": verdict.reason,
            }
        )
    elif verdict.broken_at is None:
        out_console.print(f"audit log intact: {verdict.events} events verified")
    else:
        print_error(f"audit log broken at event {verdict.broken_at}: {verdict.reason}")
    if verdict.broken_at is not None:
        raise typer.Exit(1)


@app.command("list")
def list_events(
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 50,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. token.create.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """The latest events, newest first (restricted events show no content)."""
    from sqlalchemy import select

    from clearinghouse.audit.models import AuditEvent
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.formats.osv import format_timestamp

    db = _open()
    with db.session() as session:
        query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
        if action:
            query = query.where(AuditEvent.action == action)
        rows = [
            {
                "seq": e.seq,
                "at": format_timestamp(e.at),
                "actor": e.actor,
                "organization_id": e.organization_id,
                "action": e.action,
                "target": f"{e.target_type}:{e.target_id}",
                "before": None if e.restricted else e.before,
                "after": None if e.restricted else e.after,
            }
            for e in session.scalars(query)
        ]
    if output is OutputFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("seq", "at", "actor", "org", "action", "target")
    for r in rows:
        table.add_row(
            *(
                str(r[k] or "")
                for k in ("seq", "at", "actor", "organization_id", "action", "target")
            )
        )
    out_console.print(table)
