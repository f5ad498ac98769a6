"""Reading inventory files from disk (the I/O edge of the pure format parsers)."""

from __future__ import annotations

from pathlib import Path

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, ParseContext, parse_inventory
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
