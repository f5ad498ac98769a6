"""Helpers shared by the Go, Rust, Ruby, PHP, JVM and other lockfile parsers.

:class:`Packages` gathers the components a manifest or lockfile lists, each
ecosystem+name+version once (a package used both in production and for development is a
production package), whatever its ecosystem and even without a version; :class:`Checked` reads
decoded JSON/TOML/YAML and names the entry whose type is wrong; :func:`listing` keeps warnings
that name many packages readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clearinghouse.ecosystems import name_key
from clearinghouse.formats.inventory import Inventory, component
from clearinghouse.formats.lockfiles._collect import Shape

__all__ = ["Checked", "Packages", "listing"]


class Packages:
    """The components of one inventory, in first-seen order."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self._entries: dict[tuple[str, str, str | None], list[Any]] = {}

    def add(self, ecosystem: str, name: str, version: str | None, *, dev: bool = False) -> None:
        key = (ecosystem, name_key(ecosystem, name), version)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = [ecosystem, name, version, dev]
        elif not dev:
            entry[3] = False

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def __len__(self) -> int:
        return len(self._entries)

    def inventory(self, fmt: str, name: str | None = None) -> Inventory:
        components = [
            component(ecosystem, pkg, version, dev=dev)
            for ecosystem, pkg, version, dev in self._entries.values()
        ]
        return Inventory(format=fmt, components=components, warnings=self.warnings, name=name)


def listing(items: Sequence[str], limit: int = 10) -> str:
    """``a, b, c`` or ``a, b, ... and 7 more`` for a warning."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


class Checked(Shape):
    """:class:`Shape` (the type checks the Python and JavaScript parsers use), plus required
    keys, and top-level keys (``where=""``) named without a leading dot."""

    __slots__ = ()

    def optional_mapping(self, parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key)
        return {} if value is None else self.mapping(value, _join(where, key))

    def optional_sequence(self, parent: dict[str, Any], key: str, where: str) -> list[Any]:
        value = parent.get(key)
        return [] if value is None else self.sequence(value, _join(where, key))

    def optional_string(self, parent: dict[str, Any], key: str, where: str) -> str | None:
        value = parent.get(key)
        return None if value is None else self.string(value, _join(where, key))

    def required_string(self, parent: dict[str, Any], key: str, where: str) -> str:
        if key not in parent:
            self.fail(where, f"has no {key!r}")
        return self.string(parent[key], _join(where, key))


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
