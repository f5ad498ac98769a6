"""PyPI version order: PEP 440, with pre-PEP 440 ("legacy") strings ordered as setuptools did.

A PEP 440 version compares by epoch, release (trailing zeros ignored), pre-release, post-release,
dev-release and local label, exactly as ``packaging.version.Version`` (the tests check this
against ``packaging`` itself). The parser is the PEP 440 Appendix B regular expression, compiled
once; it is several times faster than building ``packaging`` objects, which matters for a cold
scan.

A string PEP 440 rejects is a legacy version: it sorts before every PEP 440 version and legacy
versions compare by setuptools' old ``parse_version`` parts (``pre``/``preview``/``rc`` -> ``c``,
``dev`` -> ``@``, numbers zero-padded), joined into one string as osv-scalibr compares them.
"""

from __future__ import annotations

import re

from clearinghouse.versions._common import DIGITS, is_ascii_number

__all__ = ["key", "legacy_key"]

_PEP440 = re.compile(
    r"""
    ^\s*v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PRE_PHASE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_LOCAL_SEPARATORS = re.compile(r"[-_.]")
_LEGACY_PARTS = re.compile(r"[0-9]+|[a-z]+|\.|-")
_LEGACY_REPLACE = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}

_NO_PRE = (3, 0)
_DEV_ONLY = (-1, 0)
_NO_DEV = (1, 0)


def _local_part(part: str) -> tuple[int, int, str]:
    if is_ascii_number(part):
        return (1, int(part), "")
    return (0, 0, part)


def key(version: str) -> tuple[object, ...]:
    match = _PEP440.match(version)
    if match is None:
        return legacy_key(version)
    groups = match.groupdict()
    release = [int(part) for part in groups["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    post_number = groups["post_n1"] or groups["post_n2"]
    has_post = groups["post"] is not None
    has_dev = groups["dev"] is not None
    if groups["pre"] is not None:
        pre = (_PRE_PHASE[groups["pre_l"].lower()], int(groups["pre_n"] or 0))
    elif has_dev and not has_post:
        pre = _DEV_ONLY
    else:
        pre = _NO_PRE
    post = int(post_number or 0) if has_post else -1
    dev = (0, int(groups["dev_n"] or 0)) if has_dev else _NO_DEV
    local = groups["local"]
    local_key = (
        tuple(_local_part(p) for p in _LOCAL_SEPARATORS.split(local.lower())) if local else ()
    )
    return (1, int(groups["epoch"] or 0), tuple(release), pre, post, dev, local_key)


def legacy_key(version: str) -> tuple[object, ...]:
    parts: list[str] = []
    for raw in [*_LEGACY_PARTS.findall(version.lower()), "final"]:
        if raw == ".":
            continue
        part = _LEGACY_REPLACE.get(raw, raw)
        part = part.zfill(8) if part[0] in DIGITS else "*" + part
        if part.startswith("*"):
            if part < "*final":
                while parts and parts[-1] == "*final-":
                    parts.pop()
            while parts and parts[-1] == "00000000":
                parts.pop()
        parts.append(part)
    return (0, "".join(parts))
