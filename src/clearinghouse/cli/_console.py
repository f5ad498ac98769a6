"""Shared console helpers: errors on stderr, JSON on stdout, progress bars on stderr."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Any

from rich.console import Console

err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def print_error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)


def print_json(data: Any) -> None:
    import orjson

    try:
        text = orjson.dumps(
            data, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        ).decode()
    except TypeError:  # integers beyond 64 bits (JSONB can hold them): the stdlib copes
        import json

        text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write(text)
    sys.stdout.write("\n")
