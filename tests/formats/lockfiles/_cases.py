"""Reading the shared lockfile cases the way the CLI and API hand them to the parsers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from clearinghouse.formats.inventory import (
    Component,
    Inventory,
    ParseContext,
    detect_format,
    parse_inventory,
)
from tests.conftest import shared_path


def case_dir(*parts: str) -> Path:
    return shared_path("lockfiles", *parts)


def confined_reader(root: Path, reads: list[str] | None = None) -> Callable[[str], bytes]:
    """A sibling reader that serves files under ``root`` only (like the adapters do)."""
    base = root.resolve()

    def read(name: str) -> bytes:
        if reads is not None:
            reads.append(name)
        path = (base / name).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            raise FileNotFoundError(name)
        return path.read_bytes()

    return read


def parse_case(*parts: str, siblings: bool = True, reads: list[str] | None = None) -> Inventory:
    """Parse ``lockfiles/<parts...>`` with its case folder as the sibling root."""
    path = case_dir(*parts)
    reader = confined_reader(path.parent, reads) if siblings else None
    return parse_inventory(path.read_bytes(), ParseContext(path.name, read_sibling=reader))


def parse_text(filename: str, text: str | bytes) -> Inventory:
    data = text.encode() if isinstance(text, str) else text
    return parse_inventory(data, ParseContext(filename))


def versions(inventory: Inventory) -> dict[str, set[str | None]]:
    """name -> the versions listed for it."""
    out: dict[str, set[str | None]] = {}
    for c in inventory.components:
        out.setdefault(c.name, set()).add(c.version)
    return out


def only(inventory: Inventory, name: str) -> Component:
    matches = [c for c in inventory.components if c.name == name]
    assert len(matches) == 1, f"{name}: {matches}"
    return matches[0]


def index_cases(ecosystems: set[str]) -> list[str]:
    """The INDEX.json case names of these ecosystems (malformed ones included)."""
    index = json.loads(case_dir("INDEX.json").read_text())
    return [str(c["case"]) for c in index if c["ecosystem"] in ecosystems]


def assert_detected_by_content(cases: list[str]) -> None:
    """Every file of these cases, uploaded under a meaningless name, is recognised."""
    index = {str(c["case"]): c for c in json.loads(case_dir("INDEX.json").read_text())}
    for case in cases:
        for name in index[case]["files"]:
            data = case_dir(*case.split("/"), name).read_bytes()
            fmt = detect_format("upload", data[:65536]).name
            assert fmt == Path(name).name, f"{case}/{name} detected as {fmt}"
