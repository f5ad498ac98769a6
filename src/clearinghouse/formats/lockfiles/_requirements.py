"""pip requirements files (``requirements.txt``), read the way pip reads them.

Lines are joined on a trailing backslash and stripped of comments as pip does; each requirement
is parsed with :class:`packaging.requirements.Requirement`. Only exact pins (``==`` without a
wildcard, or ``===``) name a version; anything else becomes a warning, never a guessed version.
Environment markers are kept (not evaluated) and extras dropped. ``-r`` includes are followed
through ``ParseContext.read_sibling`` with loop detection; ``-c`` constraint files pin
requirements that the requirements themselves leave open.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from clearinghouse.ecosystems import name_key
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._collect import Collector
from clearinghouse.formats.safety import check_size, decode_text

__all__ = ["REQUIREMENTS_TXT", "parse_requirements", "sniff_requirements"]

MAX_INCLUDED_FILES = 100
MAX_REQUIREMENT_CHARS = 16_384
"""A requirement specifier longer than this is refused (packaging's parser is superlinear)."""

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{[A-Z0-9_]+\}")
_ARCHIVE = re.compile(r"\.(whl|zip|tar|tgz|tar\.gz|tbz|tar\.bz2|txz|tar\.xz)$", re.IGNORECASE)
_LOCAL_PATH = re.compile(r"^(?:\.{1,2}(?:[/\\]|$)|[/\\~]|[A-Za-z]:[/\\])\S*$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^(git|hg|svn|bzr)\+", re.IGNORECASE)

_LONG_OPTIONS = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
    "-C": "--config-settings",
}
_TAKES_VALUE = {
    "--requirement",
    "--constraint",
    "--editable",
    "--index-url",
    "--extra-index-url",
    "--find-links",
    "--trusted-host",
    "--no-binary",
    "--only-binary",
    "--use-feature",
    "--hash",
    "--global-option",
    "--install-option",
    "--config-settings",
}
_IGNORED_OPTIONS = _TAKES_VALUE - {"--requirement", "--constraint", "--editable"} | {
    "--no-index",
    "--pre",
    "--prefer-binary",
    "--require-hashes",
}


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line number, text) of each non-empty line, as pip's join_lines sees it."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        starts_with_comment = _COMMENT.match(raw) is not None
        if raw.endswith("\\") and not starts_with_comment:
            if not pending:
                first = number
            pending.append(raw.rstrip("\\"))
            continue
        if pending:
            pending.append(" " + raw if starts_with_comment else raw)
            line, number = "".join(pending), first
            pending = []
        else:
            line = raw
        line = _COMMENT.sub("", line).strip()
        if line:
            yield number, line
    if pending:
        line = _COMMENT.sub("", "".join(pending)).strip()
        if line:
            yield first, line


def _split_arguments(line: str) -> tuple[str, list[str]]:
    """The requirement part (tokens before the first option) and the option tokens."""
    tokens = line.split()
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), tokens[i:]
    return " ".join(tokens), []


def _options(tokens: list[str]) -> Iterator[tuple[str, str | None]]:
    """(long option name, value) pairs; value is None when the option takes none or lacks it."""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.startswith("--"):
            name, eq, value = token.partition("=")
        elif token.startswith("-") and len(token) > 1:
            name, value, eq = _LONG_OPTIONS.get(token[:2], token[:2]), token[2:], ""
            eq = "=" if value else ""
        else:
            yield "", token
            continue
        if name in _TAKES_VALUE and not eq:
            if i < len(tokens):
                value, i = tokens[i], i + 1
            else:
                yield name, None
                continue
        yield name, value if name in _TAKES_VALUE else None


def _pinned_version(specifier: SpecifierSet) -> str | None:
    for spec in specifier:
        if spec.operator == "===" or (spec.operator == "==" and "*" not in spec.version):
            return spec.version
    return None


def _invalid_reason(exc: InvalidRequirement) -> str:
    lines = str(exc).splitlines()
    reason = lines[0] if lines else "not a requirement"
    if len(lines) >= 3 and "^" in lines[2]:
        reason += f" (column {lines[2].index('^') - 3})"
    return reason


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Unpinned:
    where: str
    name: str
    specifier: str


