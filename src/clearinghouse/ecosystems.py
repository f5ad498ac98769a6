"""OSV ecosystems, their package-URL types and package-name rules.

Pure core: no I/O. One table says, for each OSV ecosystem, which purl type names its packages,
which version ordering applies and how a package name is normalised for lookups.
The ecosystem strings follow https://ossf.github.io/osv-schema/#affectedpackage-field
(``Debian:11``, ``AlmaLinux:8``, ``Alpine:v3.18``, ``Packagist:https://packages.drupal.org/8``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

__all__ = [
    "ECOSYSTEMS",
    "Ecosystem",
    "Package",
    "base_ecosystem",
    "ecosystem_info",
    "name_key",
    "package_from_purl",
    "purl_for",
]


@dataclass(frozen=True, slots=True)
class Ecosystem:
    """One OSV ecosystem as the rest of the code needs it."""

    name: str
    """Canonical OSV ecosystem name without a release suffix (``Debian``, ``PyPI``)."""
    purl_type: str | None
    """Package-URL type (``deb``, ``pypi``); None when purl has no type for it."""
    ordering: str
    """Key of the version ordering in :mod:`clearinghouse.versions` (``pypi``, ``semver``...)."""
    purl_namespace: str | None = None
    """Fixed purl namespace for distributions (``debian``, ``almalinux``)."""
    case_insensitive: bool = False
    """Package names compare case-insensitively in this ecosystem's registry."""


_TABLE: tuple[Ecosystem, ...] = (
    Ecosystem("PyPI", "pypi", "pypi", case_insensitive=True),
    Ecosystem("npm", "npm", "semver"),
    Ecosystem("Go", "golang", "go"),
    Ecosystem("crates.io", "cargo", "semver", case_insensitive=True),
    Ecosystem("Hex", "hex", "semver", case_insensitive=True),
    Ecosystem("Maven", "maven", "maven"),
    Ecosystem("NuGet", "nuget", "nuget", case_insensitive=True),
    Ecosystem("RubyGems", "gem", "rubygems"),
    Ecosystem("Packagist", "composer", "packagist", case_insensitive=True),
    Ecosystem("Pub", "pub", "pub", case_insensitive=True),
    Ecosystem("Hackage", "hackage", "hackage"),
    Ecosystem("GHC", None, "hackage"),
    Ecosystem("CRAN", "cran", "cran"),
    Ecosystem("Bioconductor", None, "cran"),
    Ecosystem("Debian", "deb", "debian", "debian"),
    Ecosystem("Ubuntu", "deb", "debian", "ubuntu"),
    Ecosystem("Alpine", "apk", "apk", "alpine"),
    Ecosystem("Wolfi", "apk", "apk", "wolfi"),
    Ecosystem("Chainguard", "apk", "apk", "chainguard"),
    Ecosystem("MinimOS", "apk", "apk", "minimos"),
    Ecosystem("Alpaquita", "apk", "apk", "alpaquita"),
    Ecosystem("AlmaLinux", "rpm", "rpm", "almalinux"),
    Ecosystem("Rocky Linux", "rpm", "rpm", "rocky-linux"),
    Ecosystem("Red Hat", "rpm", "rpm", "redhat"),
    Ecosystem("openSUSE", "rpm", "rpm", "opensuse"),
    Ecosystem("SUSE", "rpm", "rpm", "suse"),
    Ecosystem("Mageia", "rpm", "rpm", "mageia"),
    Ecosystem("openEuler", "rpm", "rpm", "openeuler"),
    Ecosystem("Photon OS", "rpm", "rpm", "photon"),
    Ecosystem("Azure Linux", "rpm", "rpm", "azurelinux"),
    Ecosystem("Bitnami", "bitnami", "semver"),
    Ecosystem("ConanCenter", "conan", "semver"),
    Ecosystem("SwiftURL", "swift", "semver"),
    Ecosystem("GitHub Actions", "githubactions", "semver"),
    Ecosystem("Julia", "julia", "semver"),
    Ecosystem("opam", "opam", "debian"),
    Ecosystem("Echo", None, "debian"),
    Ecosystem("OSS-Fuzz", None, "none"),
    Ecosystem("Linux", None, "none"),
    Ecosystem("Android", None, "none"),
    Ecosystem("VSCode", None, "semver", case_insensitive=True),
)

