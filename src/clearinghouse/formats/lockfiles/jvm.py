"""JVM: Maven ``pom.xml``, Gradle ``gradle.lockfile`` and ``verification-metadata.xml``.

Names are Maven coordinates ``groupId:artifactId`` in the OSV ecosystem ``Maven``.

**pom.xml** is read as Maven builds its effective model, as far as that is possible without a
repository:

* the parent chain is followed through ``<relativePath>`` (default ``../pom.xml``; a directory
  means its ``pom.xml``; empty means "not local") via ``ParseContext.read_sibling``, and a file
  found there is used only when its coordinates are the ones ``<parent>`` names, as Maven
  checks. A parent that is not available is reported in a warning; a cycle or a chain deeper
  than :data:`MAX_PARENT_DEPTH` is an error;
* properties are inherited (the child wins) and ``${...}`` is interpolated recursively:
  ``project.*``/``pom.*`` model values (``project.version`` inherited from ``<parent>``),
  then ``<properties>`` (dotted names included), then the deprecated bare ``${version}``;
* profiles marked ``<activeByDefault>true</activeByDefault>`` are applied to their POM (no other
  activation can be evaluated offline); profiles that are not and that declare dependencies
  are named in a warning;
* ``<dependencies>`` are inherited from parents; a dependency without a version takes it from
  the merged ``<dependencyManagement>`` (key groupId:artifactId:type:classifier), as does its
  scope. The input POM's own ``<dependencyManagement>`` entries are listed too (they pin the
  versions of transitive dependencies);
* a version that stays unknown (missing, undefined property, a range other than the exact
  ``[1.2.3]``) is not guessed: the component is listed without a version and a warning says
  why. ``<scope>test</scope>`` marks development-only components.

**gradle.lockfile** lines are ``group:artifact:version=configuration,...`` (or, in the
per-configuration files of Gradle before 6, without ``=...``); a package locked only for test
configurations is development-only. Lines that are not entries are skipped with a warning.

**verification-metadata.xml** (Gradle dependency verification) lists every resolved module as
``<component group= name= version=>``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._packages import Packages, listing
from clearinghouse.formats.safety import check_size, decode_text, parse_xml

__all__ = [
    "FORMATS",
    "MAX_PARENT_DEPTH",
    "parse_gradle_lockfile",
    "parse_pom_xml",
    "parse_verification_metadata",
]

ECOSYSTEM = "Maven"
MAX_PARENT_DEPTH = 32
"""Longest parent chain followed; real projects stay under ten."""
_MAX_VALUE_LENGTH = 4096
_MAX_EXPANSION_DEPTH = 64
_EXPRESSION = re.compile(r"\$\{([^}]*)\}")
_EXACT_RANGE = re.compile(r"\[\s*([^,\[\]()\s]+)\s*\]")


# --- reading one POM --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Dependency:
    group: str
    artifact: str
    version: str | None
    scope: str | None
    type: str | None
    classifier: str | None

    @property
    def raw_key(self) -> tuple[str, str, str, str]:
        return (self.group, self.artifact, self.type or "jar", self.classifier or "")


@dataclass(frozen=True, slots=True)
class _ParentRef:
    group: str
    artifact: str
    version: str
    relative_path: str | None

    def __str__(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"


@dataclass(slots=True)
class _Pom:
    path: str
    group: str | None
    artifact: str | None
    version: str | None
    parent: _ParentRef | None
    properties: dict[str, str] = field(default_factory=dict)
    dependencies: list[_Dependency] = field(default_factory=list)
    managed: list[_Dependency] = field(default_factory=list)
    inactive_profiles: list[str] = field(default_factory=list)

    @property
    def coordinates(self) -> tuple[str | None, str | None, str | None]:
        parent = self.parent
        return (
            self.group or (parent.group if parent else None),
            self.artifact,
            self.version or (parent.version if parent else None),
        )


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element | None, name: str) -> Iterator[Element]:
    if element is not None:
        for child in element:
            if _local(child.tag) == name:
                yield child


def _child(element: Element | None, name: str) -> Element | None:
    return next(_children(element, name), None)


def _text(element: Element | None, name: str) -> str | None:
    child = _child(element, name)
    if child is None:
        return None
    value = "".join(child.itertext()).strip()
    return value or None


def _read_pom(source: str, path: str, data: bytes) -> _Pom:
    project = parse_xml(source, data)
    if _local(project.tag) != "project":
        raise InputError(source, f"root element is <{_local(project.tag)}>, not a Maven <project>")
    pom = _Pom(
        path=path,
        group=_text(project, "groupId"),
        artifact=_text(project, "artifactId"),
        version=_text(project, "version"),
        parent=_parent_ref(source, _child(project, "parent")),
    )
    _add_section(source, pom, project)
    profiles = list(_children(_child(project, "profiles"), "profile"))
    for profile in profiles:
        activation = _child(profile, "activation")
        if (_text(activation, "activeByDefault") or "").lower() == "true":
            _add_section(source, pom, profile)
        elif _child(profile, "dependencies") is not None:
            pom.inactive_profiles.append(_text(profile, "id") or "(no id)")
    return pom


def _add_section(source: str, pom: _Pom, section: Element) -> None:
    properties = _child(section, "properties")
    for prop in properties if properties is not None else ():
        if isinstance(prop.tag, str):
            pom.properties[_local(prop.tag)] = "".join(prop.itertext()).strip()
    pom.dependencies.extend(_dependencies(source, _child(section, "dependencies")))
    management = _child(_child(section, "dependencyManagement"), "dependencies")
    pom.managed.extend(_dependencies(source, management))


def _dependencies(source: str, element: Element | None) -> Iterator[_Dependency]:
    for index, dep in enumerate(_children(element, "dependency")):
        group, artifact = _text(dep, "groupId"), _text(dep, "artifactId")
        if group is None or artifact is None:
            missing = "groupId" if group is None else "artifactId"
            raise InputError(
                source, f"dependency #{index + 1} ({group or artifact}) has no {missing}"
            )
        yield _Dependency(
            group,
            artifact,
            _text(dep, "version"),
            _text(dep, "scope"),
            _text(dep, "type"),
            _text(dep, "classifier"),
        )


def _parent_ref(source: str, element: Element | None) -> _ParentRef | None:
    if element is None:
        return None
    group, artifact, version = (_text(element, n) for n in ("groupId", "artifactId", "version"))
    if group is None or artifact is None or version is None:
        raise InputError(source, "<parent> needs groupId, artifactId and version")
    relative = _child(element, "relativePath")
    relative_path = None if relative is None else "".join(relative.itertext()).strip()
    return _ParentRef(group, artifact, version, relative_path)


# --- the parent chain -------------------------------------------------------------------------


def _lineage(ctx: ParseContext, child: _Pom, packages: Packages) -> list[_Pom]:
    """The input POM followed by the local parents Maven would use, nearest first."""
    chain = [child]
    seen_paths = {child.path}
    seen_coordinates = {child.coordinates}
    while (ref := chain[-1].parent) is not None:
        current = chain[-1]
        if ref.relative_path == "":
            packages.warn(f"parent POM {ref} of {current.path} is not local (empty relativePath)")
            break
        if len(chain) > MAX_PARENT_DEPTH:
            raise InputError(
                ctx.source, f"parent POM chain is deeper than {MAX_PARENT_DEPTH} levels"
            )
        path = _parent_path(current.path, ref.relative_path or "../pom.xml")
        parent = _read_parent(ctx, ref, path, packages)
        if parent is None:
            break
        if path in seen_paths or parent.coordinates in seen_coordinates:
            trail = " -> ".join(p.path for p in chain)
            raise InputError(ctx.source, f"parent POMs form a cycle: {trail} -> {path}")
        chain.append(parent)
        seen_paths.add(path)
        seen_coordinates.add(parent.coordinates)
    return chain


def _parent_path(child_path: str, relative_path: str) -> str:
    path = posixpath.normpath(
        posixpath.join(posixpath.dirname(child_path), relative_path.replace("\\", "/"))
    )
    return path if path.endswith(".xml") else posixpath.join(path, "pom.xml")


def _read_parent(ctx: ParseContext, ref: _ParentRef, path: str, packages: Packages) -> _Pom | None:
    reason = None
    parent = None
    if ctx.read_sibling is None:
        reason = "no sibling files were given"
    else:
        try:
            data = ctx.read_sibling(path)
            check_size(path, len(data), ctx.max_bytes)
            parent = _read_pom(path, path, data)
        except InputError as exc:
            reason = f"{path} {exc.reason}"
        except (OSError, ValueError) as exc:
            reason = f"{path} could not be read: {type(exc).__name__}"
    if parent is not None and parent.coordinates != (ref.group, ref.artifact, ref.version):
        reason = f"{path} is {':'.join(c or '?' for c in parent.coordinates)}"
        parent = None
    if parent is None:
        packages.warn(
            f"parent POM {ref} is not available locally ({reason}): the properties, "
            "dependencies and managed versions it declares are unknown"
        )
    return parent


# --- interpolation ----------------------------------------------------------------------------


class _Interpolator:
    """Maven ``${...}`` expansion over one effective model, recursion- and size-bounded."""

    def __init__(self, lookup: Callable[[str], str | None]) -> None:
        self._lookup = lookup
        self._resolved: dict[str, str | None] = {}

    def expand(self, text: str | None) -> tuple[str | None, list[str]]:
        """The expanded text and the names of the expressions it could not resolve."""
        if text is None:
            return None, []
        missing: list[str] = []
        value = self._expand(text, (), missing)
        return value, missing

    def _expand(self, text: str, stack: tuple[str, ...], missing: list[str]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match[1]
            value = self._property(name, stack)
            if value is None:
                missing.append(name)
                return match[0]
            return value

        result = _EXPRESSION.sub(replace, text)
        if len(result) > _MAX_VALUE_LENGTH:
            missing.append(f"{text[:40]}... (expands beyond {_MAX_VALUE_LENGTH} characters)")
            return text
        return result

    def _property(self, name: str, stack: tuple[str, ...]) -> str | None:
        if name in self._resolved:
            return self._resolved[name]
        if name in stack or len(stack) >= _MAX_EXPANSION_DEPTH:
            return None
        raw = self._lookup(name)
        if raw is None:
            return None
        inner: list[str] = []
        value = self._expand(raw, (*stack, name), inner)
        resolved = None if inner else value
        self._resolved[name] = resolved
        return resolved


def _model_lookup(chain: list[_Pom]) -> Callable[[str], str | None]:
    child = chain[0]
    group, artifact, version = child.coordinates
    model = {"groupId": group, "artifactId": artifact, "version": version}
    if child.parent is not None:
        model |= {
            "parent.groupId": child.parent.group,
            "parent.artifactId": child.parent.artifact,
            "parent.version": child.parent.version,
        }
    properties: dict[str, str] = {}
    for pom in reversed(chain):
        properties.update(pom.properties)

    def lookup(name: str) -> str | None:
        for prefix in ("project.", "pom."):
            if name.startswith(prefix) and (value := model.get(name[len(prefix) :])):
                return value
        if name in properties:
            return properties[name]
        return model.get(name) if name in ("groupId", "artifactId", "version") else None

    return lookup


# --- the effective dependencies ---------------------------------------------------------------


@dataclass(slots=True)
class _Problems:
    no_version: list[str] = field(default_factory=list)
    undefined: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    coordinates: list[str] = field(default_factory=list)

    def report(self, packages: Packages, chain: list[_Pom]) -> None:
        if self.no_version:
            packages.warn(
                "dependencies without a version (managed by a parent POM or an imported BOM "
                f"that is not available here) are listed without one: {listing(self.no_version)}"
            )
        if self.undefined:
            packages.warn(
                "versions using properties that are not defined here are listed without a "
                f"version: {listing(self.undefined)}"
            )
        if self.ranges:
            packages.warn(
                "version ranges (only a build resolves them) are listed without a version: "
                f"{listing(self.ranges)}"
            )
        if self.coordinates:
            packages.warn(
                f"dependencies whose coordinates use undefined properties were skipped: "
                f"{listing(self.coordinates)}"
            )
        inactive = [f"{p} ({pom.path})" for pom in chain for p in pom.inactive_profiles]
        if inactive:
            packages.warn(
                "profiles that are not active by default were not applied (their dependencies "
                f"are not listed): {listing(inactive)}"
            )


@dataclass(frozen=True, slots=True)
class _Resolved:
    name: str
    version: str | None
    scope: str


def _merged(lists: Iterable[list[_Dependency]]) -> list[_Dependency]:
    """Inheritance: the nearer POM's declaration of a key wins."""
    merged: dict[tuple[str, str, str, str], _Dependency] = {}
    for dependencies in lists:
        for dep in dependencies:
            merged.setdefault(dep.raw_key, dep)
    return list(merged.values())


