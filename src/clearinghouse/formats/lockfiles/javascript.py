"""JavaScript lockfiles: package-lock.json (and npm-shrinkwrap.json), yarn.lock, pnpm, bun.

Every component is ``component("npm", name, version, dev=...)``; aliases (``npm:real@1.2.3``)
resolve to the real package. The project itself, workspaces, ``link:`` and ``file:`` packages
are local code and are skipped (links and files with a warning); git and tarball packages that
record their declared version are kept with a warning, those without a version are skipped.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._collect import Collector, Shape, dev_only
from clearinghouse.formats.lockfiles._npm_names import (
    is_git,
    is_local,
    is_package_name,
    is_version,
    split_descriptor,
)
from clearinghouse.formats.lockfiles._pnpm import parse_pnpm_lock, sniff_pnpm_lock
from clearinghouse.formats.lockfiles._yarn import parse_yarn_lock, sniff_yarn_lock
from clearinghouse.formats.safety import decode_text, loads_json

__all__ = ["FORMATS"]

_NODE_MODULES = "node_modules/"

# --- package-lock.json / npm-shrinkwrap.json --------------------------------------------------


def _read_packages(shape: Shape, packages: dict[str, Any], out: Collector) -> None:
    """lockfileVersion 2 and 3: ``packages`` keyed by install path."""
    link_targets: set[str] = set()
    folders: list[str] = []
    for path, value in packages.items():
        where = f'packages["{path}"]'
        entry = shape.mapping(value, where)
        if path == "":
            continue
        resolved = shape.optional_string(entry, "resolved", where) or ""
        if shape.flag(entry, "link", where):
            link_targets.add(resolved)
            out.warn(f"{where}: links to local folder {resolved}, not a registry package; skipped")
            continue
        cut = path.rfind(_NODE_MODULES)
        if cut < 0:
            folders.append(path)
            continue
        name = shape.optional_string(entry, "name", where) or path[cut + len(_NODE_MODULES) :]
        if not is_package_name(name):
            shape.fail(where, f"does not end in a package name ('{name[:80]}')")
        version = shape.optional_string(entry, "version", where)
        if resolved.startswith("file:"):
            out.warn(
                f"{where}: {name} is a local file ({resolved}), not a registry package; skipped"
            )
            continue
        if version is None or not is_version(version):
            out.warn(f"{where}: {name} records no registry version; skipped")
            continue
        if is_git(resolved):
            out.warn(
                f"{where}: {name} {version} installed from git ({resolved}); matched as {version}"
            )
        out.add(name, version, dev=shape.flag(entry, "dev", where))
    for path in folders:
        if path not in link_targets:
            out.warn(f'packages["{path}"]: local package folder, not a registry package; skipped')


def _read_dependencies(shape: Shape, dependencies: dict[str, Any], out: Collector) -> None:
    """lockfileVersion 1: nested ``dependencies`` keyed by package name."""
    queue: list[tuple[dict[str, Any], str]] = [(dependencies, "dependencies")]
    for deps, parent in queue:
        for key, value in deps.items():
            where = f'{parent}["{key}"]'
            entry = shape.mapping(value, where)
            nested = shape.optional_mapping(entry, "dependencies", where)
            if nested:
                queue.append((nested, f"{where}.dependencies"))
            version = shape.optional_string(entry, "version", where)
            name = key
            if version is not None and version.startswith("npm:"):
                real = split_descriptor(version[4:])
                if real is None:
                    shape.fail(f"{where}.version", f"alias '{version[:80]}' names no version")
                name, version = real
            if not is_package_name(name):
                shape.fail(where, f"'{name[:80]}' is not an npm package name")
            if version is not None and is_local(version):
                out.warn(f"{where}: {name} is a local package ({version}); skipped")
                continue
            if version is None or not is_version(version):
                what = f"({version[:80]})" if version else ""
                out.warn(
                    f"{where}: {name} records no registry version {what}; skipped".replace(
                        " ;", ";"
                    )
                )
                continue
            out.add(name, version, dev=shape.flag(entry, "dev", where))


def parse_package_lock(data: bytes, ctx: ParseContext) -> Inventory:
    shape = Shape(ctx.source)
    doc = shape.mapping(loads_json(ctx.source, data), "the document")
    version = doc.get("lockfileVersion")
    if version is None and "packages" not in doc and "dependencies" not in doc:
        raise InputError(ctx.source, "is not a package-lock.json: it has no lockfileVersion")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        shape.fail("lockfileVersion", "must be an integer")
    out = Collector(ctx.source, "npm")
    if isinstance(version, int) and version > 3:
        out.warn(f"lockfileVersion {version} is newer than Clearinghouse knows; read as 3")
    if "packages" in doc:
        _read_packages(shape, shape.mapping(doc["packages"], "packages"), out)
    else:
        _read_dependencies(shape, shape.optional_mapping(doc, "dependencies", ""), out)
    base = posixpath.basename(ctx.source.replace("\\", "/"))
    name = "npm-shrinkwrap.json" if base.lower() == "npm-shrinkwrap.json" else "package-lock.json"
    return out.inventory(f"{name} v{version}" if version is not None else name)


# --- bun.lock ---------------------------------------------------------------------------------

_JSONC_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_JSONC_TRAILING_COMMA = re.compile(r'"(?:[^"\\\n]|\\.)*"|,(\s*[}\]])')


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas -> JSON; strings are never touched."""

    def comment(match: re.Match[str]) -> str:
        token = match.group()
        return token if token.startswith('"') else " "

    def comma(match: re.Match[str]) -> str:
        return match.group(1) if match.group(1) is not None else match.group()

    return _JSONC_TRAILING_COMMA.sub(comma, _JSONC_COMMENTS.sub(comment, text))


