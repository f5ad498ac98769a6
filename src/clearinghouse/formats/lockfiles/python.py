"""Python lockfiles: requirements.txt, poetry.lock, uv.lock, Pipfile.lock, pdm.lock, pylock.toml.

Every component is ``component("PyPI", name, version, dev=...)`` with the name as the lockfile
spells it (the matching index normalises it). Entries that are not registry releases (local
directories, editable roots) are skipped; VCS and URL entries that still record a version are
kept with a warning, because their version is the one the package declares, not a release.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._collect import Collector, Shape, dev_only
from clearinghouse.formats.lockfiles._requirements import REQUIREMENTS_TXT
from clearinghouse.formats.safety import loads_json, loads_toml

__all__ = ["FORMATS"]

_DEV_GROUP_NAMES = frozenset(
    {"dev", "develop", "development", "test", "tests", "testing", "lint", "linting",
     "doc", "docs", "typing", "type-check", "format", "formatting"}
)  # fmt: skip
"""PDM group names that are development groups by convention (pdm.lock does not say which
groups are dev-dependencies and which are extras, so anything else counts as production)."""


def _toml(ctx: ParseContext, data: bytes) -> dict[str, Any]:
    try:
        return loads_toml(ctx.source, data)
    except RecursionError:
        raise InputError(ctx.source, "TOML is nested too deeply") from None


def _toml_shape(ctx: ParseContext) -> Shape:
    return Shape(ctx.source, "a table", "an array")


def _names(shape: Shape, values: list[Any], where: str) -> list[str]:
    return [shape.string(v, f"{where}[{i}]") for i, v in enumerate(values)]


def _entries(shape: Shape, doc: dict[str, Any], key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, table) for each ``[[key]]`` table; the label names the entry in messages."""
    for i, value in enumerate(shape.optional_sequence(doc, key, "")):
        where = f"{key}[{i}]"
        table = shape.mapping(value, where)
        name = table.get("name")
        label = f"{where} ({name})" if isinstance(name, str) else where
        yield label, table


def _major(version: object) -> str:
    return str(version).split(".", 1)[0]


# --- poetry.lock ------------------------------------------------------------------------------


def parse_poetry_lock(data: bytes, ctx: ParseContext) -> Inventory:
    doc = _toml(ctx, data)
    shape = _toml_shape(ctx)
    if "package" not in doc and "metadata" not in doc:
        raise InputError(ctx.source, "is not a poetry.lock: it has no [[package]] or [metadata]")
    metadata = shape.optional_mapping(doc, "metadata", "")
    lock_version = metadata.get("lock-version")
    out = Collector(ctx.source, "PyPI")
    if lock_version is not None and _major(lock_version) not in ("1", "2"):
        out.warn(f"lock-version {lock_version} is newer than Clearinghouse knows; read as 2.x")
    for where, pkg in _entries(shape, doc, "package"):
        name = shape.string(pkg.get("name"), f"{where}.name")
        version = shape.string(pkg.get("version"), f"{where}.version")
        source = shape.optional_mapping(pkg, "source", where)
        kind = shape.optional_string(source, "type", f"{where}.source")
        url = shape.optional_string(source, "url", f"{where}.source") or ""
        groups = _names(shape, shape.optional_sequence(pkg, "groups", where), f"{where}.groups")
        category = shape.optional_string(pkg, "category", where)
        dev = "main" not in groups if groups else category == "dev"
        if kind in ("directory", "file"):
            out.warn(f"{name} {version}: local {kind} {url} is not a registry release; skipped")
            continue
        if kind in ("git", "url"):
            ref = source.get("resolved_reference") or source.get("reference") or ""
            at = f"@{ref}" if ref else ""
            out.warn(f"{name} {version}: installed from {kind} {url}{at}; matched as {version}")
        out.add(name, version, dev=dev)
    fmt = f"poetry.lock (lock-version {lock_version})" if lock_version else "poetry.lock"
    return out.inventory(fmt)


# --- uv.lock ----------------------------------------------------------------------------------

_UV_ROOT_SOURCES = ("editable", "virtual")
_UV_LOCAL_SOURCES = ("path", "directory")


def _uv_source_kind(shape: Shape, pkg: dict[str, Any], where: str) -> tuple[str, str]:
    source = shape.optional_mapping(pkg, "source", where)
    for kind in ("registry", "git", "url", *_UV_ROOT_SOURCES, *_UV_LOCAL_SOURCES):
        if kind in source:
            return kind, str(source[kind])
    return "registry", ""


