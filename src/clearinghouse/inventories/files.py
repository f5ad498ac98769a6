"""Reading inventory files from disk (the I/O edge of the pure format parsers)."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import (
    Inventory,
    ParseContext,
    inventory_formats,
    parse_inventory,
)
from clearinghouse.formats.safety import check_size


def read_limited(path: Path, max_bytes: int) -> bytes:
    """Read a regular file, refusing devices, FIFOs and anything above ``max_bytes``."""
    name = str(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InputError(name, "does not exist") from None
    except OSError as exc:
        raise InputError(name, f"cannot be read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise InputError(name, "is a directory; give the SBOM or lockfile inside it")
    if not path.is_file():
        raise InputError(name, "is not a regular file")
    check_size(name, stat.st_size, max_bytes)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(name, f"cannot be read: {exc.strerror or exc}") from None
    check_size(name, len(data), max_bytes)
    return data


def read_inventory_file(path: Path, max_bytes: int) -> Inventory:
    """Parse an SBOM or lockfile; includes (``-r``, parent POMs) are read beside it."""
    base = path.parent

    def read_sibling(relative: str) -> bytes:
        target = Path(relative) if Path(relative).is_absolute() else base / relative
        if not target.is_file():
            raise FileNotFoundError(relative)
        return read_limited(target, max_bytes)

    data = read_limited(path, max_bytes)
    return parse_inventory(
        data, ParseContext(source=str(path), read_sibling=read_sibling, max_bytes=max_bytes)
    )


_SKIPPED_DIRECTORIES = frozenset(
    {"node_modules", "vendor", "bower_components", "__pycache__", "site-packages", "target"}
)
"""Folders of installed or built dependencies: their lockfiles describe other projects."""


def _names_an_inventory(name: str) -> bool:
    base = name.lower()
    return any(
        fnmatch(base, pattern.lower()) for fmt in inventory_formats() for pattern in fmt.filenames
    )


def inventory_files_in(directory: Path, recursive: bool = False) -> list[Path]:
    """The SBOMs and lockfiles a folder holds, by their file names, sorted.

    With ``recursive``, sub-folders too, except hidden ones (``.git``, ``.venv``) and folders
    of installed dependencies (``node_modules``, ``vendor``...). Links are not followed.
    """
    found: list[Path] = []
    pending = [directory]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            raise InputError(str(folder), f"cannot be read: {exc.strerror or exc}") from None
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if (
                    recursive
                    and not entry.name.startswith(".")
                    and (entry.name not in _SKIPPED_DIRECTORIES)
                ):
                    pending.append(entry)
            elif entry.is_file() and _names_an_inventory(entry.name):
                found.append(entry)
    return sorted(found)
