"""Helpers shared by the SBOM readers (:mod:`.cyclonedx`, :mod:`.spdx`). Pure, no I/O."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from clearinghouse.formats.inventory import Component, component_from_purl

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_NON_BLANK = re.compile(rb"[^ \t\r\n]")

EXAMPLES = 5
"""How many names a warning lists before it says 'and N more'."""


def head_text(head: bytes) -> str:
    """The start of a document as text for sniffing: BOM-aware, never raises."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head.decode(encoding, errors="ignore")
    return head.decode("utf-8", errors="ignore")


def first_char(data: bytes) -> str:
    """The first non-blank character of a document ('' when there is none)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[:4096].decode(encoding, errors="ignore").lstrip()[:1]
    match = _NON_BLANK.search(data)
    if match is None:
        return ""
    return data[match.start() : match.start() + 4].decode("utf-8", errors="replace")[:1]


def kind(value: Any) -> str:
    """What a JSON/YAML value is, in words for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def examples(names: list[str]) -> str:
    shown = ", ".join(repr(shorten(n, 60)) for n in names[:EXAMPLES])
    more = len(names) - EXAMPLES
    return f"{shown} and {more} more" if more > 0 else shown


def unique_components(components: Iterable[Component]) -> list[Component]:
    """Drop exact repeats (same purl, ref and dev flag), keeping document order.

    Entries with the same purl but different refs stay: a VEX statement may name either.
    """
    seen: set[tuple[str, str | None, bool]] = set()
    out: list[Component] = []
    for c in components:
        key = (c.purl, c.ref, c.dev)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def uncovered_purls_warning(components: Iterable[Component], noun: str) -> str | None:
    """Warn about components whose purl type no OSV ecosystem covers: they cannot match."""
    types = Counter(_purl_type(c.purl) for c in components if c.ecosystem is None)
    if not types:
        return None
    total = sum(types.values())
    listed = ", ".join(f"{t}: {n}" for t, n in types.most_common())
    return (
        f"{count(total, noun)} {'has a package URL' if total == 1 else 'have package URLs'} "
        f"that no OSV ecosystem covers ({listed}); listed, but they cannot be matched to "
        "advisories"
    )


def count(n: int, noun: str) -> str:
    """``count(1, 'package')`` -> ``1 package``; ``count(3, 'package')`` -> ``3 packages``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _purl_type(purl: str) -> str:
    return purl.partition(":")[2].lstrip("/").partition("/")[0].lower() or "?"


def read_purl(
    purl: str, *, ref: str | None, dev: bool, label: str, invalid: list[str]
) -> Component | None:
    """The component a package URL names; None (noted in ``invalid``) when it is not one."""
    try:
        return component_from_purl(purl, ref=ref, dev=dev)
    except ValueError as exc:
        invalid.append(f"{label}: {shorten(purl)!r} ({exc})")
        return None


def invalid_purls_warning(invalid: list[str], noun: str) -> str:
    shown = "; ".join(invalid[:EXAMPLES])
    more = len(invalid) - EXAMPLES
    return f"{count(len(invalid), noun)} skipped: the package URL is not valid: {shown}" + (
        f"; and {more} more" if more > 0 else ""
    )
