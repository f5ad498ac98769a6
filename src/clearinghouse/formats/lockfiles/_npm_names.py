"""npm package names, versions and dependency specs as the JavaScript lockfiles write them."""

from __future__ import annotations

import re

__all__ = ["is_git", "is_local", "is_package_name", "is_version", "split_descriptor"]

_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$")
_PACKAGE_NAME = re.compile(r"^(?:@[^/@\s]+/)?[^/@\s][^/\s]*$")
_GIT_PREFIXES = ("git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:")


def is_version(text: str) -> bool:
    """A registry version (semver), as opposed to a URL, path, tag or commit."""
    return _VERSION.match(text) is not None


def is_package_name(text: str) -> bool:
    """``name`` or ``@scope/name`` (npm's own validation is stricter; this rejects paths)."""
    return _PACKAGE_NAME.match(text) is not None


def is_git(spec: str) -> bool:
    return spec.startswith(_GIT_PREFIXES) or "codeload.github.com/" in spec or ".git#" in spec


def is_local(spec: str) -> bool:
    return spec.startswith(("file:", "link:", "portal:", "workspace:", "exec:"))


def split_descriptor(descriptor: str) -> tuple[str, str] | None:
    """``@scope/name@range`` -> (``@scope/name``, ``range``); None without a name or an ``@``."""
    at = descriptor.find("@", 1)
    if at <= 0:
        return None
    return descriptor[:at], descriptor[at + 1 :]
