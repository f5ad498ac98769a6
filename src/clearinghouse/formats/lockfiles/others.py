"""Lockfiles of the smaller ecosystems: Hex, Pub, CRAN/Bioconductor, NuGet and ConanCenter.

* **mix.lock** (Elixir, Hex) is an Elixir map literal, read by a small parser of Elixir's term
  syntax (never evaluated). ``{:hex, :name, "version", ..., "repo", ...}`` entries are Hex
  packages (the name is the atom: the map key is the app's alias for it); entries from a
  repository other than ``hexpm`` (a private organisation) and ``{:git, ...}`` entries have no
  public Hex release to match and are left out with a warning.
* **pubspec.lock** (Dart): ``hosted`` and ``git`` packages (a git package's version is its
  pubspec version); ``path`` and ``sdk`` packages are not published releases and are left out
  with a warning. ``dependency: "direct dev"`` marks development-only packages.
* **renv.lock** (R): ``Source: Repository`` packages are CRAN packages, unless their repository
  URL is Bioconductor's; ``Source: Bioconductor`` packages are in the OSV ecosystem
  ``Bioconductor``; packages installed from GitHub, GitLab, git, a URL or a local path are not
  repository releases and are left out with a warning.
* **packages.lock.json** (NuGet): the packages of every target framework, each once; ``Project``
  entries are other projects of the same solution and are left out with a warning.
* **conan.lock** (ConanCenter): format 0.5 (Conan 2: ``requires``, ``build_requires``,
  ``python_requires``, ``config_requires``) and the ``graph_lock`` formats 0.1-0.4 of Conan 1
  (``ref`` or ``pref`` per node; the node with a ``path`` is the consumer project itself).
  References read ``name/version[@user[/channel]][#revision][:package_id[#revision]][%time]``.
  Build, Python and config requirements are tools used to build, not shipped: they are marked
  development-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NoReturn

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._packages import Checked, Packages, listing
from clearinghouse.formats.safety import decode_text, loads_json, loads_yaml

__all__ = [
    "FORMATS",
    "parse_conan_lock",
    "parse_mix_lock",
    "parse_packages_lock_json",
    "parse_pubspec_lock",
    "parse_renv_lock",
]


# --- Hex: mix.lock ----------------------------------------------------------------------------

MAX_TERM_DEPTH = 128


class Atom(str):
    """An Elixir atom (``:hex``), kept apart from strings."""

    __slots__ = ()


_BLANK = re.compile(r"[ \t\r\n]*(?:#[^\n]*[ \t\r\n]*)*")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ATOM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_@]*[?!]?")
_NUMBER = re.compile(r"-?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][-+]?\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "s": " ", "e": "\x1b", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v", "d": "\x7f"}  # fmt: skip


class _TermReader:
    """Recursive-descent reader for the literal subset of Elixir that mix.lock uses."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, reason: str, pos: int | None = None) -> NoReturn:
        at = self.pos if pos is None else pos
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        raise InputError(self.source, f"line {line}, column {column}: {reason}")

    def skip(self) -> None:
        blank = _BLANK.match(self.text, self.pos)
        if blank is not None:
            self.pos = blank.end()

    def peek(self, literal: str) -> bool:
        self.skip()
        return self.text.startswith(literal, self.pos)

    def expect(self, literal: str) -> None:
        if not self.peek(literal):
            found = self.text[self.pos : self.pos + 10] or "the end of the file"
            self.fail(f"expected {literal!r}, found {found!r}")
        self.pos += len(literal)

    def document(self) -> Any:
        value = self.value()
        self.skip()
        if self.pos != len(self.text):
            self.fail("unexpected text after the lock map")
        return value

    def value(self) -> Any:
        self.skip()
        self.depth += 1
        if self.depth > MAX_TERM_DEPTH:
            self.fail(f"terms nested deeper than {MAX_TERM_DEPTH} levels")
        try:
            return self._value()
        finally:
            self.depth -= 1

    def _value(self) -> Any:
        text, pos = self.text, self.pos
        if text.startswith("%{", pos):
            self.pos += 2
            return dict(self._items("}", self._pair))
        if text.startswith("{", pos):
            self.pos += 1
            return tuple(self._items("}", self.value))
        if text.startswith("[", pos):
            self.pos += 1
            return list(self._items("]", self._list_item))
        if text.startswith('"', pos):
            return self._string()
        if text.startswith(':"', pos):
            self.pos += 1
            return Atom(self._string())
        if text.startswith(":", pos):
            m = _ATOM_NAME.match(text, pos + 1)
            if m is None:
                self.fail("invalid atom")
            self.pos = m.end()
            return Atom(m[0])
        m = _NUMBER.match(text, pos)
        if m is not None:
            self.pos = m.end()
            number = m[0].replace("_", "")
            return float(number) if "." in number or "e" in number.lower() else int(number)
        m = _ATOM_NAME.match(text, pos)
        if m is not None and m[0] in ("true", "false", "nil"):
            self.pos = m.end()
            return {"true": True, "false": False, "nil": None}[m[0]]
        if pos >= len(text):
            self.fail("the term ends too early")
        self.fail(f"unexpected {text[pos]!r}")

    def _items(self, close: str, item: Any) -> list[Any]:
        items: list[Any] = []
        while not self.peek(close):
            items.append(item())
            if not self.peek(","):
                break
            self.expect(",")
        self.expect(close)
        return items

    def _keyword(self) -> str | None:
        """A ``key:`` or ``"key":`` keyword key at the current position, consumed."""
        self.skip()
        text, pos = self.text, self.pos
        if text.startswith('"', pos):
            key = self._string()
            if text.startswith(":", self.pos) and not text.startswith("::", self.pos):
                self.pos += 1
                return key
            self.pos = pos
            return None
        m = _ATOM_NAME.match(text, pos)
        if m is not None and text.startswith(":", m.end()) and not text.startswith("::", m.end()):
            self.pos = m.end() + 1
            return m[0]
        return None

    def _pair(self) -> tuple[Any, Any]:
        key = self._keyword()
        if key is not None:
            return key, self.value()
        start = self.pos
        key = self.value()
        self.expect("=>")
        try:
            hash(key)
        except TypeError:
            self.fail("a map key must be a string, atom, number or tuple of those", start)
        return key, self.value()

    def _list_item(self) -> Any:
        key = self._keyword()
        return (Atom(key), self.value()) if key is not None else self.value()

    def _string(self) -> str:
        text, start = self.text, self.pos
        i = start + 1
        while True:
            close = text.find('"', i)
            if close < 0:
                self.fail("string is not closed", start)
            escapes = close - len(text[i:close].rstrip("\\")) - i
            if escapes % 2 == 0:
                break
            i = close + 1
        body = text[start + 1 : close]
        if "#{" in body:
            self.fail("string interpolation is not allowed in a lockfile", start)
        self.pos = close + 1
        return _ESCAPE.sub(lambda e: _ESCAPES.get(e[1], e[1]), body) if "\\" in body else body