@dataclass
class _Reader:
    ctx: ParseContext
    collector: Collector
    top: str
    done: set[tuple[str, bool]] = field(default_factory=set)
    total_bytes: int = 0
    pinned: dict[str, str] = field(default_factory=dict)
    constraints: dict[str, str] = field(default_factory=dict)
    unpinned: list[_Unpinned] = field(default_factory=list)

    def fail(self, reason: str) -> InputError:
        return InputError(self.ctx.source, reason)

    def where(self, path: str, number: int) -> str:
        return f"line {number}" if path == self.top else f"{path} line {number}"

    def read(self, path: str, data: bytes, stack: tuple[str, ...], constraint: bool) -> None:
        self.total_bytes += len(data)
        check_size(self.ctx.source, self.total_bytes, self.ctx.max_bytes)
        try:
            text = decode_text(self.ctx.source, data)
        except InputError as exc:
            raise self.fail(exc.reason if path == self.top else f"{path} {exc.reason}") from None
        if "\x00" in text:
            what = "is binary" if path == self.top else f"{path} is binary"
            raise self.fail(f"{what}, not a requirements file (NUL byte)")
        for number, line in logical_lines(text):
            where = self.where(path, number)
            variable = _ENV_VAR.search(line)
            if variable:
                self.collector.warn(
                    f"{where}: uses an environment variable ({variable.group()}) that only pip "
                    "can expand; line not read"
                )
                continue
            requirement, options = _split_arguments(line)
            if requirement:
                self.requirement(requirement, where, constraint)
            else:
                self.option_line(options, path, where, stack, constraint)

    def option_line(
        self, tokens: list[str], path: str, where: str, stack: tuple[str, ...], constraint: bool
    ) -> None:
        for name, value in _options(tokens):
            if name in _TAKES_VALUE and value is None:
                raise self.fail(f"{where}: option {name} needs a value")
            if name in ("--requirement", "--constraint"):
                assert value is not None
                self.include(value, path, where, stack, constraint or name == "--constraint")
            elif name == "--editable":
                self.collector.warn(
                    f"{where}: editable requirement '{_shorten(value or '')}' is local or VCS "
                    "code, not a registry release; not matched"
                )
            elif name == "":
                raise self.fail(f"{where}: '{_shorten(value or '')}' is not a pip option")
            elif name not in _IGNORED_OPTIONS:
                self.collector.warn(f"{where}: unknown option {_shorten(name)} ignored")

    def include(
        self, target: str, path: str, where: str, stack: tuple[str, ...], constraint: bool
    ) -> None:
        flag = "-c" if constraint else "-r"
        if _URL.match(target):
            self.collector.warn(
                f"{where}: {flag} {target} is a URL; Clearinghouse does not fetch it"
            )
            return
        included = posixpath.normpath(
            posixpath.join(posixpath.dirname(path), target.replace("\\", "/"))
        )
        if included in stack:
            chain = " -> ".join((*stack, included))
            self.collector.warn(f"{where}: include loop ({chain}); {target} not read again")
            return
        if (included, constraint) in self.done:
            return
        what = "constraints file" if constraint else "included requirements file"
        if self.ctx.read_sibling is None:
            self.collector.warn(
                f"{where}: {what} {target} was not uploaded with this file; not read"
            )
            return
        if len(self.done) >= MAX_INCLUDED_FILES:
            raise self.fail(f"{where}: includes more than {MAX_INCLUDED_FILES} files")
        try:
            data = self.ctx.read_sibling(included)
        except (OSError, ValueError) as exc:
            consequence = (
                "requirements it would pin stay unpinned"
                if constraint
                else "its requirements are missing from this inventory"
            )
            reason = "not found" if isinstance(exc, FileNotFoundError) else f"unreadable ({exc})"
            self.collector.warn(f"{where}: {what} {target} {reason}; {consequence}")
            return
        self.done.add((included, constraint))
        self.read(included, data, (*stack, included), constraint)

    def requirement(self, text: str, where: str, constraint: bool) -> None:
        if len(text) > MAX_REQUIREMENT_CHARS:
            raise self.fail(f"{where}: requirement is {len(text)} characters long")
        if (_ARCHIVE.search(text) and "@" not in text) or _URL.match(text):
            self.collector.warn(
                f"{where}: '{_shorten(text)}' is a URL or local file, not a registry release; "
                "not matched"
            )
            return
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            if _LOCAL_PATH.match(text):
                self.collector.warn(
                    f"{where}: '{_shorten(text)}' is a local path, not a registry release; "
                    "not matched"
                )
                return
            raise self.fail(
                f"{where}: invalid requirement '{_shorten(text)}': {_invalid_reason(exc)}"
            ) from None
        if req.url:
            self.collector.warn(
                f"{where}: {req.name} @ {_shorten(req.url)} is a direct URL reference, "
                "not a registry release; not matched"
            )
            return
        key = name_key("PyPI", req.name)
        version = _pinned_version(req.specifier)
        if constraint:
            if version is not None:
                self.constraints.setdefault(key, version)
            return
        if version is None:
            self.unpinned.append(_Unpinned(where, req.name, str(req.specifier)))
            return
        earlier = self.pinned.setdefault(key, version)
        if earlier != version:
            self.collector.warn(
                f"{where}: {req.name} is pinned to both {earlier} and {version} "
                "(pip refuses conflicting pins); both are listed"
            )
        self.collector.add(req.name, version)

    def resolve_unpinned(self) -> None:
        for item in self.unpinned:
            key = name_key("PyPI", item.name)
            if key in self.pinned:
                continue
            constrained = self.constraints.get(key)
            if constrained is not None:
                self.pinned[key] = constrained
                self.collector.add(item.name, constrained)
                continue
            spec = f" ({item.specifier})" if item.specifier else ""
            self.collector.warn(
                f"{item.where}: {item.name}{spec} is not pinned to one version (==), so it "
                "cannot be matched; pin it or upload a lockfile"
            )


