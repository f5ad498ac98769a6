"""FIRST Traffic Light Protocol 2.0 labels: parsing, order, the most restrictive of several.

Pure core. TLP 2.0 has five labels, from least to most restrictive: ``CLEAR`` (no limit on
disclosure), ``GREEN`` (the community), ``AMBER`` (the recipient's organization and its
clients), ``AMBER+STRICT`` (the recipient's organization only) and ``RED`` (the named
recipients only). TLP 1.0's ``WHITE`` (still the CSAF 2.0 spelling of
``document.distribution.tlp.label``) is ``CLEAR``. A ``TLP:`` prefix and letter case are
ignored; anything else is refused with the label named.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["DEFAULT_TLP", "Tlp", "most_restrictive", "parse_tlp"]


class Tlp(StrEnum):
    clear = "CLEAR"
    green = "GREEN"
    amber = "AMBER"
    amber_strict = "AMBER+STRICT"
    red = "RED"

    @property
    def rank(self) -> int:
        """0 (CLEAR) to 4 (RED): higher is more restrictive."""
        return _RANK[self]


_RANK = {label: rank for rank, label in enumerate(Tlp)}
_ALIASES = {"WHITE": Tlp.clear}

DEFAULT_TLP = Tlp.amber
"""An unvalidated vulnerability report is sensitive: without a stated marking it is AMBER."""


def parse_tlp(value: object) -> Tlp:
    """``"amber+strict"``, ``"TLP:RED"``, CSAF's ``"WHITE"`` -> the TLP 2.0 label.

    Raises ValueError naming the value when it is not a TLP label.
    """
    if not isinstance(value, str):
        raise ValueError(f"TLP marking {value!r} must be a string")
    text = value.strip().upper()
    if text.startswith("TLP:"):
        text = text[4:].strip()
    if text in _ALIASES:
        return _ALIASES[text]
    try:
        return Tlp(text)
    except ValueError:
        labels = ", ".join(t.value for t in Tlp)
        raise ValueError(
            f"TLP marking {value!r} is not a TLP 2.0 label (use {labels}; WHITE means CLEAR)"
        ) from None


def most_restrictive(labels: Iterable[Tlp | str]) -> Tlp | None:
    """The most restrictive of ``labels`` (RED > AMBER+STRICT > AMBER > GREEN > CLEAR);
    None when there are none."""
    found = [parse_tlp(label) if not isinstance(label, Tlp) else label for label in labels]
    return max(found, key=lambda t: t.rank) if found else None