class _Resolver:
    def __init__(self, chain: list[_Pom], problems: _Problems) -> None:
        self.interpolator = _Interpolator(_model_lookup(chain))
        self.problems = problems
        self.management: dict[tuple[str, str, str, str], _Dependency] = {}
        for dep in _merged(pom.managed for pom in chain):
            key = self._key(dep)
            if key is not None:
                self.management.setdefault(key, dep)

    def value(self, text: str | None) -> str | None:
        value, missing = self.interpolator.expand(text)
        return None if missing else value

    def _key(self, dep: _Dependency) -> tuple[str, str, str, str] | None:
        group, artifact = self.value(dep.group), self.value(dep.artifact)
        if not group or not artifact:
            return None
        return (group, artifact, self.value(dep.type) or "jar", self.value(dep.classifier) or "")

    def resolve(self, dep: _Dependency, *, managed: bool = False) -> _Resolved | None:
        key = self._key(dep)
        if key is None:
            self.problems.coordinates.append(f"{dep.group}:{dep.artifact}")
            return None
        name = f"{key[0]}:{key[1]}"
        management = None if managed else self.management.get(key)
        raw_version = dep.version or (management.version if management else None)
        raw_scope = dep.scope or (management.scope if management else None)
        scope = self.value(raw_scope) or "compile"
        return _Resolved(name, self._version(name, raw_version), scope)

    def _version(self, name: str, raw: str | None) -> str | None:
        if raw is None:
            self.problems.no_version.append(name)
            return None
        version, missing = self.interpolator.expand(raw)
        if missing or version is None:
            self.problems.undefined.append(f"{name} ({', '.join('${' + m + '}' for m in missing)})")
            return None
        if version.startswith(("[", "(")):
            exact = _EXACT_RANGE.fullmatch(version)
            if exact:
                return exact[1]
            self.problems.ranges.append(f"{name} {version}")
            return None
        return version