def parse_mix_lock(data: bytes, ctx: ParseContext) -> Inventory:
    text = decode_text(ctx.source, data)
    if not text.lstrip().startswith("%{"):
        raise InputError(ctx.source, "is not a mix.lock: it does not start with a map '%{'")
    lock = _TermReader(ctx.source, text).document()
    packages = Packages()
    skipped: list[str] = []
    for key, entry in lock.items():
        where = f"entry {key!r}"
        if not isinstance(entry, tuple) or not entry or not isinstance(entry[0], Atom):
            raise InputError(ctx.source, f"{where} is not a tuple starting with an atom")
        if entry[0] != "hex":
            skipped.append(f"{key} ({entry[0]})")
            continue
        if len(entry) < 3 or not isinstance(entry[1], Atom) or not isinstance(entry[2], str):
            raise InputError(
                ctx.source,
                f'{where} must be {{:hex, :name, "version", ...}}, '
                f"got a {len(entry)}-element tuple",
            )
        repo = entry[6] if len(entry) > 6 else "hexpm"
        if repo != "hexpm":
            skipped.append(f"{entry[1]} {entry[2]} (repository {repo})")
            continue
        packages.add("Hex", str(entry[1]), entry[2])
    if skipped:
        packages.warn(
            "dependencies that are not public Hex packages (git, private repositories) have no "
            f"release to match and were not listed: {listing(skipped)}"
        )
    return packages.inventory("mix.lock")


