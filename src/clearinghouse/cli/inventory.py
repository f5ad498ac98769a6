"""``clearinghouse inventory``: push a system's inventory, list systems, import VEX.

These act directly on the database (as every command does), audited as the CLI actor.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clearinghouse.cli._console import OutputFormat, out_console, print_error, print_json
from clearinghouse.inventories.models import Criticality

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="Systems and their inventories (SBOMs, lockfiles); VEX statements.",
    no_args_is_help=True,
)

OrgOption = Annotated[
    str | None,
    typer.Option("--org", help="Organization name or id (default: the only one there is)."),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table for people, json for scripts")
]


def _organization_id(session: Session, org: str | None) -> int:
    from sqlalchemy import select

    from clearinghouse.participants.models import Organization
    from clearinghouse.participants.service import ParticipantError, find_organization

    if org is not None:
        try:
            return find_organization(session, org).id
        except ParticipantError as exc:
            print_error(str(exc))
            raise typer.Exit(2) from None
    ids = list(session.scalars(select(Organization.id).limit(2)))
    if len(ids) != 1:
        print_error(
            "say which organization with --org"
            if ids
            else "no organization exists yet: create one with `clearinghouse org create`"
        )
        raise typer.Exit(2)
    return ids[0]


@app.command()
def push(
    file: Annotated[Path, typer.Argument(help="SBOM (CycloneDX, SPDX) or lockfile.")],
    system: Annotated[str, typer.Option("--system", "-s", help="The system it describes.")],
    criticality: Annotated[
        Criticality | None,
        typer.Option(help="safety-critical, business-critical or other (new systems: other)."),
    ] = None,
    org: OrgOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Create the system or replace its inventory (previous versions are kept)."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.inventories.files import read_inventory_file
    from clearinghouse.inventories.service import push_inventory
    from clearinghouse.settings import get_settings

    settings = get_settings()
    parsed = read_inventory_file(file, settings.max_input_bytes)
    data = file.read_bytes()
    db = _open()
    with db.session() as session:
        result = push_inventory(
            session,
            db,
            Actor.cli(),
            _organization_id(session, org),
            system=system,
            criticality=criticality,
            filename=file.name,
            data=data,
            parsed=parsed,
        )
        summary: dict[str, Any] = {
            "system": {
                "id": result.system.id,
                "name": result.system.name,
                "criticality": result.system.criticality,
                "created": result.created,
            },
            "inventory": {
                "version": result.inventory.version,
                "format": result.inventory.format,
                "components": result.inventory.component_count,
                "sha256": result.inventory.sha256,
                "warnings": list(result.inventory.warnings),
            },
            "exposures": result.exposures.counts(),
        }
    if output is OutputFormat.json:
        print_json(summary)
        return
    inventory, counts = summary["inventory"], summary["exposures"]
    out_console.print(
        f"{summary['system']['name']}: inventory version {inventory['version']} "
        f"({inventory['format']}, {inventory['components']} components); exposures "
        f"{counts['opened']} opened, {counts['reopened']} reopened, {counts['resolved']} resolved"
    )
    for warning in inventory["warnings"]:
        out_console.print(f"[yellow]warning:[/] {warning}", markup=True, soft_wrap=True)


@app.command("list")
def list_(org: OrgOption = None, output: FormatOption = OutputFormat.table) -> None:
    """The organization's systems with their inventory in force and live exposures."""
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.exposures.queries import open_counts
    from clearinghouse.inventories.service import list_systems

    db = _open()
    with db.session() as session:
        organization_id = _organization_id(session, org)
        counts = open_counts(session, organization_id)
        rows: list[dict[str, Any]] = [
            {
                "id": system.id,
                "name": system.name,
                "criticality": system.criticality,
                "version": inventory.version if inventory else None,
                "format": inventory.format if inventory else None,
                "components": inventory.component_count if inventory else 0,
                "uploaded_at": inventory.uploaded_at.isoformat() if inventory else None,
                "exposures": counts.get(system.id, {"open": 0, "kev": 0, "worst": None}),
            }
            for system, inventory in list_systems(session, organization_id)
        ]
    if output is OutputFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("id", "system", "criticality", "version", "format", "components", "open", "KEV")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["name"],
            row["criticality"],
            str(row["version"] or ""),
            row["format"] or "",
            str(row["components"]),
            str(row["exposures"]["open"]),
            str(row["exposures"]["kev"]),
        )
    out_console.print(table)


@app.command()
def vex(
    file: Annotated[Path, typer.Argument(help="CycloneDX VEX (JSON) or OpenVEX 0.2.0 document.")],
    system: Annotated[
        str | None,
        typer.Option(
            "--system", "-s", help="The system the document describes (for product statements)."
        ),
    ] = None,
    org: OrgOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Import VEX statements; they apply to matching exposures now and in the future."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.exposures.vex import import_vex, read_vex_document
    from clearinghouse.inventories.files import read_limited
    from clearinghouse.inventories.service import find_system
    from clearinghouse.settings import get_settings

    limit = get_settings().max_input_bytes
    document = read_vex_document(read_limited(file, limit), str(file), limit)
    db = _open()
    with db.session() as session:
        organization_id = _organization_id(session, org)
        target = None
        if system is not None:
            target = find_system(session, organization_id, system)
            if target is None:
                print_error(f"no system is named {system!r}")
                raise typer.Exit(2)
        result = import_vex(
            session, Actor.cli(), organization_id, document, filename=file.name, system=target
        )
        summary: dict[str, Any] = {
            "format": result.format,
            "document": result.document,
            "statements": len(result.statements),
            "exposures_changed": len(result.restated),
            "warnings": result.warnings,
        }
    if output is OutputFormat.json:
        print_json(summary)
        return
    out_console.print(
        f"{summary['format']}: {summary['statements']} statements recorded; "
        f"{summary['exposures_changed']} exposures changed state"
    )
    for warning in result.warnings:
        out_console.print(f"[yellow]warning:[/] {warning}", markup=True, soft_wrap=True)