def _bun_path_prefixes(key: str) -> list[str]:
    """``a/@s/b/c`` -> [``a/@s/b/c``, ``a/@s/b``, ``a``]: where nested packages are looked up."""
    parts = key.split("/")
    segments: list[str] = []
    i = 0
    while i < len(parts):
        width = 2 if parts[i].startswith("@") and i + 1 < len(parts) else 1
        segments.append("/".join(parts[i : i + width]))
        i += width
    return ["/".join(segments[:n]) for n in range(len(segments), 0, -1)]


class _Bun:
    _PROD = ("dependencies", "optionalDependencies", "peerDependencies")

    def __init__(self, shape: Shape, packages: dict[str, Any]) -> None:
        self.shape = shape
        self.entries: dict[str, tuple[str, str, dict[str, Any]]] = {}
        for key, value in packages.items():
            where = f'packages["{key}"]'
            tup = shape.sequence(value, where)
            if not tup:
                shape.fail(where, "is an empty array")
            ident = shape.string(tup[0], f"{where}[0]")
            parsed = split_descriptor(ident)
            if parsed is None or not is_package_name(parsed[0]):
                shape.fail(f"{where}[0]", f"'{ident[:80]}' is not name@version")
            info = next((v for v in tup[1:3] if isinstance(v, dict)), {})
            self.entries[key] = (parsed[0], parsed[1], info)

    def resolve(self, parent: str, name: str) -> str | None:
        for prefix in _bun_path_prefixes(parent) if parent else []:
            if f"{prefix}/{name}" in self.entries:
                return f"{prefix}/{name}"
        return name if name in self.entries else None

    def edges(
        self, key: str, sections: tuple[str, ...] = _PROD, scope: str | None = None
    ) -> list[str]:
        info = self.entries[key][2] if key in self.entries else {}
        return self.names(info, sections, key if scope is None else scope)

    def names(self, info: dict[str, Any], sections: tuple[str, ...], parent: str) -> list[str]:
        found: list[str] = []
        for section in sections:
            value = info.get(section)
            if isinstance(value, dict):
                found.extend(t for n in value if (t := self.resolve(parent, str(n))) is not None)
        return found

    def dev_only(self, workspaces: dict[str, Any]) -> set[str]:
        prod: list[str] = []
        dev: list[str] = []
        for path, workspace in workspaces.items():
            workspace = self.shape.mapping(workspace, f'workspaces["{path}"]')
            scope = str(workspace.get("name") or "")
            prod.extend(self.names(workspace, self._PROD, scope))
            dev.extend(self.names(workspace, ("devDependencies",), scope))
        return dev_only(prod, dev, self.edges)


def parse_bun_lock(data: bytes, ctx: ParseContext) -> Inventory:
    shape = Shape(ctx.source)
    text = strip_jsonc(decode_text(ctx.source, data))
    doc = shape.mapping(loads_json(ctx.source, text), "the document")
    if "lockfileVersion" not in doc:
        raise InputError(ctx.source, "is not a bun.lock: it has no lockfileVersion")
    version = doc["lockfileVersion"]
    bun = _Bun(shape, shape.optional_mapping(doc, "packages", ""))
    dev = bun.dev_only(shape.optional_mapping(doc, "workspaces", ""))
    out = Collector(ctx.source, "npm")
    for key, (name, spec, _) in bun.entries.items():
        where = f'packages["{key}"]'
        if spec.startswith(("workspace:", "root:")):
            continue
        if is_local(spec):
            out.warn(
                f"{where}: {name} is a local package ({spec}), not a registry package; skipped"
            )
        elif (
            spec.startswith("npm:") and (real := split_descriptor(spec[4:])) and is_version(real[1])
        ):
            out.add(real[0], real[1], dev=key in dev)
        elif is_version(spec):
            out.add(name, spec, dev=key in dev)
        else:
            out.warn(f"{where}: {name} from {spec[:100]} records no registry version; skipped")
    return out.inventory(f"bun.lock v{version}")


# --- detection --------------------------------------------------------------------------------

_BUN_HEAD = re.compile(
    rb'^\s*\{\s*"lockfileVersion"\s*:\s*\d+\s*,\s*(?:"configVersion"\s*:\s*\d+\s*,\s*)?"workspaces"'
)
_NPM_HEAD = re.compile(rb'"lockfileVersion"\s*:\s*\d+\s*,\s*"(?:requires|packages|dependencies)"')


def _sniff_bun_lock(head: bytes) -> bool:
    return _BUN_HEAD.match(head) is not None


def _sniff_package_lock(head: bytes) -> bool:
    return (
        head.lstrip()[:1] == b"{"
        and _NPM_HEAD.search(head) is not None
        and not _sniff_bun_lock(head)
    )


FORMATS: tuple[InventoryFormat, ...] = (
    InventoryFormat(
        "package-lock.json",
        parse_package_lock,
        ("package-lock.json", "npm-shrinkwrap.json"),
        _sniff_package_lock,
    ),
    InventoryFormat("yarn.lock", parse_yarn_lock, ("yarn.lock",), sniff_yarn_lock),
    InventoryFormat(
        "pnpm-lock.yaml", parse_pnpm_lock, ("pnpm-lock.yaml", "pnpm-lock.yml"), sniff_pnpm_lock
    ),
    InventoryFormat("bun.lock", parse_bun_lock, ("bun.lock",), _sniff_bun_lock),
)
