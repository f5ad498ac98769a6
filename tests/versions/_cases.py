"""Shared checker for hand-picked ordering cases: ``(a, op, b, rule)``."""

from __future__ import annotations

from clearinghouse.versions import compare

EXPECTED = {"<": -1, "=": 0, ">": 1}


def assert_order(ecosystem: str, a: str, op: str, b: str) -> None:
    expected = EXPECTED[op]
    assert compare(ecosystem, a, b) == expected, f"{ecosystem}: expected {a} {op} {b}"
    assert compare(ecosystem, b, a) == -expected, f"{ecosystem}: not antisymmetric for {a}, {b}"
