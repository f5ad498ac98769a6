"""pnpm-lock.yaml, lockfile versions 5.x, 6.x and 9.x.

Package keys are dependency paths: ``/name/1.2.3_peer@1.0.0`` (v5, optionally behind a registry
host), ``/name@1.2.3(peer@1.0.0)`` (v6) and ``name@1.2.3`` with peers in ``snapshots`` (v9).
A key that is none of these is refused naming the key. v5/v6 bodies say ``dev: true``; v9
lockfiles do not, so development-only packages are found by walking the snapshots from the
importers' ``devDependencies``.
"""

from __future__ import annotations

import re
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, ParseContext
from clearinghouse.formats.lockfiles._collect import Collector, Shape, reachable
from clearinghouse.formats.lockfiles._npm_names import is_git, is_package_name, is_version
from clearinghouse.formats.safety import loads_yaml

__all__ = ["parse_pnpm_lock", "sniff_pnpm_lock"]

_AT_FORM = re.compile(r"^((?:@[^/@]+/)?[^/@]+)@([^/].*)$")
_PROD_SECTIONS = ("dependencies", "optionalDependencies")


class _PathError(Exception):
    pass


def _strip_peers(spec: str) -> str:
    """``1.2.3(react@18.0.0)`` -> ``1.2.3``; ``1.2.3_react@18.0.0`` -> ``1.2.3`` (v5)."""
    spec = spec.split("(", 1)[0]
    return spec.split("_", 1)[0] if is_version(spec.split("_", 1)[0]) else spec


def _parse_path(key: str, major: int) -> tuple[str, str]:
    """(name, version-or-reference) of a dependency path; raises _PathError when it is not one."""
    if major >= 9:
        match = _AT_FORM.match(key.split("(", 1)[0])
        if match is None:
            raise _PathError("expected name@version")
        return match[1], _strip_peers(match[2])
    slash = key.find("/")
    if slash < 0:
        raise _PathError("expected /name/version or /name@version")
    rest = key[slash + 1 :]
    match = _AT_FORM.match(rest.split("(", 1)[0])
    if match is not None:
        return match[1], _strip_peers(match[2])
    segments = rest.split("/")
    width = 2 if segments[0].startswith("@") else 1
    name = "/".join(segments[:width])
    remaining = segments[width:]
    if not name or not remaining:
        raise _PathError("expected /name/version or /name@version")
    return name, _strip_peers("/".join(remaining))


def _snapshot_target(name: str, spec: object) -> str | None:
    """Snapshot key a dependency refers to (``name: 1.2.3(peer)`` or alias ``name: real@1.2.3``)."""
    if isinstance(spec, dict):
        spec = spec.get("version")
    if not isinstance(spec, str) or spec.startswith("link:"):
        return None
    if _AT_FORM.match(spec.split("(", 1)[0]) and not spec[:1].isdigit():
        return spec
    return f"{name}@{spec}"


class _Pnpm:
    def __init__(self, ctx: ParseContext, doc: dict[str, Any], major: int) -> None:
        self.shape = Shape(ctx.source, "a mapping", "a list")
        self.doc = doc
        self.major = major
        self.out = Collector(ctx.source, "npm")

    def entries(self, section: str) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for key, value in self.shape.optional_mapping(self.doc, section, "").items():
            if not isinstance(key, str):
                self.shape.fail(f"{section} key {key!r}", "is not a pnpm package path")
            where = f'{section}["{key}"]'
            result[key] = {} if value is None else self.shape.mapping(value, where)
        return result

    def dependency_edges(self, body: dict[str, Any], where: str) -> list[str]:
        targets: list[str] = []
        for section in _PROD_SECTIONS:
            for name, spec in self.shape.optional_mapping(body, section, where).items():
                target = _snapshot_target(str(name), spec)
                if target is not None:
                    targets.append(target)
        return targets

    def dev_only_packages(self, snapshots: dict[str, dict[str, Any]]) -> set[str]:
        """Package keys (peers stripped) reachable only from importers' devDependencies."""
        importers = self.shape.optional_mapping(self.doc, "importers", "")
        prod_roots: list[str] = []
        dev_roots: list[str] = []
        for path, importer in importers.items():
            where = f'importers["{path}"]'
            importer = self.shape.mapping(importer, where)
            prod_roots.extend(self.dependency_edges(importer, where))
            for name, spec in self.shape.optional_mapping(
                importer, "devDependencies", where
            ).items():
                target = _snapshot_target(str(name), spec)
                if target is not None:
                    dev_roots.append(target)

        def edges(key: str) -> list[str]:
            body = snapshots.get(key)
            return [] if body is None else self.dependency_edges(body, f'snapshots["{key}"]')

        prod = {k.split("(", 1)[0] for k in reachable(prod_roots, edges)}
        dev = {k.split("(", 1)[0] for k in reachable(dev_roots, edges)}
        return dev - prod

    def add(self, key: str, body: dict[str, Any], dev: bool) -> None:
        where = f'packages["{key}"]'
        if key.startswith(("file:", "link:")):
            label = body.get("name") or key
            self.out.warn(f"{where}: {label} is a local package, not a registry release; skipped")
            return
        try:
            name, spec = _parse_path(key, self.major)
        except _PathError as exc:
            raise InputError(
                self.shape.source, f"{where}: key is not a pnpm package path ({exc})"
            ) from None
        name = self.shape.optional_string(body, "name", where) or name
        version = self.shape.optional_string(body, "version", where) or spec
        if not is_package_name(name):
            raise InputError(self.shape.source, f"{where}: '{name}' is not an npm package name")
        resolution = self.shape.optional_mapping(body, "resolution", where)
        remote = resolution.get("tarball") or resolution.get("repo") or ""
        if not is_version(version):
            self.out.warn(f"{where}: records no registry version (git or tarball); skipped")
            return
        if resolution.get("commit") or resolution.get("type") == "git" or is_git(str(remote)):
            self.out.warn(f"{where}: {name} {version} installed from git; matched as {version}")
        elif remote and not spec[:1].isdigit():
            self.out.warn(
                f"{where}: {name} {version} installed from {remote}; matched as {version}"
            )
        self.out.add(name, version, dev=dev)

    def parse(self) -> Collector:
        packages = self.entries("packages")
        if self.major >= 9:
            snapshots = self.entries("snapshots")
            dev = self.dev_only_packages(snapshots)
            for key in snapshots:
                packages.setdefault(key.split("(", 1)[0], {})
            for key, body in packages.items():
                self.add(key, body, key in dev)
        else:
            for key, body in packages.items():
                self.add(key, body, self.shape.flag(body, "dev", f'packages["{key}"]'))
        return self.out


def parse_pnpm_lock(data: bytes, ctx: ParseContext) -> Inventory:
    doc = loads_yaml(ctx.source, data)
    shape = Shape(ctx.source, "a mapping", "a list")
    doc = shape.mapping(doc, "the document")
    raw = doc.get("lockfileVersion")
    if raw is None:
        raise InputError(ctx.source, "is not a pnpm-lock.yaml: it has no lockfileVersion")
    try:
        major = int(float(str(raw)))
    except ValueError:
        raise InputError(ctx.source, f"lockfileVersion '{raw}' is not a number") from None
    out = _Pnpm(ctx, doc, major).parse()
    if major > 9:
        out.warn(f"lockfileVersion {raw} is newer than Clearinghouse knows; read as 9.0")
    return out.inventory(f"pnpm-lock.yaml v{raw}")


def sniff_pnpm_lock(head: bytes) -> bool:
    return head.lstrip().startswith(b"lockfileVersion:")
