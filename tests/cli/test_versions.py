"""``clearinghouse versions``: the command-line face of the version orderings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("ecosystem", "a", "b", "expected"),
    [
        ("PyPI", "1.0", "1.0.0", "="),
        ("npm", "1.0.0-rc.1", "1.0.0", "<"),
        ("Debian:12", "1:1.0", "2.0", ">"),
        ("AlmaLinux:9", "1.0-1.el9", "1.0-1.el9_1", "<"),
        ("Maven", "1.0-SNAPSHOT", "1.0", "<"),
    ],
)
def test_compare_prints_the_relation(ecosystem: str, a: str, b: str, expected: str) -> None:
    result = runner.invoke(app, ["versions", "compare", ecosystem, a, b])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{expected}\n"


def test_compare_accepts_versions_that_look_like_options() -> None:
    result = runner.invoke(app, ["versions", "compare", "npm", "--", "-1", "2.0.0"])
    assert result.exit_code == 0
    assert result.stdout.strip() in {"<", "=", ">"}


def test_unknown_ecosystem_exits_2_with_a_message() -> None:
    result = runner.invoke(app, ["versions", "compare", "Nowhere", "1", "2"])
    assert result.exit_code == 2
    assert "unknown ecosystem 'Nowhere'" in result.stderr
    assert result.stdout == ""


def test_ecosystem_without_order_exits_2() -> None:
    result = runner.invoke(app, ["versions", "compare", "OSS-Fuzz", "1", "2"])
    assert result.exit_code == 2
    assert "no version ordering" in result.stderr


def test_sort_prints_ascending_versions() -> None:
    result = runner.invoke(app, ["versions", "sort", "RubyGems", "1.0", "1.0.rc1", "0.9", "1.0.1"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["0.9", "1.0.rc1", "1.0", "1.0.1"]
