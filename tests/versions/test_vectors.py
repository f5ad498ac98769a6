"""The shared ordering vectors (osv-scalibr's ``semantic/testdata``): every line must hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearinghouse.versions import compare
from tests.conftest import shared_path
from tests.versions._cases import EXPECTED

VECTOR_FILES = [
    ("pypi-versions.txt", "PyPI"),
    ("pypi-versions-generated.txt", "PyPI"),
    ("semver-versions.txt", "npm"),
    ("semver-versions.txt", "crates.io"),
    ("semver-versions.txt", "Go"),
    ("semver-versions.txt", "Hex"),
    ("semver-versions.txt", "Bitnami"),
]


def read_vectors(path: Path) -> list[tuple[int, str, str, str]]:
    """``(line number, a, op, b)`` for each comparison; ``#``/``//`` lines are comments."""
    vectors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith(("# ", "// ")):
            continue
        a, op, b = line.split(" ")
        vectors.append((number, a, op, b))
    return vectors


@pytest.mark.parametrize(("filename", "ecosystem"), VECTOR_FILES)
def test_every_vector_line_holds(filename: str, ecosystem: str) -> None:
    vectors = read_vectors(shared_path("versions", filename))
    assert vectors, f"{filename} has no comparisons"
    failures = []
    for number, a, op, b in vectors:
        expected = EXPECTED[op]
        forward, backward = compare(ecosystem, a, b), compare(ecosystem, b, a)
        if (forward, backward) != (expected, -expected):
            failures.append(f"{filename}:{number}: {a} {op} {b} (got {forward}, {backward})")
    assert not failures, "\n".join(failures[:50])
