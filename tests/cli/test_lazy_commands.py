"""The top-level command table: a command imports only its own module; help lists them all."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

import typer
from typer.testing import CliRunner

from clearinghouse.cli import COMMANDS, app


def test_running_a_command_imports_only_its_own_module() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from clearinghouse.cli import app, COMMANDS\n"
        "result = CliRunner().invoke(app, ['versions', 'compare', 'PyPI', '1.0', '2.0'])\n"
        "assert result.exit_code == 0 and result.stdout == '<\\n', result.output\n"
        "print(sorted({m for m, _, _ in COMMANDS.values()} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['clearinghouse.cli.versions']"


def test_help_lists_every_command_with_its_own_help() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    listed = [line.strip("│ ").split()[0] for line in lines if line.startswith("│ ")]
    assert [name for name in listed if name in COMMANDS] == list(COMMANDS)
    for name, (module, attribute, is_group) in COMMANDS.items():
        target = getattr(import_module(module), attribute)
        if is_group:
            assert isinstance(target, typer.Typer)
            text = target.info.help
        else:
            text = target.__doc__
        assert isinstance(text, str)
        first_line = text.strip().splitlines()[0]
        assert any(name in line and first_line in line for line in lines), name


def test_a_mistyped_command_is_refused_with_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["scna"])
    assert result.exit_code == 2
    assert "Did you mean 'scan'?" in result.output
