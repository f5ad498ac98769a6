"""Exchange formats: one module per format, pure (bytes in, typed objects out; no I/O)."""

from clearinghouse.formats.errors import InputError, InputTooLarge, UnknownFormat

__all__ = ["InputError", "InputTooLarge", "UnknownFormat"]