# --- Pub: pubspec.lock ------------------------------------------------------------------------


def parse_pubspec_lock(data: bytes, ctx: ParseContext) -> Inventory:
    check = Checked(ctx.source, "a mapping", "a list")
    doc = loads_yaml(ctx.source, data)
    doc = check.mapping({} if doc is None else doc, "the document")
    packages = Packages()
    local: list[str] = []
    for name, raw in check.optional_mapping(doc, "packages", "").items():
        where = f"packages.{name}"
        entry = check.mapping(raw, where)
        source = check.required_string(entry, "source", where)
        version = _yaml_string(check, entry, "version", where)
        dependency = check.optional_string(entry, "dependency", where) or ""
        if source in ("hosted", "git"):
            packages.add("Pub", str(name), version, dev=dependency == "direct dev")
        else:
            local.append(f"{name} ({source})")
    if local:
        packages.warn(
            "path and SDK packages are not published releases and were not listed: "
            f"{listing(local)}"
        )
    return packages.inventory("pubspec.lock")


def _yaml_string(check: Checked, entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return check.required_string(entry, key, where)


# --- CRAN and Bioconductor: renv.lock ---------------------------------------------------------


def parse_renv_lock(data: bytes, ctx: ParseContext) -> Inventory:
    check = Checked(ctx.source)
    doc = check.mapping(loads_json(ctx.source, data), "the document")
    if "Packages" not in doc:
        check.fail("the document", "has no 'Packages': not a renv.lock")
    r = check.optional_mapping(doc, "R", "")
    repositories: dict[str, str] = {}
    for i, raw in enumerate(check.optional_sequence(r, "Repositories", "R")):
        repo = check.mapping(raw, f"R.Repositories[{i}]")
        repositories[check.required_string(repo, "Name", f"R.Repositories[{i}]")] = (
            check.optional_string(repo, "URL", f"R.Repositories[{i}]") or ""
        )
    packages = Packages()
    other: list[str] = []
    for key, raw in check.optional_mapping(doc, "Packages", "").items():
        where = f"Packages.{key}"
        entry = check.mapping(raw, where)
        name = check.optional_string(entry, "Package", where) or key
        version = check.required_string(entry, "Version", where)
        source = check.optional_string(entry, "Source", where) or ""
        ecosystem = _r_ecosystem(check, entry, where, source, repositories)
        if ecosystem is None:
            other.append(f"{name} {version} ({source or 'no Source'})")
        else:
            packages.add(ecosystem, name, version)
    if other:
        packages.warn(
            "packages installed from GitHub, git, a URL or a local path are not repository "
            f"releases and were not listed: {listing(other)}"
        )
    return packages.inventory("renv.lock")


def _r_ecosystem(
    check: Checked, entry: dict[str, Any], where: str, source: str, repos: dict[str, str]
) -> str | None:
    if source == "Bioconductor":
        return "Bioconductor"
    if source not in ("Repository", "CRAN"):
        return None
    repository = check.optional_string(entry, "Repository", where) or ""
    url = repos.get(repository, repository)
    return "Bioconductor" if "bioconductor" in url.lower() else "CRAN"


# --- NuGet: packages.lock.json ----------------------------------------------------------------


def parse_packages_lock_json(data: bytes, ctx: ParseContext) -> Inventory:
    check = Checked(ctx.source)
    doc = check.mapping(loads_json(ctx.source, data), "the document")
    if "dependencies" not in doc:
        check.fail("the document", "has no 'dependencies': not a NuGet packages.lock.json")
    packages = Packages()
    projects: list[str] = []
    for framework, raw in check.optional_mapping(doc, "dependencies", "").items():
        where = f"dependencies.{framework}"
        for name, entry_raw in check.mapping(raw, where).items():
            entry_where = f"{where}.{name}"
            entry = check.mapping(entry_raw, entry_where)
            if check.optional_string(entry, "type", entry_where) == "Project":
                projects.append(name)
                continue
            version = check.required_string(entry, "resolved", entry_where)
            packages.add("NuGet", name, version)
    if projects:
        packages.warn(
            "project references (other projects of the solution) are not NuGet packages and "
            f"were not listed: {listing(sorted(set(projects)))}"
        )
    return packages.inventory("packages.lock.json")


# --- ConanCenter: conan.lock ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConanReference:
    name: str
    version: str
    user: str | None = None
    channel: str | None = None


def parse_conan_reference(ref: str) -> ConanReference | None:
    """``name/version[@user[/channel]][#rrev][:pkgid[#prev]][%timestamp]``; None without a name."""
    ref = ref.split("%", 1)[0].split(":", 1)[0].split("#", 1)[0]
    user = channel = None
    if "@" in ref:
        ref, _, user_channel = ref.partition("@")
        user, _, channel_part = user_channel.partition("/")
        channel = channel_part or None
    name, slash, version = ref.partition("/")
    if not slash or not name or not version:
        return None
    return ConanReference(name, version, user or None, channel)


def parse_conan_lock(data: bytes, ctx: ParseContext) -> Inventory:
    check = Checked(ctx.source)
    doc = check.mapping(loads_json(ctx.source, data), "the document")
    packages = Packages()
    if "graph_lock" in doc:
        _conan_graph_lock(check, doc, packages)
    elif any(k in doc for k in ("requires", "build_requires", "python_requires")):
        for key in ("requires", "build_requires", "python_requires", "config_requires"):
            for i, raw in enumerate(check.optional_sequence(doc, key, "")):
                _add_conan(packages, check.string(raw, f"{key}[{i}]"), dev=key != "requires")
    else:
        check.fail("the document", "has neither 'graph_lock' nor 'requires': not a conan.lock")
    return packages.inventory("conan.lock")


def _conan_graph_lock(check: Checked, doc: dict[str, Any], packages: Packages) -> None:
    graph = check.mapping(doc["graph_lock"], "graph_lock")
    for node_id, raw in check.optional_mapping(graph, "nodes", "graph_lock").items():
        where = f"graph_lock.nodes.{node_id}"
        node = check.mapping(raw, where)
        if check.optional_string(node, "path", where):
            continue
        ref = check.optional_string(node, "ref", where) or check.optional_string(
            node, "pref", where
        )
        if ref:
            context = check.optional_string(node, "context", where)
            _add_conan(packages, ref, dev=context == "build")


def _add_conan(packages: Packages, ref: str, *, dev: bool) -> None:
    parsed = parse_conan_reference(ref)
    if parsed is not None:
        packages.add("ConanCenter", parsed.name, parsed.version, dev=dev)


# --- detection --------------------------------------------------------------------------------


def _sniff_mix(head: bytes) -> bool:
    return head.lstrip().startswith(b"%{") and (b"{:hex," in head or b"{:git," in head)


def _sniff_pubspec(head: bytes) -> bool:
    return b"packages:" in head and (
        b"# Generated by pub" in head
        or re.search(rb"\n    source: (hosted|git|sdk|path)", head) is not None
    )


def _sniff_renv(head: bytes) -> bool:
    return b'"Packages"' in head and b'"R"' in head and b'"Version"' in head


def _sniff_nuget(head: bytes) -> bool:
    return b'"dependencies"' in head and b'"resolved"' in head and b'"contentHash"' in head


def _sniff_conan(head: bytes) -> bool:
    return b'"graph_lock"' in head or (
        re.search(rb'"version"\s*:\s*"0\.[0-9]"', head) is not None and b'"requires"' in head
    )


FORMATS = (
    InventoryFormat("mix.lock", parse_mix_lock, ("mix.lock",), _sniff_mix),
    InventoryFormat("pubspec.lock", parse_pubspec_lock, ("pubspec.lock",), _sniff_pubspec),
    InventoryFormat("renv.lock", parse_renv_lock, ("renv.lock",), _sniff_renv),
    InventoryFormat(
        "packages.lock.json", parse_packages_lock_json, ("packages.lock.json",), _sniff_nuget
    ),
    InventoryFormat("conan.lock", parse_conan_lock, ("conan.lock",), _sniff_conan),
)