class _UvGraph:
    """Which packages uv installs only for development (reached only via dev-dependencies)."""

    def __init__(self, shape: Shape, packages: list[tuple[str, dict[str, Any]]]) -> None:
        self.shape = shape
        self.packages = packages
        self.by_name: dict[str, list[int]] = {}
        for i, (_, pkg) in enumerate(packages):
            self.by_name.setdefault(str(pkg.get("name")), []).append(i)

    def targets(self, deps: list[Any], where: str) -> Iterator[int]:
        for j, dep in enumerate(deps):
            dep = self.shape.mapping(dep, f"{where}[{j}]")
            name = self.shape.string(dep.get("name"), f"{where}[{j}].name")
            candidates = self.by_name.get(name, [])
            if len(candidates) > 1 and "version" in dep:
                candidates = [
                    c for c in candidates if self.packages[c][1].get("version") == dep["version"]
                ]
            if len(candidates) > 1 and "source" in dep:
                candidates = [
                    c for c in candidates if self.packages[c][1].get("source") == dep["source"]
                ]
            yield from candidates

    def production_edges(self, i: int) -> list[int]:
        where, pkg = self.packages[i]
        edges = list(
            self.targets(
                self.shape.optional_sequence(pkg, "dependencies", where), f"{where}.dependencies"
            )
        )
        extras = self.shape.optional_mapping(pkg, "optional-dependencies", where)
        for extra, deps in extras.items():
            at = f"{where}.optional-dependencies.{extra}"
            edges.extend(self.targets(self.shape.sequence(deps, at), at))
        return edges

    def development_edges(self, i: int) -> list[int]:
        where, pkg = self.packages[i]
        groups = self.shape.optional_mapping(pkg, "dev-dependencies", where)
        edges: list[int] = []
        for group, deps in groups.items():
            at = f"{where}.dev-dependencies.{group}"
            edges.extend(self.targets(self.shape.sequence(deps, at), at))
        return edges

    def dev_only(self, roots: list[int]) -> set[int]:
        prod = [t for r in roots for t in self.production_edges(r)]
        dev = [t for r in roots for t in self.development_edges(r)]
        return dev_only(prod, dev, self.production_edges)


def parse_uv_lock(data: bytes, ctx: ParseContext) -> Inventory:
    doc = _toml(ctx, data)
    shape = _toml_shape(ctx)
    if "package" not in doc and "version" not in doc:
        raise InputError(ctx.source, "is not a uv.lock: it has no version or [[package]]")
    version = doc.get("version")
    out = Collector(ctx.source, "PyPI")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        shape.fail("version", "must be an integer")
    if isinstance(version, int) and version > 1:
        out.warn(f"lockfile version {version} is newer than Clearinghouse knows; read as 1")
    packages = list(_entries(shape, doc, "package"))
    kinds = [_uv_source_kind(shape, pkg, where) for where, pkg in packages]
    graph = _UvGraph(shape, packages)
    roots = [i for i, (kind, _) in enumerate(kinds) if kind in _UV_ROOT_SOURCES]
    dev = graph.dev_only(roots)
    for i, (where, pkg) in enumerate(packages):
        name = shape.string(pkg.get("name"), f"{where}.name")
        pkg_version = shape.optional_string(pkg, "version", where)
        kind, location = kinds[i]
        if kind in _UV_ROOT_SOURCES:
            continue
        if kind in _UV_LOCAL_SOURCES:
            out.warn(f"{name}: local {kind} {location} is not a registry release; skipped")
            continue
        if pkg_version is None:
            out.warn(f"{where}: {kind} source {location} records no version; skipped")
            continue
        if kind in ("git", "url"):
            out.warn(
                f"{name} {pkg_version}: installed from {kind} {location}; matched as {pkg_version}"
            )
        out.add(name, pkg_version, dev=i in dev)
    revision = doc.get("revision")
    label = f"uv.lock (version {version}" + (f", revision {revision})" if revision else ")")
    return out.inventory(label if version is not None else "uv.lock")


# --- Pipfile.lock -----------------------------------------------------------------------------


def _pipenv_origin(entry: dict[str, Any]) -> str | None:
    for key in ("git", "hg", "svn", "bzr", "path", "file"):
        if isinstance(entry.get(key), str):
            ref = entry.get("ref")
            return f"{key} {entry[key]}" + (f"@{ref}" if isinstance(ref, str) else "")
    return None


def _exact_pin(version: str) -> str | None:
    for operator in ("===", "=="):
        if version.startswith(operator):
            return version[len(operator) :].strip() or None
    return None


def parse_pipfile_lock(data: bytes, ctx: ParseContext) -> Inventory:
    shape = Shape(ctx.source)
    doc = shape.mapping(loads_json(ctx.source, data), "the document")
    if not any(key in doc for key in ("_meta", "default", "develop")):
        raise InputError(ctx.source, "is not a Pipfile.lock: it has no default or develop section")
    out = Collector(ctx.source, "PyPI")
    for section, dev in (("default", False), ("develop", True)):
        for name, value in shape.optional_mapping(doc, section, "").items():
            where = f"{section}.{name}"
            entry = shape.mapping(value, where)
            version = shape.optional_string(entry, "version", where)
            origin = _pipenv_origin(entry)
            if version is None:
                what = origin or "entry"
                out.warn(f"{where}: {what} has no version; not matched")
                continue
            pinned = _exact_pin(version)
            if pinned is None:
                out.warn(f"{where}: version '{version}' is not an exact pin; not matched")
                continue
            if origin:
                out.warn(f"{where}: installed from {origin}; matched as {pinned}")
            out.add(name, pinned, dev=dev)
    return out.inventory("Pipfile.lock")


