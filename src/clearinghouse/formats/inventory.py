"""Inventories in: every SBOM and lockfile format becomes a list of components with purls.

Pure core. A format module (``cyclonedx``, ``spdx``, ``lockfiles.*``) declares the
:class:`InventoryFormat` objects it provides in a module-level ``FORMATS`` tuple; the registry
below finds them, detects which one an input is (by file name first, then by content) and
parses it. Includes (``-r other.txt``, Maven parent POMs) are read through
``ParseContext.read_sibling`` so that the parsers themselves never touch the file system.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache

from clearinghouse.ecosystems import package_from_purl, purl_for
from clearinghouse.formats.errors import InputError, UnknownFormat
from clearinghouse.formats.safety import DEFAULT_MAX_BYTES, check_size

__all__ = [
    "Component",
    "Inventory",
    "InventoryFormat",
    "ParseContext",
    "component",
    "component_from_purl",
    "detect_format",
    "inventory_formats",
    "parse_inventory",
]


@dataclass(frozen=True, slots=True)
class Component:
    """One package in an inventory.

    ``ecosystem``/``name``/``version`` are OSV's spelling (what matching uses); ``purl`` is
    what the outside world uses. ``ecosystem`` is None when no OSV ecosystem covers the
    package (a ``pkg:generic`` purl, a file, an npm ``file:`` dependency).
    """

    purl: str
    ecosystem: str | None
    name: str
    version: str | None
    ref: str | None = None
    """The component's id inside its document (CycloneDX bom-ref, SPDXID), for VEX output."""
    dev: bool = False
    """Declared only for development/test (dev group, devDependencies)."""


@dataclass(slots=True)
class Inventory:
    """What a parser read from one document."""

    format: str
    """Detected format, e.g. ``CycloneDX 1.4 JSON``, ``poetry.lock``, ``SPDX 2.3 tag-value``."""
    components: list[Component]
    warnings: list[str] = field(default_factory=list)
    """Entries skipped or resolved approximately, in words a user can act on."""
    name: str | None = None
    """The subject of the document when it says (CycloneDX metadata.component, SPDX name)."""


SiblingReader = Callable[[str], bytes]
"""Reads a file named relative to the input (``-r other.txt``); raises FileNotFoundError."""


@dataclass(frozen=True, slots=True)
class ParseContext:
    source: str
    """File name or upload name, used in every error and warning."""
    read_sibling: SiblingReader | None = None
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class InventoryFormat:
    """A format a parser module can read."""

    name: str
    """Human name, e.g. ``poetry.lock`` or ``CycloneDX JSON``."""
    parse: Callable[[bytes, ParseContext], Inventory]
    filenames: tuple[str, ...] = ()
    """Glob patterns on the base name (``poetry.lock``, ``requirements*.txt``, ``*.cdx.json``)."""
    sniff: Callable[[bytes], bool] | None = None
    """Content test on the first 64 KiB, used when no file name pattern matched."""


_FORMAT_MODULES = (
    "clearinghouse.formats.cyclonedx",
    "clearinghouse.formats.spdx",
    "clearinghouse.formats.lockfiles.python",
    "clearinghouse.formats.lockfiles.javascript",
    "clearinghouse.formats.lockfiles.golang",
    "clearinghouse.formats.lockfiles.rust",
    "clearinghouse.formats.lockfiles.ruby",
    "clearinghouse.formats.lockfiles.php",
    "clearinghouse.formats.lockfiles.jvm",
    "clearinghouse.formats.lockfiles.others",
)


@cache
def inventory_formats() -> tuple[InventoryFormat, ...]:
    formats: list[InventoryFormat] = []
    for module_name in _FORMAT_MODULES:
        module = importlib.import_module(module_name)
        formats.extend(getattr(module, "FORMATS", ()))
    return tuple(formats)


def detect_format(filename: str, head: bytes) -> InventoryFormat:
    """Pick the format by file name, then by content; raise UnknownFormat naming what we read."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    formats = inventory_formats()
    for fmt in formats:
        if any(fnmatch(base, pattern.lower()) for pattern in fmt.filenames):
            return fmt
    for fmt in formats:
        if fmt.sniff is not None and fmt.sniff(head):
            return fmt
    known = ", ".join(sorted({f.name for f in formats}))
    raise UnknownFormat(
        filename,
        f"is not a format Clearinghouse reads (by name or content). Known formats: {known}",
    )


def parse_inventory(data: bytes, context: ParseContext) -> Inventory:
    """Detect the format of ``data`` and parse it into an inventory."""
    check_size(context.source, len(data), context.max_bytes)
    if not data.strip():
        raise InputError(context.source, "is empty")
    fmt = detect_format(context.source, data[:65536])
    try:
        return fmt.parse(data, context)
    except InputError:
        raise
    except RecursionError:
        raise InputError(context.source, f"{fmt.name} is nested too deeply") from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # A parser bug or a shape it did not expect: still a clear 4xx, never a traceback.
        raise InputError(
            context.source, f"could not be read as {fmt.name}: {type(exc).__name__}: {exc}"
        ) from None


def component(
    ecosystem: str,
    name: str,
    version: str | None,
    *,
    ref: str | None = None,
    dev: bool = False,
) -> Component:
    """A component of a known OSV ecosystem; its purl is derived."""
    purl = purl_for(ecosystem, name, version) or f"pkg:generic/{name}" + (
        f"@{version}" if version else ""
    )
    return Component(purl, ecosystem, name, version, ref, dev)


def component_from_purl(
    purl: str, *, ref: str | None = None, dev: bool = False, fallback_name: str | None = None
) -> Component:
    """A component from a package URL; the OSV ecosystem is derived (None if unknown).

    Raises ValueError for a string that is not a package URL.
    """
    pkg = package_from_purl(purl)
    if pkg is None:
        from packageurl import PackageURL

        p = PackageURL.from_string(purl)
        name = fallback_name or (f"{p.namespace}/{p.name}" if p.namespace else p.name)
        return Component(purl, None, name, p.version, ref, dev)
    return Component(purl, pkg.ecosystem, pkg.name, pkg.version, ref, dev)


def dedupe(components: Iterable[Component]) -> list[Component]:
    """Drop exact repeats (same purl and dev flag), keeping first-seen order."""
    seen: set[tuple[str, bool]] = set()
    out: list[Component] = []
    for c in components:
        key = (c.purl, c.dev)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
