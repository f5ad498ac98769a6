"""yarn.lock: the classic v1 format (yarn's own syntax, parsed here) and berry (YAML).

A v1 entry is a header of comma-separated ``name@range`` descriptors ending in ``:`` followed by
two-space indented ``key value`` properties; berry entries carry a ``resolution`` that names the
real package (``alias@npm:real@^1`` resolves to ``real@npm:1.2.3``). Neither format records which
packages are development-only, so every component is a production component.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

import orjson

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, ParseContext
from clearinghouse.formats.lockfiles._collect import Collector, Shape
from clearinghouse.formats.lockfiles._npm_names import (
    is_git,
    is_local,
    is_package_name,
    is_version,
    split_descriptor,
)
from clearinghouse.formats.safety import decode_text, loads_yaml

__all__ = ["parse_yarn_lock", "sniff_yarn_lock"]

_BERRY = re.compile(r"^__metadata:", re.MULTILINE)
_BERRY_HEAD = re.compile(rb"^__metadata:", re.MULTILINE)
_HEADER_PART = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[^,"\s][^,"]*?)\s*(?:,|$)')


@dataclass
class _Entry:
    line: int
    descriptors: list[str]
    properties: dict[str, str] = field(default_factory=dict)


def _unquote(token: str, source: str, line: int) -> str:
    if not token.startswith('"'):
        return token
    try:
        value = orjson.loads(token)
    except orjson.JSONDecodeError:
        raise InputError(source, f"line {line}: malformed quoted string {token[:60]}") from None
    if not isinstance(value, str):
        raise InputError(source, f"line {line}: malformed quoted string {token[:60]}")
    return value


def _header(text: str, source: str, line: int) -> list[str]:
    descriptors: list[str] = []
    pos = 0
    while pos < len(text):
        part = _HEADER_PART.match(text, pos)
        if part is None or part.end() == pos:
            raise InputError(source, f"line {line}: malformed entry header {text[:80]!r}")
        descriptors.append(_unquote(part[1], source, line))
        pos = part.end()
    if not descriptors:
        raise InputError(source, f"line {line}: empty entry header")
    return descriptors


def _property(text: str, source: str, line: int) -> tuple[str, str]:
    if text.startswith('"'):
        end = re.match(r'"(?:[^"\\]|\\.)*"', text)
        if end is None:
            raise InputError(source, f"line {line}: unterminated quoted key")
        key_token, rest = end.group(), text[end.end() :]
    else:
        key_token, _, rest = text.partition(" ")
    return _unquote(key_token, source, line), _unquote(rest.strip(), source, line)


def _v1_entries(text: str, source: str) -> Iterator[_Entry]:
    current: _Entry | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if raw[indent : indent + 1] == "\t" or indent % 2:
            raise InputError(source, f"line {number}: unexpected indentation")
        if indent == 0:
            if not stripped.endswith(":"):
                raise InputError(
                    source,
                    f"line {number}: expected an entry header ending in ':', got {stripped[:80]!r}",
                )
            if current is not None:
                yield current
            current = _Entry(number, _header(stripped[:-1], source, number))
        elif current is None:
            raise InputError(source, f"line {number}: indented line before the first entry")
        elif indent == 2 and not stripped.endswith(":"):
            key, value = _property(stripped, source, number)
            current.properties[key] = value
    if current is not None:
        yield current


def _parse_v1(text: str, out: Collector) -> None:
    for entry in _v1_entries(text, out.source):
        where = f"line {entry.line}"
        parsed = split_descriptor(entry.descriptors[0])
        if parsed is None:
            raise InputError(
                out.source, f"{where}: '{entry.descriptors[0][:80]}' is not a name@range descriptor"
            )
        name, spec = parsed
        if spec.startswith("npm:"):
            real = split_descriptor(spec[4:])
            if real is not None:
                name, spec = real
            elif is_package_name(spec[4:]):
                name = spec[4:]
        if not is_package_name(name):
            raise InputError(out.source, f"{where}: '{name[:80]}' is not an npm package name")
        version = entry.properties.get("version")
        resolved = entry.properties.get("resolved", "")
        if is_local(spec) or resolved.startswith("file:"):
            out.warn(
                f"{where}: {name} is a local package ({spec}), not a registry release; skipped"
            )
            continue
        if version is None or not is_version(version):
            out.warn(f"{where}: {name} records no registry version; skipped")
            continue
        if is_git(spec) or is_git(resolved):
            out.warn(f"{where}: {name} {version} installed from git; matched as {version}")
        elif "://" in spec:
            out.warn(f"{where}: {name} {version} installed from {spec}; matched as {version}")
        out.add(name, version)


def _parse_berry(data: bytes, out: Collector) -> str:
    shape = Shape(out.source, "a mapping", "a list")
    doc = shape.mapping(loads_yaml(out.source, data), "the document")
    metadata = shape.mapping(doc.get("__metadata"), "__metadata")
    for key, value in doc.items():
        if key == "__metadata":
            continue
        where = f'"{key}"'
        if not isinstance(key, str):
            shape.fail(f"entry {key!r}", "is not a package descriptor")
        entry = shape.mapping(value, where)
        resolution = shape.optional_string(entry, "resolution", where) or key.split(",")[0]
        version = shape.optional_string(entry, "version", where)
        parsed = split_descriptor(resolution.strip())
        if parsed is None:
            shape.fail(f"{where}.resolution", f"'{resolution[:80]}' is not a name@reference")
        name, reference = parsed
        if reference.startswith("workspace:") or version == "0.0.0-use.local":
            continue
        if reference.startswith("patch:"):
            inner = split_descriptor(unquote(reference[6:].split("#", 1)[0]))
            name, reference = inner if inner else (name, reference)
        if not is_package_name(name):
            shape.fail(f"{where}.resolution", f"'{name[:80]}' is not an npm package name")
        if is_local(reference):
            out.warn(
                f"{where}: {name} is a local package ({reference}), not a registry release; skipped"
            )
            continue
        if version is None or not is_version(version):
            out.warn(f"{where}: {name} records no registry version; skipped")
            continue
        if not reference.startswith("npm:"):
            out.warn(f"{where}: {name} {version} installed from {reference}; matched as {version}")
        out.add(name, version)
    return str(metadata.get("version", "?"))


def parse_yarn_lock(data: bytes, ctx: ParseContext) -> Inventory:
    text = decode_text(ctx.source, data)
    out = Collector(ctx.source, "npm")
    if _BERRY.search(text):
        version = _parse_berry(data, out)
        return out.inventory(f"yarn.lock berry (__metadata version {version})")
    if "\x00" in text:
        raise InputError(ctx.source, "is binary, not a yarn.lock (NUL byte)")
    _parse_v1(text, out)
    return out.inventory("yarn.lock v1")


def sniff_yarn_lock(head: bytes) -> bool:
    return b"# yarn lockfile v1" in head[:512] or _BERRY_HEAD.search(head) is not None