# --- pdm.lock ---------------------------------------------------------------------------------


def parse_pdm_lock(data: bytes, ctx: ParseContext) -> Inventory:
    doc = _toml(ctx, data)
    shape = _toml_shape(ctx)
    if "package" not in doc and "metadata" not in doc:
        raise InputError(ctx.source, "is not a pdm.lock: it has no [[package]] or [metadata]")
    metadata = shape.optional_mapping(doc, "metadata", "")
    lock_version = metadata.get("lock_version")
    out = Collector(ctx.source, "PyPI")
    for where, pkg in _entries(shape, doc, "package"):
        name = shape.string(pkg.get("name"), f"{where}.name")
        version = shape.optional_string(pkg, "version", where)
        groups = _names(shape, shape.optional_sequence(pkg, "groups", where), f"{where}.groups")
        dev = bool(groups) and "default" not in groups and set(groups) <= _DEV_GROUP_NAMES
        path = shape.optional_string(pkg, "path", where)
        if path is not None:
            out.warn(f"{name}: local path {path} is not a registry release; skipped")
            continue
        if version is None:
            out.warn(f"{where}: records no version; skipped")
            continue
        for kind in ("git", "hg", "svn", "bzr", "url"):
            location = shape.optional_string(pkg, kind, where)
            if location is not None:
                ref = pkg.get("revision") or pkg.get("ref")
                at = f"@{ref}" if isinstance(ref, str) else ""
                out.warn(
                    f"{name} {version}: installed from {kind} {location}{at}; matched as {version}"
                )
        out.add(name, version, dev=dev)
    fmt = f"pdm.lock (lock_version {lock_version})" if lock_version else "pdm.lock"
    return out.inventory(fmt)


# --- pylock.toml (PEP 751) --------------------------------------------------------------------


def parse_pylock(data: bytes, ctx: ParseContext) -> Inventory:
    doc = _toml(ctx, data)
    shape = _toml_shape(ctx)
    if "lock-version" not in doc:
        raise InputError(ctx.source, "is not a pylock.toml (PEP 751): it has no lock-version")
    lock_version = shape.string(doc["lock-version"], "lock-version")
    out = Collector(ctx.source, "PyPI")
    if _major(lock_version) != "1":
        out.warn(f"lock-version {lock_version} is newer than Clearinghouse knows; read as 1.0")
    for where, pkg in _entries(shape, doc, "packages"):
        name = shape.string(pkg.get("name"), f"{where}.name")
        version = shape.optional_string(pkg, "version", where)
        directory = shape.optional_mapping(pkg, "directory", where)
        if directory:
            path = shape.optional_string(directory, "path", f"{where}.directory") or ""
            if path not in (".", ""):
                out.warn(f"{name}: local directory {path} is not a registry release; skipped")
            continue
        vcs = shape.optional_mapping(pkg, "vcs", where)
        archive = shape.optional_mapping(pkg, "archive", where)
        origin = ""
        if vcs:
            url = vcs.get("url") or vcs.get("path") or ""
            commit = vcs.get("commit-id") or ""
            origin = f"{vcs.get('type', 'vcs')} {url}" + (f"@{commit}" if commit else "")
        elif archive:
            origin = f"archive {archive.get('url') or archive.get('path') or ''}"
        if version is None:
            out.warn(f"{name}: {origin or 'entry'} records no version; skipped")
            continue
        if origin:
            out.warn(f"{name} {version}: installed from {origin}; matched as {version}")
        out.add(name, version)
    return out.inventory(f"pylock.toml (lock-version {lock_version})")


# --- detection --------------------------------------------------------------------------------


def _sniff_poetry(head: bytes) -> bool:
    return b"@generated by Poetry" in head[:512] and b"[[package]]" in head


def _sniff_pdm(head: bytes) -> bool:
    return b"@generated by PDM" in head[:512]


def _sniff_uv(head: bytes) -> bool:
    start = head.lstrip()[:64]
    return start.startswith(b"version = ") and b"[[package]]" in head and b"source = {" in head


def _sniff_pylock(head: bytes) -> bool:
    return b'lock-version = "' in head[:4096] and b"[[packages]]" in head


def _sniff_pipfile_lock(head: bytes) -> bool:
    return head.lstrip()[:1] == b"{" and b'"pipfile-spec"' in head


FORMATS: tuple[InventoryFormat, ...] = (
    REQUIREMENTS_TXT,
    InventoryFormat("poetry.lock", parse_poetry_lock, ("poetry.lock",), _sniff_poetry),
    InventoryFormat("uv.lock", parse_uv_lock, ("uv.lock",), _sniff_uv),
    InventoryFormat("Pipfile.lock", parse_pipfile_lock, ("Pipfile.lock",), _sniff_pipfile_lock),
    InventoryFormat("pdm.lock", parse_pdm_lock, ("pdm.lock",), _sniff_pdm),
    InventoryFormat("pylock.toml", parse_pylock, ("pylock.toml", "pylock.*.toml"), _sniff_pylock),
)
