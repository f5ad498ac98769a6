"""``clearinghouse db``: the knowledge base (import, sync, KEV, stats, lookups, migrations)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from clearinghouse.cli._console import OutputFormat, err_console, out_console, print_json
from clearinghouse.cli._database import open_or_exit as _open

if TYPE_CHECKING:
    from clearinghouse.advisories.importer import ImportReport
    from clearinghouse.advisories.sources import AdvisorySource

app = typer.Typer(
    help="The vulnerability knowledge base (OSV advisories and CISA KEV).", no_args_is_help=True
)

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table for people, json for scripts")
]
MatchOption = Annotated[
    bool,
    typer.Option(
        "--match/--no-match",
        help="Bring exposures up to date with the changed advisories now (else: the worker).",
    ),
]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[AdvisorySource], Callable[[int], None]] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:

        def factory(source: AdvisorySource) -> Callable[[int], None]:
            task = progress.add_task(source.label, total=source.count())
            return lambda n: progress.advance(task, n)

        yield factory


def _print_import(
    report: ImportReport,
    unchanged: list[str],
    output: OutputFormat,
    matched: dict[str, float | int] | None = None,
) -> None:
    if output is OutputFormat.json:
        data = report.as_dict()
        data["unchanged_feeds"] = unchanged
        data["exposures_matched"] = matched
        print_json(data)
        return
    from rich.table import Table

    table = Table(title="Imported advisories", title_justify="left")
    for column in ("ecosystem", "new", "updated", "unchanged", "withdrawn", "invalid"):
        table.add_column(column, justify="left" if column == "ecosystem" else "right")
    for name, c in sorted(report.counts.items()):
        table.add_row(
            name, *(str(x) for x in (c.new, c.updated, c.unchanged, c.withdrawn, c.invalid))
        )
    out_console.print(table)
    rate = report.records / report.seconds if report.seconds else 0
    out_console.print(
        f"{report.records} records in {report.seconds:.1f} s ({rate:,.0f} records/s); "
        f"{len(report.changed)} new or updated."
    )
    for feed in unchanged:
        out_console.print(f"{feed}: unchanged since the last sync (not downloaded again)")
    if matched is not None:
        out_console.print(
            f"exposures brought up to date for {matched['advisories']} changed advisories "
            f"in {matched['seconds']} s"
        )
    else:
        out_console.print("exposures not matched now (--no-match): the worker will do it")
    for bad in report.bad:
        err_console.print(
            f"[yellow]skipped[/] {bad.origin} ({bad.id or 'no id'}): {bad.reason}",
            markup=True,
            soft_wrap=True,
        )


def _run_import(
    locations: list[str],
    ecosystems: list[str],
    force: bool,
    output: OutputFormat,
    match: bool = True,
) -> None:
    import time

    from clearinghouse.advisories.feeds import import_locations
    from clearinghouse.advisories.importer import AdvisoryImporter
    from clearinghouse.exposures.service import process_advisory_changes, queue_advisory_changes
    from clearinghouse.settings import get_settings

    db = _open()
    settings = get_settings()
    importer = AdvisoryImporter(db, listeners=[queue_advisory_changes])
    with _progress(output is OutputFormat.table) as progress:
        report, unchanged = import_locations(
            db,
            settings,
            locations,
            importer,
            ecosystems=ecosystems,
            progress=progress,
            force=force,
        )
    matched: dict[str, float | int] | None = None
    if match:
        started = time.perf_counter()
        count = process_advisory_changes(db)
        matched = {"advisories": count, "seconds": round(time.perf_counter() - started, 3)}
    if report.changed:
        from clearinghouse.worker import wake

        wake(settings)  # workers deliver the notifications (and match, after --no-match)
    _print_import(report, unchanged, output, matched)


@app.command("import")
def import_(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="An all.zip, a directory of OSV .json files (or of <Ecosystem>/all.zip), "
            "a .json record, or a URL: an all.zip or a base serving the OSV bucket layout.",
            show_default=False,
        ),
    ],
    ecosystem: Annotated[
        list[str],
        typer.Option("--ecosystem", "-e", help="With a URL base: only these ecosystems."),
    ] = [],  # noqa: B006
    force: Annotated[
        bool, typer.Option(help="Download remote archives even if unchanged.")
    ] = False,
    match: MatchOption = True,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Import OSV advisories. Bad records are reported (file, id, reason) and skipped."""
    _run_import(sources, ecosystem, force, output, match)


