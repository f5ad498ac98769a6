"""Go modules: ``go.mod``.

The requirements of the main module after its ``replace`` and ``exclude`` directives, as the go
command applies them:

* ``require`` lines (single and block; ``// indirect`` ones too: since Go 1.17 go.mod lists
  every module the build needs);
* ``replace old [v] => new v`` swaps the requirement for the replacement module (a replace
  naming a version beats one without); ``=> ./local/dir`` means the code is not a published
  module version at all, so the requirement is dropped with a warning (osv-scanner likewise
  reports the directory, which no advisory can match);
* a required version that an ``exclude`` names is dropped with a warning: the go command would
  pick the next higher version, which cannot be known offline;
* the Go standard library becomes the component ``stdlib`` at the toolchain version (the
  ``toolchain`` directive, or ``go`` when higher or alone), spelled like the Go vulnerability
  database spells it (``go 1.22`` -> ``1.22.0``, ``go1.21rc2`` -> ``1.21.0-rc.2``) so stdlib
  advisories match. It is the minimum release the module asks for: the toolchain that built a
  binary may be newer.

``tool``, ``godebug``, ``retract`` and ``ignore`` carry no dependencies. Versions lose the
leading ``v`` (OSV's spelling); the purl puts it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NoReturn

import orjson

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._packages import Packages, listing
from clearinghouse.formats.safety import decode_text

__all__ = ["FORMATS", "parse_go_mod"]

ECOSYSTEM = "Go"

_DIRECTIVES = frozenset(
    {"module", "go", "toolchain", "godebug", "require", "exclude", "replace", "retract", "tool",
     "ignore"}
)  # fmt: skip
_SEMVER = re.compile(
    r"v(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*)(?:\.(?P<patch>0|[1-9]\d*))?)?"
    r"(?P<pre>-[0-9A-Za-z.-]+)?(?P<build>\+[0-9A-Za-z.-]+)?"
)
_GO_RELEASE = re.compile(r"(?P<major>1|[2-9]\d*)(?:\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?)?"
                         r"(?:(?P<kind>rc|beta)(?P<num>\d+))?")  # fmt: skip
_TOOLCHAIN = re.compile(r"go(?P<release>[0-9][0-9a-z.]*)(?:[-+].*)?")


@dataclass(slots=True)
class _Line:
    number: int
    tokens: list[str]
    comment: str


@dataclass(slots=True)
class _Statement:
    verb: str
    args: list[str]
    line: int
    comment: str


@dataclass(slots=True)
class _Module:
    path: str | None = None
    go: str | None = None
    toolchain: str | None = None
    requires: list[tuple[str, str, int]] = field(default_factory=list)
    excludes: set[tuple[str, str]] = field(default_factory=set)
    replaces: dict[tuple[str, str | None], tuple[str, str | None, int]] = field(
        default_factory=dict
    )


def parse_go_mod(data: bytes, ctx: ParseContext) -> Inventory:
    text = decode_text(ctx.source, data)
    module = _Module()
    for statement in _statements(ctx.source, text):
        _apply(ctx.source, module, statement)
    packages = Packages()
    _add_requirements(module, packages)
    stdlib = _stdlib_version(module)
    if stdlib is not None:
        packages.add(ECOSYSTEM, "stdlib", stdlib)
    return packages.inventory("go.mod", name=module.path)


def _add_requirements(module: _Module, packages: Packages) -> None:
    local: list[str] = []
    excluded: list[str] = []
    for path, version, _line in module.requires:
        if (path, version) in module.excludes:
            excluded.append(f"{path}@{version}")
            continue
        target = module.replaces.get((path, version)) or module.replaces.get((path, None))
        if target is None:
            packages.add(ECOSYSTEM, path, version)
            continue
        new_path, new_version, _ = target
        if new_version is None:
            local.append(f"{path}@{version} => {new_path}")
        else:
            packages.add(ECOSYSTEM, new_path, new_version)
    if local:
        packages.warn(
            "modules replaced by a local directory are not published versions and were not "
            f"listed: {listing(local)}"
        )
    if excluded:
        packages.warn(
            "required versions named by an exclude directive were not listed (the go command "
            f"uses the next higher version, unknown offline): {listing(excluded)}"
        )


# --- statements -------------------------------------------------------------------------------


def _statements(source: str, text: str) -> list[_Statement]:
    statements: list[_Statement] = []
    block: str | None = None
    for line in _lines(source, text):
        tokens = line.tokens
        if not tokens:
            continue
        if block is not None:
            if tokens == [")"]:
                block = None
            elif "(" in tokens or ")" in tokens:
                _fail(source, line.number, f"unexpected parenthesis in {block} block")
            else:
                statements.append(_Statement(block, tokens, line.number, line.comment))
            continue
        verb = tokens[0]
        if verb not in _DIRECTIVES:
            _fail(source, line.number, f"unknown directive {verb!r}")
        if tokens[1:] == ["("]:
            block = verb
        elif "(" in tokens or ")" in tokens:
            _fail(source, line.number, f"unexpected parenthesis after {verb}")
        else:
            statements.append(_Statement(verb, tokens[1:], line.number, line.comment))
    if block is not None:
        raise InputError(source, f"{block} block is not closed with ')' before the end of the file")
    return statements


def _lines(source: str, text: str) -> list[_Line]:
    return [_tokenize(source, number, raw) for number, raw in enumerate(text.splitlines(), 1)]


_TOKEN = re.compile(
    r"[ \t\r\f\v]+"
    r"|//(?P<comment>.*)"
    r"|(?P<punct>[()]|=>)"
    r'|(?P<quoted>"(?:[^"\\]|\\.)*")'
    r"|`(?P<raw>[^`]*)`"
    r'|(?P<word>(?:(?!//|=>)[^ \t\r\f\v()"`])+)'
)


def _tokenize(source: str, number: int, raw: str) -> _Line:
    tokens: list[str] = []
    i, end = 0, len(raw)
    while i < end:
        m = _TOKEN.match(raw, i)
        if m is None:
            kind = "raw string" if raw[i] == "`" else "quoted string"
            _fail(source, number, f"{kind} is not closed")
        i = m.end()
        if m["comment"] is not None:
            return _Line(number, tokens, m["comment"].strip())
        if m["quoted"] is not None:
            tokens.append(_unquote(source, number, m["quoted"]))
        elif m["raw"] is not None:
            tokens.append(m["raw"])
        elif m.lastgroup is not None:
            tokens.append(m[0])
    return _Line(number, tokens, "")


def _unquote(source: str, number: int, quoted: str) -> str:
    if "\\" not in quoted:
        return quoted[1:-1]
    try:
        return str(orjson.loads(quoted))
    except orjson.JSONDecodeError:
        _fail(source, number, f"invalid quoted string {quoted}")


def _apply(source: str, module: _Module, st: _Statement) -> None:
    args = st.args
    if st.verb == "module":
        _arity(source, st, 1)
        module.path = args[0]
    elif st.verb == "go":
        _arity(source, st, 1)
        if not _GO_RELEASE.fullmatch(args[0]):
            _fail(source, st.line, f"invalid go version {args[0]!r} (expected e.g. 1.22.1)")
        module.go = args[0]
    elif st.verb == "toolchain":
        _arity(source, st, 1)
        module.toolchain = args[0]
    elif st.verb == "require":
        _arity(source, st, 2)
        module.requires.append((args[0], _version(source, st, args[1]), st.line))
    elif st.verb == "exclude":
        _arity(source, st, 2)
        module.excludes.add((args[0], _version(source, st, args[1])))
    elif st.verb == "replace":
        _replace(source, module, st)


def _replace(source: str, module: _Module, st: _Statement) -> None:
    args = st.args
    if "=>" not in args:
        _fail(source, st.line, "replace needs 'old => new'")
    arrow = args.index("=>")
    old, new = args[:arrow], args[arrow + 1 :]
    if len(old) not in (1, 2) or len(new) not in (1, 2):
        _fail(source, st.line, "replace must be 'module [version] => module version' or '=> dir'")
    old_version = _version(source, st, old[1]) if len(old) == 2 else None
    if len(new) == 2:
        target: tuple[str, str | None, int] = (new[0], _version(source, st, new[1]), st.line)
    elif _is_directory(new[0]):
        target = (new[0], None, st.line)
    else:
        _fail(
            source,
            st.line,
            f"replacement {new[0]!r} has no version and is not a directory path "
            "(rooted or starting with ./ or ../)",
        )
    key = (old[0], old_version)
    previous = module.replaces.get(key)
    if previous is not None and previous[:2] != target[:2]:
        _fail(source, st.line, f"conflicting replacements for {old[0]} (see line {previous[2]})")
    module.replaces[key] = target


def _is_directory(path: str) -> bool:
    return (
        path.startswith(("./", "../", "/", ".\\", "..\\", "\\"))
        or path in (".", "..")
        or re.match(r"[A-Za-z]:[\\/]", path) is not None
    )


def _version(source: str, st: _Statement, raw: str) -> str:
    """The canonical semantic version without its ``v`` (``v1.2`` -> ``1.2.0``)."""
    m = _SEMVER.fullmatch(raw)
    if m is None:
        _fail(source, st.line, f"version {raw!r} must be of the form v1.2.3")
    version = f"{m['major']}.{m['minor'] or 0}.{m['patch'] or 0}{m['pre'] or ''}"
    return version + "+incompatible" if m["build"] == "+incompatible" else version


def _arity(source: str, st: _Statement, count: int) -> None:
    if len(st.args) != count:
        usage = {"module": "module path", "go": "go version", "toolchain": "toolchain name"}
        expected = usage.get(st.verb, "module path and version")
        _fail(
            source, st.line, f"{st.verb} expects {expected}, got {' '.join(st.args) or 'nothing'}"
        )


def _fail(source: str, line: int, reason: str) -> NoReturn:
    raise InputError(source, f"line {line}: {reason}")


# --- the Go standard library ----------------------------------------------------------------


def _stdlib_version(module: _Module) -> str | None:
    candidates = [v for v in (_go_semver(module.go), _toolchain_semver(module.toolchain)) if v]
    if not candidates:
        return None
    return max(candidates, key=lambda v: v[0])[1]


def _toolchain_semver(name: str | None) -> tuple[tuple[int, ...], str] | None:
    if name is None:
        return None
    m = _TOOLCHAIN.fullmatch(name)
    return _go_semver(m["release"]) if m else None


def _go_semver(release: str | None) -> tuple[tuple[int, ...], str] | None:
    """``1.21rc2`` -> ``1.21.0-rc.2`` with a sort key (the Go vulnerability database's form)."""
    if release is None:
        return None
    m = _GO_RELEASE.fullmatch(release)
    if m is None:
        return None
    major, minor, patch = int(m["major"]), int(m["minor"] or 0), int(m["patch"] or 0)
    version = f"{major}.{minor}.{patch}"
    stage, number = 2, 0
    if m["kind"]:
        stage, number = (0 if m["kind"] == "beta" else 1), int(m["num"])
        version += f"-{m['kind']}.{number}"
    return (major, minor, patch, stage, number), version


def _sniff(head: bytes) -> bool:
    """A ``module`` line with a ``go``/``require`` directive, or a require block of v-versions."""
    if re.search(rb"(?m)^module\s+\S+", head) and re.search(rb"(?m)^(go\s+1\.|require\s)", head):
        return True
    return re.search(rb"(?m)^require\s*\(\s*\n\s*\S+\s+v\d+\.\d+", head) is not None


FORMATS = (InventoryFormat(name="go.mod", parse=parse_go_mod, filenames=("go.mod",), sniff=_sniff),)
