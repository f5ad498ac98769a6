"""The ``clearinghouse`` command line (Typer + Rich). Each command group is a thin adapter.

Exit codes: 0 success (and "clean" for ``scan``), 1 "vulnerable" for ``scan``, 2 bad input or
usage. Command modules are imported lazily: running a command imports only its own module
(``clearinghouse scan`` never loads the frontier, findings or web code), while ``--help``,
completion and typo suggestions see every command, as built from its module. Heavy imports
also happen inside commands, so that ``clearinghouse scan`` starts fast.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from clearinghouse.formats.errors import InputError

COMMANDS: dict[str, tuple[str, str, bool]] = {
    "scan": ("clearinghouse.cli.scan", "scan", False),
    "serve": ("clearinghouse.cli.serve", "serve", False),
    "worker": ("clearinghouse.cli.worker", "worker", False),
    "versions": ("clearinghouse.cli.versions", "app", True),
    "db": ("clearinghouse.cli.db", "app", True),
    "org": ("clearinghouse.cli.participants", "org_app", True),
    "token": ("clearinghouse.cli.participants", "token_app", True),
    "audit": ("clearinghouse.cli.audit", "app", True),
    "inventory": ("clearinghouse.cli.inventory", "app", True),
    "frontier": ("clearinghouse.cli.frontier", "app", True),
    "user": ("clearinghouse.cli.users", "app", True),
    "findings": ("clearinghouse.cli.findings", "app", True),
}
"""Top-level name -> (module, attribute, is a Typer group); listed in ``--help`` in this order
(single commands first, then groups, as Typer orders them)."""

_SETTINGS: dict[str, Any] = {
    "name": "clearinghouse",
    "help": "AI cybersecurity clearinghouse: advisories, inventories, exposures and triage.",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
}


def _noop() -> None:
    """A group callback: makes Typer build a group, adds no options."""


def load_command(name: str) -> TyperCommand | TyperGroup:
    """Import the module of one top-level command and build its Click command exactly as an
    eager ``add_typer``/``command`` registration on the main app would."""
    module_name, attribute, is_group = COMMANDS[name]
    target = getattr(importlib.import_module(module_name), attribute)
    holder = typer.Typer(**_SETTINGS)
    holder.callback()(_noop)
    if is_group:
        holder.add_typer(target, name=name)
    else:
        holder.command(name=name)(target)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    command = group.commands[name]
    assert isinstance(command, TyperCommand | TyperGroup)
    return command


class _LazyCommands(MutableMapping[str, Any]):
    """The top-level command table: names known up front, each command built on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}
        self._extra: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        if name not in COMMANDS:
            raise KeyError(name)
        if name not in self._loaded:
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._extra[name] = command

    def __delitem__(self, name: str) -> None:
        del self._extra[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (n for n in self._extra if n not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(1 for n in self._extra if n not in COMMANDS)

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self._extra


class LazyGroup(TyperGroup):
    """The top-level group, with :class:`_LazyCommands` as its command table."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        table = _LazyCommands()
        for name, command in self.commands.items():
            table[name] = command
        self.commands = table

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)


app = typer.Typer(cls=LazyGroup, **_SETTINGS)
app.callback()(_noop)


def main() -> None:
    try:
        app()
    except InputError as exc:
        from clearinghouse.cli._console import print_error

        print_error(str(exc))
        sys.exit(2)
    finally:
        # The command is over and the process is about to end: spare the shutdown's garbage
        # collections a walk over every object it made (a tenth of a short command's time).
        # Objects are still released and atexit handlers still run.
        gc.freeze()