def parse_pom_xml(data: bytes, ctx: ParseContext) -> Inventory:
    path = posixpath.basename(ctx.source.replace("\\", "/")) or "pom.xml"
    child = _read_pom(ctx.source, path, data)
    packages = Packages()
    chain = _lineage(ctx, child, packages)
    problems = _Problems()
    resolver = _Resolver(chain, problems)
    direct: set[str] = set()
    for dep in _merged(pom.dependencies for pom in chain):
        resolved = resolver.resolve(dep)
        if resolved is not None:
            direct.add(resolved.name)
            packages.add(ECOSYSTEM, resolved.name, resolved.version, dev=resolved.scope == "test")
    for dep in _merged([child.managed]):
        resolved = resolver.resolve(dep, managed=True)
        if resolved is not None and resolved.name not in direct:
            packages.add(ECOSYSTEM, resolved.name, resolved.version, dev=resolved.scope == "test")
    problems.report(packages, chain)
    group, artifact, _ = child.coordinates
    subject = resolver.value(f"{group}:{artifact}") if group and artifact else None
    return packages.inventory("pom.xml", name=subject)


# --- Gradle -----------------------------------------------------------------------------------

_GRADLE_ENTRY = re.compile(
    r"(?P<group>[^:\s=]+):(?P<artifact>[^:\s=]+):(?P<version>[^:\s=]+)(?:=(?P<configs>\S*))?"
)


