"""Ruby: Bundler's ``Gemfile.lock`` (``gems.locked``).

Bundler writes sections at column 0. The source sections (``GEM``, ``GIT``, ``PATH``,
``PLUGIN SOURCE``) hold options at two spaces and, under ``specs:``, one gem per line at four
spaces as ``name (version[-platform])`` with that gem's own requirements at six spaces.
Platform-specific gems (``nokogiri (1.13.6-x86_64-linux)``) are the same release as the
plain one: the version is everything before the first ``-``, as Bundler reads it, and the
platform copies count once.

``GEM`` and ``GIT`` gems are listed (a git gem's version is its gemspec version). ``PATH`` gems
are local directories, not published releases, and are left out with a warning. ``PLATFORMS``,
``DEPENDENCIES``, ``RUBY VERSION``, ``BUNDLED WITH`` and ``CHECKSUMS`` list no other gems.
Bundler records no groups in the lockfile, so no gem is marked development-only.
"""

from __future__ import annotations

import re
from typing import NoReturn

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._packages import Packages, listing
from clearinghouse.formats.safety import decode_text

__all__ = ["FORMATS", "parse_gemfile_lock"]

ECOSYSTEM = "RubyGems"
_SOURCE_SECTIONS = frozenset({"GEM", "GIT", "PATH", "PLUGIN SOURCE"})
_SPEC = re.compile(
    r"(?P<name>[A-Za-z0-9._-]+) \((?P<version>[^-()\s]+)(?:-(?P<platform>[^()\s]+))?\)"
)
_DEPENDENCY = re.compile(r"[A-Za-z0-9._-]+!?(?: \([^()]*\))?")
_SECTION = re.compile(r"[A-Z][A-Z ]*")


def parse_gemfile_lock(data: bytes, ctx: ParseContext) -> Inventory:
    text = decode_text(ctx.source, data)
    packages = Packages()
    local: list[str] = []
    section: str | None = None
    in_specs = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            if not _SECTION.fullmatch(line.rstrip()):
                _fail(ctx.source, number, f"expected a section name such as GEM, got {line!r}")
            section, in_specs = line.rstrip(), False
            continue
        if section is None:
            _fail(ctx.source, number, "indented line before the first section")
        if section not in _SOURCE_SECTIONS:
            continue
        body = line.strip()
        if indent == 2:
            in_specs = body == "specs:"
        elif indent == 4 and in_specs:
            name, version = _spec(ctx.source, number, body)
            if section == "PATH":
                local.append(f"{name} {version}")
            else:
                packages.add(ECOSYSTEM, name, version)
        elif indent == 6 and in_specs:
            if not _DEPENDENCY.fullmatch(body):
                _fail(ctx.source, number, f"dependency line {body!r} is not 'name (requirement)'")
        else:
            _fail(ctx.source, number, f"unexpected indentation ({indent} spaces) in {section}")
    if local:
        packages.warn(
            f"gems from local directories (PATH) are not published releases and were not "
            f"listed: {listing(local)}"
        )
    return packages.inventory("Gemfile.lock")


def _spec(source: str, number: int, body: str) -> tuple[str, str]:
    m = _SPEC.fullmatch(body)
    if m is None:
        _fail(source, number, f"spec {body!r} is not 'name (version)'")
    return m["name"], m["version"]


def _fail(source: str, number: int, reason: str) -> NoReturn:
    raise InputError(source, f"line {number}: {reason}")


def _sniff(head: bytes) -> bool:
    return re.search(rb"(?m)^(GEM|GIT|PATH)\r?\n  remote: ", head) is not None and (
        b"\n  specs:" in head
    )


FORMATS = (
    InventoryFormat(
        name="Gemfile.lock",
        parse=parse_gemfile_lock,
        filenames=("Gemfile.lock", "gems.locked"),
        sniff=_sniff,
    ),
)