ECOSYSTEMS: dict[str, Ecosystem] = {e.name: e for e in _TABLE}
_BY_LOWER: dict[str, Ecosystem] = {e.name.lower(): e for e in _TABLE}
# purl namespaces seen in the wild for distributions: rocky, rhel, ...
_RPM_NAMESPACES: dict[str, str] = {
    "almalinux": "AlmaLinux",
    "rocky": "Rocky Linux",
    "rocky-linux": "Rocky Linux",
    "rockylinux": "Rocky Linux",
    "redhat": "Red Hat",
    "rhel": "Red Hat",
    "opensuse": "openSUSE",
    "suse": "SUSE",
    "sles": "SUSE",
    "mageia": "Mageia",
    "openeuler": "openEuler",
    "photon": "Photon OS",
    "azurelinux": "Azure Linux",
    "mariner": "Azure Linux",
}
_DEB_NAMESPACES = {"debian": "Debian", "ubuntu": "Ubuntu"}
_APK_NAMESPACES = {
    "alpine": "Alpine",
    "wolfi": "Wolfi",
    "chainguard": "Chainguard",
    "minimos": "MinimOS",
    "alpaquita": "Alpaquita",
}
_PURL_TYPES: dict[str, str] = {
    e.purl_type: e.name for e in _TABLE if e.purl_type and e.purl_namespace is None
}
_PURL_TYPES["github"] = "GitHub Actions"

_PEP503 = re.compile(r"[-_.]+")


@lru_cache(maxsize=4096)
def base_ecosystem(ecosystem: str) -> str:
    """``Debian:11`` -> ``Debian``; ``Packagist:https://...`` -> ``Packagist``.

    Unknown ecosystems are returned unchanged up to the first colon.
    """
    base = ecosystem.split(":", 1)[0]
    info = _BY_LOWER.get(base.lower())
    return info.name if info else base


def ecosystem_info(ecosystem: str) -> Ecosystem | None:
    """The table row for an OSV ecosystem string (release suffix allowed), or None."""
    return _BY_LOWER.get(ecosystem.split(":", 1)[0].lower())


@lru_cache(maxsize=65536)
def name_key(ecosystem: str, name: str) -> str:
    """The package name as the matching index stores it.

    PyPI names are normalised per PEP 503; names in case-insensitive registries are lower-cased;
    everything else is kept exactly (Go module paths, Maven coordinates and Debian source
    packages are case-sensitive).
    """
    info = ecosystem_info(ecosystem)
    if info is None:
        return name
    if info.name == "PyPI":
        return _PEP503.sub("-", name).lower()
    if info.case_insensitive:
        return name.lower()
    return name


@dataclass(frozen=True, slots=True)
class Package:
    """An ecosystem package (and optionally a version) as OSV names it."""

    ecosystem: str
    """OSV ecosystem, with a release suffix when the purl carries one (``Debian:11``)."""
    name: str
    version: str | None


def _release_from_distro(info: Ecosystem, qualifiers: dict[str, str]) -> str | None:
    distro = qualifiers.get("distro") or qualifiers.get("os_distro")
    if not distro:
        return None
    value = distro
    ns = info.purl_namespace or ""
    for prefix in (ns + "-", ns, info.name.lower() + "-"):
        if prefix and value.lower().startswith(prefix):
            value = value[len(prefix) :]
            break
    value = value.strip("-")
    if not value:
        return None
    if info.name == "Alpine":
        # OSV wants v3.18; purls carry 3.18.4 or alpine-3.18.4
        parts = value.lstrip("v").split(".")
        return "v" + ".".join(parts[:2]) if parts[0].isdigit() else None
    if info.name in {"AlmaLinux", "Rocky Linux"}:
        major = value.split(".")[0]
        return major if major.isdigit() else None
    if info.name == "Debian":
        return _DEBIAN_CODENAMES.get(
            value.lower(), value.split(".")[0] if value[0].isdigit() else None
        )
    if info.name == "Ubuntu":
        return value if value[0].isdigit() else None
    return None


