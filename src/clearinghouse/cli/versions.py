"""``clearinghouse versions``: compare and sort versions by an ecosystem's own rules."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Ecosystem version ordering and OSV range evaluation.", no_args_is_help=True)

_SYMBOLS = {-1: "<", 0: "=", 1: ">"}


@app.callback()
def _group() -> None:
    """Ecosystem version ordering and OSV range evaluation."""


def _fail(message: str) -> None:
    from clearinghouse.cli._console import print_error

    print_error(message)
    raise typer.Exit(2)


@app.command()
def compare(
    ecosystem: Annotated[
        str, typer.Argument(help="OSV ecosystem, e.g. PyPI, npm, Debian:12, AlmaLinux:9.")
    ],
    a: Annotated[str, typer.Argument(help="First version.")],
    b: Annotated[str, typer.Argument(help="Second version.")],
) -> None:
    """Print <, = or > as version A is lower than, equal to or greater than version B."""
    from clearinghouse.versions import UnknownEcosystemError
    from clearinghouse.versions import compare as compare_versions

    try:
        result = compare_versions(ecosystem, a, b)
    except UnknownEcosystemError as exc:
        _fail(str(exc))
        return
    typer.echo(_SYMBOLS[result])


@app.command(name="sort")
def sort_versions(
    ecosystem: Annotated[str, typer.Argument(help="OSV ecosystem, e.g. PyPI, Maven, Alpine.")],
    versions: Annotated[list[str], typer.Argument(help="Versions to sort, lowest first.")],
) -> None:
    """Print the versions in ascending order, one per line."""
    from clearinghouse.versions import UnknownEcosystemError, sort_key

    try:
        ordered = sorted(versions, key=lambda version: sort_key(ecosystem, version))
    except UnknownEcosystemError as exc:
        _fail(str(exc))
        return
    for version in ordered:
        typer.echo(version)
