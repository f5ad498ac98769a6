"""``clearinghouse org`` and ``clearinghouse token``: bootstrap participants from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from clearinghouse.cli._console import OutputFormat, out_console, print_error, print_json
from clearinghouse.participants.models import OrganizationKind, OrganizationSize, Role, Sector

org_app = typer.Typer(help="Participant organizations.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Argument(help="Organization name, unique.")],
    kind: Annotated[OrganizationKind, typer.Option(help="What the organization is.")],
    sector: Annotated[
        Sector | None, typer.Option(help="CISA critical-infrastructure sector (operators).")
    ] = None,
    size: Annotated[OrganizationSize | None, typer.Option(help="Operator size.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Register an organization."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.service import ParticipantError, create_organization

    db = _open()
    try:
        with db.session() as session:
            org = create_organization(session, Actor.cli(), name, kind, sector=sector, size=size)
            data = {
                "id": org.id,
                "name": org.name,
                "kind": org.kind,
                "sector": org.sector,
                "size": org.size,
            }
    except ParticipantError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    if output is OutputFormat.json:
        print_json(data)
    else:
        out_console.print(f"organization {data['id']}: {data['name']} ({data['kind']})")


@org_app.command("list")
def org_list(
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """List organizations."""
    from sqlalchemy import select

    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.models import Organization

    db = _open()
    with db.session() as session:
        rows = [
            {"id": o.id, "name": o.name, "kind": o.kind, "sector": o.sector, "size": o.size}
            for o in session.scalars(select(Organization).order_by(Organization.id))
        ]
    if output is OutputFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("id", "name", "kind", "sector", "size")
    for r in rows:
        table.add_row(*(str(r[k] or "") for k in ("id", "name", "kind", "sector", "size")))
    out_console.print(table)


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option("--org", help="Organization name or id.")],
    role: Annotated[Role, typer.Option(help="What the token may do.")] = Role.member,
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "",
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Expiry in days (default: never).")
    ] = None,
    clearance: Annotated[
        list[str], typer.Option(help="Restricted-data clearance, e.g. designation.")
    ] = [],  # noqa: B006
) -> None:
    """Issue an API token. Prints the token, alone, on stdout: it is not shown again."""
    from datetime import timedelta

    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.service import (
        ParticipantError,
        find_organization,
        issue_token,
    )

    db = _open()
    try:
        with db.session() as session:
            organization = find_organization(session, org)
            issued = issue_token(
                session,
                Actor.cli(),
                organization,
                role,
                name=name,
                expires_in=timedelta(days=expires_in_days) if expires_in_days else None,
                clearances=frozenset(clearance),
            )
    except ParticipantError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    typer.echo(issued.token)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="Token id (see token list).")],
) -> None:
    """Revoke a token immediately."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.models import ApiToken
    from clearinghouse.participants.service import revoke_token

    db = _open()
    with db.session() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            print_error(f"no token has id {token_id}")
            raise typer.Exit(2)
        revoke_token(session, Actor.cli(), token)
    out_console.print(f"token {token_id} revoked")


@token_app.command("list")
def token_list(
    org: Annotated[str, typer.Option("--org", help="Organization name or id.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """List an organization's tokens (never the secrets)."""
    from sqlalchemy import select

    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.models import ApiToken
    from clearinghouse.participants.service import ParticipantError, find_organization

    db = _open()
    try:
        with db.session() as session:
            organization = find_organization(session, org)
            rows = [
                {
                    "id": t.id,
                    "name": t.name,
                    "role": t.role,
                    "prefix": t.prefix,
                    "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                }
                for t in session.scalars(
                    select(ApiToken).where(ApiToken.organization_id == organization.id)
                )
            ]
    except ParticipantError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    if output is OutputFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("id", "name", "role", "prefix", "expires", "revoked")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["name"]),
            str(r["role"]),
            f"{r['prefix']}…",
            str(r["expires_at"] or ""),
            str(r["revoked_at"] or ""),
        )
    out_console.print(table)