_DEBIAN_CODENAMES = {
    "buzz": "1.1",
    "hamm": "2.0",
    "slink": "2.1",
    "potato": "2.2",
    "woody": "3.0",
    "sarge": "3.1",
    "etch": "4",
    "lenny": "5",
    "squeeze": "6",
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
}


def package_from_purl(purl: str) -> Package | None:
    """Map a package URL to the OSV ecosystem, name and version it denotes.

    Returns None for purl types no OSV ecosystem covers (``generic``, ``docker``...).
    Raises ValueError when the string is not a package URL.
    """
    from packageurl import PackageURL

    p = PackageURL.from_string(purl)
    qualifiers: dict[str, str] = dict(p.qualifiers or {})
    version = p.version
    ptype = p.type
    ns = p.namespace
    ecosystem: str | None = None
    name = p.name

    if ptype == "alpine":  # older syft: pkg:alpine/musl@1.2.2-r7?distro=alpine-3.16.0
        ptype, ns = "apk", "alpine"
    if ptype in ("deb", "apk", "rpm"):
        table = {"deb": _DEB_NAMESPACES, "apk": _APK_NAMESPACES, "rpm": _RPM_NAMESPACES}[ptype]
        base = table.get((ns or "").lower())
        if base is None:
            return None
        info = ECOSYSTEMS[base]
        release = _release_from_distro(info, qualifiers)
        ecosystem = f"{base}:{release}" if release else base
        if ptype == "rpm" and version and qualifiers.get("epoch") and ":" not in version:
            version = f"{qualifiers['epoch']}:{version}"
        return Package(ecosystem, name, version)

    ecosystem = _PURL_TYPES.get(ptype)
    if ecosystem is None:
        return None
    if ptype == "maven":
        name = f"{ns}:{p.name}" if ns else p.name
    elif ptype in ("npm",):
        name = f"{ns}/{p.name}" if ns else p.name
    elif ptype in ("golang", "composer", "swift", "github", "githubactions"):
        name = f"{ns}/{p.name}" if ns else p.name
        if ptype == "golang" and version and version.startswith("v"):
            # OSV's Go records spell versions without the leading v
            version = version[1:]
    elif ptype == "pypi":
        name = p.name
    elif ns:
        name = f"{ns}/{p.name}"
    if ptype == "composer":
        repo = qualifiers.get("repository_url")
        if repo:
            ecosystem = f"Packagist:{repo if '://' in repo else 'https://' + repo}"
    return Package(ecosystem, name, version)


def purl_for(ecosystem: str, name: str, version: str | None = None) -> str | None:
    """Build the package URL for an OSV package; None when purl has no type for it."""
    from packageurl import PackageURL

    info = ecosystem_info(ecosystem)
    if info is None or info.purl_type is None:
        return None
    release = ecosystem.split(":", 1)[1] if ":" in ecosystem else None
    qualifiers: dict[str, str] = {}
    namespace: str | None = info.purl_namespace
    pname = name
    pversion = version
    if info.purl_type in ("maven",) and ":" in name:
        namespace, pname = name.split(":", 1)
    elif info.purl_type in ("npm", "golang", "composer", "swift", "githubactions") and "/" in name:
        namespace, pname = name.rsplit("/", 1)
    if info.purl_type == "golang" and pversion and not pversion.startswith("v"):
        pversion = "v" + pversion
    if info.purl_type == "composer" and release:
        qualifiers["repository_url"] = release.removeprefix("https://")
    elif release and info.purl_namespace:
        if info.name == "Debian":
            qualifiers["distro"] = f"debian-{release}"
        elif info.name == "Alpine":
            qualifiers["distro"] = release.lstrip("v")
        else:
            qualifiers["distro"] = f"{info.purl_namespace}-{release}"
    if info.purl_type == "rpm" and pversion and ":" in pversion:
        epoch, pversion = pversion.split(":", 1)
        qualifiers["epoch"] = epoch
    return str(
        PackageURL(
            type=info.purl_type,
            namespace=namespace,
            name=pname,
            version=pversion,
            qualifiers=qualifiers or None,
        ).to_string()
    )


def quote_name(name: str) -> str:
    """Percent-encode a package name for use in a URL path segment."""
    return quote(name, safe="")
