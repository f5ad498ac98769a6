"""Helpers shared by the Python and JavaScript lockfile parsers.

:class:`Collector` gathers the packages a lockfile lists, counting each name@version once (a
package installed both for production and for development is a production package);
:class:`Shape` checks the type of each value it reads and names the entry when it is wrong;
:func:`dev_only` finds the packages reachable only from development roots of a dependency graph.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from clearinghouse.ecosystems import name_key
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, component

__all__ = ["Collector", "Shape", "dev_only", "reachable"]

K = TypeVar("K", bound=Hashable)


class Collector:
    """The components of one inventory, in first-seen order, each name@version once."""

    def __init__(self, source: str, ecosystem: str) -> None:
        self.source = source
        self.ecosystem = ecosystem
        self.warnings: list[str] = []
        self._entries: dict[tuple[str, str], list[Any]] = {}

    def add(self, name: str, version: str, *, dev: bool = False) -> None:
        key = (name_key(self.ecosystem, name), version)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = [name, version, dev]
        elif not dev:
            entry[2] = False

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def __len__(self) -> int:
        return len(self._entries)

    def inventory(self, fmt: str) -> Inventory:
        components = [
            component(self.ecosystem, name, version, dev=dev)
            for name, version, dev in self._entries.values()
        ]
        return Inventory(format=fmt, components=components, warnings=self.warnings)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class Shape:
    """Type checks that raise :class:`InputError` naming the entry and what it should be.

    ``mapping`` and ``sequence`` are the document language's own words (JSON: object/array,
    TOML: table/array, YAML: mapping/list), so the message reads like the file.
    """

    source: str
    mapping_word: str = "an object"
    sequence_word: str = "an array"

    def fail(self, where: str, reason: str) -> NoReturn:
        raise InputError(self.source, f"{where} {reason}")

    def _wrong(self, where: str, expected: str, value: object) -> NoReturn:
        got = _describe(value)
        if got == "a mapping":
            got = self.mapping_word
        elif got == "a list":
            got = self.sequence_word
        self.fail(where, f"must be {expected}, not {got}")

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self._wrong(where, self.mapping_word, value)
        return value

    def sequence(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            self._wrong(where, self.sequence_word, value)
        return value

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self._wrong(where, "a string", value)
        return value

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            self._wrong(where, "true or false", value)
        return value

    def optional_mapping(self, parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key)
        return {} if value is None else self.mapping(value, _join(where, key))

    def optional_sequence(self, parent: dict[str, Any], key: str, where: str) -> list[Any]:
        value = parent.get(key)
        return [] if value is None else self.sequence(value, _join(where, key))

    def optional_string(self, parent: dict[str, Any], key: str, where: str) -> str | None:
        value = parent.get(key)
        return None if value is None else self.string(value, _join(where, key))

    def flag(self, parent: dict[str, Any], key: str, where: str) -> bool:
        value = parent.get(key)
        return False if value is None else self.boolean(value, _join(where, key))


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def reachable(roots: Iterable[K], edges: Callable[[K], Iterable[K]]) -> set[K]:
    """Every node reachable from ``roots`` (iteratively: lockfile graphs can be deep)."""
    seen: set[K] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(n for n in edges(node) if n not in seen)
    return seen


def dev_only(
    prod_roots: Iterable[K], dev_roots: Iterable[K], edges: Callable[[K], Iterable[K]]
) -> set[K]:
    """Nodes reachable from a development root but from no production root."""
    dev: set[K] = reachable(dev_roots, edges)
    prod: set[K] = reachable(prod_roots, edges)
    return dev - prod
