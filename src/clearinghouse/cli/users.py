"""``clearinghouse user``: people who sign in to the web interface (create, invite, unlock...)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from clearinghouse.cli._console import OutputFormat, out_console, print_error, print_json
from clearinghouse.participants.models import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clearinghouse.participants.models import User

app = typer.Typer(help="Web users: passwords are argon2id hashes; invitations are one-time links.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print_error("--password-stdin: no password on standard input")
            raise typer.Exit(2)
        return password
    prompted: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return prompted


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Sign-in name, unique (letters, digits, ._@+-).")],
    org: Annotated[str, typer.Option("--org", help="Organization name or id.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.member,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    email: Annotated[str | None, typer.Option(help="Email address (optional).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name (optional).")] = None,
    clearance: Annotated[
        list[str],
        typer.Option(help="Restricted-data clearance (designation; coordinator/evaluator staff)."),
    ] = [],  # noqa: B006
) -> None:
    """Create a user who signs in with a password (asked twice unless --password-stdin)."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.service import ParticipantError, find_organization
    from clearinghouse.web.accounts import AccountError, create_user

    password = _read_password(password_stdin)
    db = _open()
    try:
        with db.session() as session:
            organization = find_organization(session, org)
            user = create_user(
                session,
                Actor.cli(),
                organization,
                username,
                role,
                password=password,
                email=email,
                display_name=name,
                clearances=frozenset(clearance),
            )
            message = f"user {user.id}: {user.username} ({user.role}) in {organization.name}"
    except ParticipantError as exc:
        print_error(f"{exc} (create it first: clearinghouse org create NAME --kind operator)")
        raise typer.Exit(2) from None
    except AccountError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    out_console.print(message)


@app.command("invite")
def invite(
    org: Annotated[str, typer.Option("--org", help="Organization name or id.")],
    role: Annotated[Role, typer.Option(help="The role the new user gets.")] = Role.member,
    email: Annotated[str | None, typer.Option(help="Who it is for (a reminder).")] = None,
    base_url: Annotated[
        str, typer.Option(help="Where the service is reached, for the link.")
    ] = "http://127.0.0.1:8000",
    days: Annotated[int | None, typer.Option(min=1, help="Valid for (default: 7 days).")] = None,
) -> None:
    """Print a one-time invitation link (shown once; only its hash is stored)."""
    from datetime import timedelta

    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.service import ParticipantError, find_organization
    from clearinghouse.web import accounts
    from clearinghouse.web.settings import load_web_settings

    lifetime = timedelta(days=days) if days else load_web_settings().invitation_lifetime
    db = _open()
    try:
        with db.session() as session:
            organization = find_organization(session, org)
            issued = accounts.invite(
                session, Actor.cli(), organization, role, lifetime=lifetime, email=email
            )
    except ParticipantError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    typer.echo(f"{base_url.rstrip('/')}/invite?token={issued.token}")


@app.command("list")
def list_users(
    org: Annotated[str, typer.Option("--org", help="Organization name or id.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """An organization's users (never their password hashes)."""
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.service import ParticipantError, find_organization
    from clearinghouse.web.accounts import organization_people, user_snapshot

    db = _open()
    try:
        with db.session() as session:
            organization = find_organization(session, org)
            rows = [user_snapshot(u) for u in organization_people(session, organization.id)]
    except ParticipantError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    if output is OutputFormat.json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("id", "username", "role", "clearances", "state")
    for row in rows:
        state = "disabled" if row["disabled"] else ("locked" if row["locked_until"] else "active")
        clearances = row["clearances"]
        table.add_row(
            str(row["id"]),
            str(row["username"]),
            str(row["role"]),
            ", ".join(clearances) if isinstance(clearances, list) else "",
            state,
        )
    out_console.print(table)


def _user_or_exit(session: Session, username: str) -> User:
    from clearinghouse.web.accounts import find_user

    user = find_user(session, username)
    if user is None:
        print_error(f"no user is named {username!r}")
        raise typer.Exit(2)
    return user


@app.command("unlock")
def unlock(username: Annotated[str, typer.Argument(help="The locked user.")]) -> None:
    """Lift a lockout after repeated failed sign-ins."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.web.accounts import unlock as unlock_user

    db = _open()
    with db.session() as session:
        user = _user_or_exit(session, username)
        unlock_user(session, Actor.cli(), user)
    out_console.print(f"{username} can sign in again")


@app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="Whose password.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Replace a user's password; every session of theirs is signed out."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.web.accounts import AccountError
    from clearinghouse.web.accounts import set_password as set_user_password

    password = _read_password(password_stdin)
    db = _open()
    try:
        with db.session() as session:
            user = _user_or_exit(session, username)
            ended = set_user_password(session, Actor.cli(), user, password)
    except AccountError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    out_console.print(f"password of {username} changed; {ended} session(s) signed out")