def _is_test_configuration(name: str) -> bool:
    return "test" in name.lower()


def parse_gradle_lockfile(data: bytes, ctx: ParseContext) -> Inventory:
    text = decode_text(ctx.source, data)
    packages = Packages()
    junk: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("empty="):
            continue
        m = _GRADLE_ENTRY.fullmatch(line)
        if m is None:
            junk.append(str(number))
            continue
        configurations = [c for c in (m["configs"] or "").split(",") if c]
        dev = bool(configurations) and all(_is_test_configuration(c) for c in configurations)
        packages.add(ECOSYSTEM, f"{m['group']}:{m['artifact']}", m["version"], dev=dev)
    if junk and not len(packages):
        raise InputError(
            ctx.source,
            f"no line is a group:artifact:version entry (first bad line: {junk[0]})",
        )
    if junk:
        packages.warn(
            f"lines {listing(junk)} are not group:artifact:version=configurations entries "
            "and were skipped"
        )
    return packages.inventory("gradle.lockfile")


def parse_verification_metadata(data: bytes, ctx: ParseContext) -> Inventory:
    root = parse_xml(ctx.source, data)
    if _local(root.tag) != "verification-metadata":
        raise InputError(
            ctx.source, f"root element is <{_local(root.tag)}>, not <verification-metadata>"
        )
    packages = Packages()
    for index, element in enumerate(_children(_child(root, "components"), "component")):
        group, name, version = (element.get(a) for a in ("group", "name", "version"))
        if not group or not name or not version:
            raise InputError(
                ctx.source, f"<component> #{index + 1} needs group, name and version attributes"
            )
        packages.add(ECOSYSTEM, f"{group}:{name}", version)
    return packages.inventory("verification-metadata.xml")


def _sniff_pom(head: bytes) -> bool:
    if re.search(rb"<project[\s>]", head) is None:
        return False
    markers = (b"maven.apache.org/POM", b"<modelVersion>", b"<groupId>", b"<artifactId>")
    return any(marker in head for marker in markers)


def _sniff_gradle_lockfile(head: bytes) -> bool:
    return head.startswith(b"# This is a Gradle generated file for dependency") or (
        re.search(rb"(?m)^[\w.-]+:[\w.-]+:[^\s=:]+=\w", head) is not None
    )


FORMATS = (
    InventoryFormat(
        name="pom.xml", parse=parse_pom_xml, filenames=("pom.xml", "*.pom"), sniff=_sniff_pom
    ),
    InventoryFormat(
        name="gradle.lockfile",
        parse=parse_gradle_lockfile,
        filenames=("gradle.lockfile", "buildscript-gradle.lockfile"),
        sniff=_sniff_gradle_lockfile,
    ),
    InventoryFormat(
        name="verification-metadata.xml",
        parse=parse_verification_metadata,
        filenames=("verification-metadata.xml",),
        sniff=lambda head: b"<verification-metadata" in head,
    ),
)
