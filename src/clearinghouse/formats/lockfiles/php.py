"""PHP: Composer's ``composer.lock``.

``packages`` are installed for production, ``packages-dev`` only with ``--dev``; the same
name@version listed twice counts once (production wins). Versions are written as the package
tagged them; Composer ignores a leading ``v`` (``v5.4.2`` is release ``5.4.2``) and so do
OSV's Packagist records, so it is dropped. Branch installs (``dev-main``, ``2.x-dev``) are kept
under their branch name with a warning: no advisory range can place them.

Packages served by the Drupal repository (``notification-url`` on packages.drupal.org) belong
to the OSV ecosystem ``Packagist:https://packages.drupal.org/<n>``, where the Drupal security
team publishes their advisories; everything else is Packagist proper.
"""

from __future__ import annotations

import re
from typing import Any

from clearinghouse.formats.inventory import Inventory, InventoryFormat, ParseContext
from clearinghouse.formats.lockfiles._packages import Checked, Packages, listing
from clearinghouse.formats.safety import loads_json

__all__ = ["FORMATS", "parse_composer_lock"]

ECOSYSTEM = "Packagist"
_DRUPAL_REPOSITORY = re.compile(r"(https://packages\.drupal\.org/\d+)/downloads/?")
_LEADING_V = re.compile(r"[vV](?=\d)")


def parse_composer_lock(data: bytes, ctx: ParseContext) -> Inventory:
    check = Checked(ctx.source)
    doc = check.mapping(loads_json(ctx.source, data), "the document")
    if "packages" not in doc and "packages-dev" not in doc:
        check.fail("the document", "has neither 'packages' nor 'packages-dev': not a composer.lock")
    packages = Packages()
    branches: list[str] = []
    for key, dev in (("packages", False), ("packages-dev", True)):
        for i, raw in enumerate(check.optional_sequence(doc, key, "")):
            where = f"{key}[{i}]"
            entry = check.mapping(raw, where)
            name = check.required_string(entry, "name", where)
            version = _LEADING_V.sub("", check.required_string(entry, "version", where), count=1)
            if version.startswith("dev-") or version.endswith("x-dev"):
                branches.append(f"{name} {version}")
            packages.add(_ecosystem(check, entry, where), name, version, dev=dev)
    if branches:
        packages.warn(
            "packages installed from a branch have no release version for advisories to "
            f"match: {listing(branches)}"
        )
    return packages.inventory("composer.lock")


def _ecosystem(check: Checked, entry: dict[str, Any], where: str) -> str:
    url = check.optional_string(entry, "notification-url", where)
    m = _DRUPAL_REPOSITORY.fullmatch(url or "")
    return f"{ECOSYSTEM}:{m[1]}" if m else ECOSYSTEM


def _sniff(head: bytes) -> bool:
    return b'"content-hash"' in head and b'"packages"' in head


FORMATS = (
    InventoryFormat(
        name="composer.lock",
        parse=parse_composer_lock,
        filenames=("composer.lock",),
        sniff=_sniff,
    ),
)