@app.command()
def sync(
    ecosystems: Annotated[
        list[str] | None,
        typer.Argument(
            help="OSV ecosystems (PyPI, npm, Debian...); default: all the bucket lists."
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="OSV bucket base URL [env CLEARINGHOUSE_OSV_BASE_URL]."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Download even if unchanged.")] = False,
    match: MatchOption = True,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Download and import ecosystems from the OSV bucket (only what changed)."""
    from clearinghouse.settings import get_settings

    base = base_url or get_settings().osv_base_url
    _run_import([base], list(ecosystems or []), force, output, match)


@app.command("import-kev")
def import_kev(
    source: Annotated[
        str | None,
        typer.Argument(
            help="KEV JSON (or CSV) file or URL; default: CISA's feed [env CLEARINGHOUSE_KEV_URL]."
        ),
    ] = None,
    output: FormatOption = OutputFormat.table,
    match: MatchOption = True,
) -> None:
    """Load CISA's Known Exploited Vulnerabilities catalog (replaces the previous one).

    Exposures to advisories whose KEV status changed get their KEV flag updated.
    """
    from clearinghouse.advisories.feeds import load_kev
    from clearinghouse.exposures.service import process_advisory_changes, queue_advisory_changes
    from clearinghouse.settings import get_settings

    db = _open()
    settings = get_settings()
    report = load_kev(db, settings, source, listeners=[queue_advisory_changes])
    if match:
        process_advisory_changes(db)
    if report.advisories_changed:
        from clearinghouse.worker import wake

        wake(settings)
    if output is OutputFormat.json:
        print_json(
            {
                "version": report.version,
                "entries": report.entries,
                "added": report.added,
                "removed": report.removed,
                "advisories_changed": report.advisories_changed,
            }
        )
    else:
        out_console.print(
            f"KEV catalog {report.version or '(no version)'}: {report.entries} entries "
            f"({report.added} added, {report.removed} removed; "
            f"{report.advisories_changed} advisories changed KEV status)"
        )


@app.command()
def stats(output: FormatOption = OutputFormat.table) -> None:
    """Counts of advisories per ecosystem, aliases, KEV entries and feeds."""
    from clearinghouse.advisories.queries import knowledge_base_stats

    db = _open()
    data = knowledge_base_stats(db)
    if output is OutputFormat.json:
        print_json(data)
        return
    from rich.table import Table

    table = Table(title="Advisories by ecosystem", title_justify="left")
    table.add_column("ecosystem")
    table.add_column("advisories", justify="right")
    table.add_column("withdrawn", justify="right")
    table.add_column("packages", justify="right")
    for name, row in data["ecosystems"].items():
        table.add_row(name, str(row["advisories"]), str(row["withdrawn"]), str(row["packages"]))
    out_console.print(table)
    totals = data["totals"]
    out_console.print(
        f"{totals['advisories']} advisories ({totals['withdrawn']} withdrawn), "
        f"{totals['aliases']} aliases, {totals['affected_entries']} affected entries; "
        f"KEV: {data['kev']['entries']} entries (catalog {data['kev']['version'] or 'not loaded'})"
    )
    out_console.print(f"database: {data['database']}")


@app.command()
def show(
    identifier: Annotated[str, typer.Argument(help="Advisory id or alias (CVE-..., GHSA-...).")],
) -> None:
    """Print the OSV record(s) for an id or alias, as JSON."""
    from clearinghouse.advisories.queries import records_for

    db = _open()
    records = records_for(db, identifier)
    if not records:
        from clearinghouse.cli._console import print_error

        print_error(f"no advisory has the id or alias {identifier!r}")
        raise typer.Exit(1)
    print_json(records[0] if len(records) == 1 else records)


@app.command()
def search(
    term: Annotated[str, typer.Argument(help="Id or alias prefix, or a package name.")],
    ecosystem: Annotated[str | None, typer.Option("--ecosystem", "-e")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Find advisories by id, alias or package name."""
    from clearinghouse.advisories.queries import search_advisories

    db = _open()
    rows = search_advisories(db, term, ecosystem=ecosystem, limit=limit)
    if output is OutputFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table()
    for column in ("id", "aliases", "packages", "severity", "summary"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"],
            ", ".join(row["aliases"]),
            ", ".join(row["packages"][:3]) + (" ..." if len(row["packages"]) > 3 else ""),
            row["severity"] or "",
            (row["summary"] or "")[:80],
        )
    out_console.print(table)
    if not rows:
        err_console.print(f"nothing matches {term!r}")


@app.command()
def upgrade() -> None:
    """Apply pending database migrations (automatic for SQLite)."""
    from clearinghouse.store import open_database

    db = open_database(migrate=False)
    db.upgrade()
    out_console.print("database schema is up to date")
