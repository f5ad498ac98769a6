"""The one error every parser raises for input it will not accept."""

from __future__ import annotations


class InputError(ValueError):
    """Input was rejected: malformed, oversized, hostile or of an unknown format.

    ``source`` names the file or upload; ``reason`` says precisely what is wrong, in words a
    user can act on. Adapters turn it into exit code 2 (CLI) or a 4xx response (API):
    ``status`` is the HTTP status the API should answer with.
    """

    def __init__(self, source: str, reason: str, *, status: int = 422) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.status = status


class InputTooLarge(InputError):
    """The input is larger than the configured limit (HTTP 413)."""

    def __init__(self, source: str, size: int, limit: int) -> None:
        super().__init__(
            source,
            f"{_human(size)} is larger than the {_human(limit)} limit "
            "(CLEARINGHOUSE_MAX_INPUT_BYTES)",
            status=413,
        )
        self.size = size
        self.limit = limit


class UnknownFormat(InputError):
    """No parser recognises the input (HTTP 415)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason, status=415)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"