def parse_requirements(data: bytes, ctx: ParseContext) -> Inventory:
    top = posixpath.basename(ctx.source.replace("\\", "/")) or ctx.source
    reader = _Reader(ctx, Collector(ctx.source, "PyPI"), top)
    reader.done.add((top, False))
    reader.read(top, data, (top,), constraint=False)
    reader.resolve_unpinned()
    return reader.collector.inventory("requirements.txt")


_SNIFF_REQUIREMENT = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?\s*"
    r"(?:(?:===?|~=|!=|<=?|>=?)\s*[A-Za-z0-9.*+!_-]+\s*"
    r"(?:,\s*(?:===?|~=|!=|<=?|>=?)\s*[A-Za-z0-9.*+!_-]+\s*)*)?(?:;.*)?$"
)
_SNIFF_DIRECT = re.compile(r"^(?:[A-Za-z0-9._-]+\s*(?:\[[^\]]*\])?\s*@\s*)?\S+://\S+$")


def sniff_requirements(head: bytes) -> bool:
    """Content that only pip would read: every line a requirement or a pip option, and at
    least one exact pin or include."""
    if len(head) >= 65536:
        head = head[: head.rfind(b"\n") + 1]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if "\x00" in text:
        return False
    signal = False
    for _, line in logical_lines(text):
        requirement, options = _split_arguments(line)
        if not requirement:
            name = next(_options(options))[0]
            if name in ("--requirement", "--constraint"):
                signal = True
            elif name not in _IGNORED_OPTIONS and name != "--editable":
                return False
        elif _SNIFF_REQUIREMENT.match(requirement):
            signal = signal or "==" in requirement
        elif not _SNIFF_DIRECT.match(requirement):
            return False
    return signal


REQUIREMENTS_TXT = InventoryFormat(
    name="requirements.txt",
    parse=parse_requirements,
    filenames=("*requirements*.txt",),
    sniff=sniff_requirements,
)
