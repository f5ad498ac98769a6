"""The OSV API's read side: queries as osv.dev takes them, answered from the public knowledge base.

https://google.github.io/osv.dev/api/ defines three calls: ``POST /v1/query``,
``POST /v1/querybatch`` and ``GET /v1/vulns/{id}``. This module parses their queries with
osv.dev's rules (proto3 JSON: unknown fields refused, empty strings are unset; a package by
``name`` + ``ecosystem`` or by ``purl``, never both) and answers them.

Embargo invariant: the OSV API is public (no token, like osv.dev), so it may read only
:data:`PUBLIC_TABLES`, through :class:`PublicKnowledgeBase` and nothing else. The ``advisory``
table holds published advisories only: embargoed material (disclosure cases, unpublished
findings) lives in its own tables and reaches ``advisory`` only when it is published.
``tests/api/test_osv_api.py`` records every SQL statement an OSV request runs and fails if one
reads any other table.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import func, select, tuple_

from clearinghouse.advisories.matching import Matcher, release_matches
from clearinghouse.advisories.models import Advisory, AffectedPackage
from clearinghouse.ecosystems import ecosystem_info, name_key, package_from_purl
from clearinghouse.formats.inventory import Component
from clearinghouse.formats.osv import format_timestamp, parse_timestamp
from clearinghouse.store import Database

__all__ = [
    "MAX_BATCH_QUERIES",
    "PAGE_SIZE",
    "PUBLIC_TABLES",
    "OsvApiError",
    "PackageQuery",
    "PublicKnowledgeBase",
    "VulnRef",
    "next_page_token",
    "parse_batch",
    "parse_query",
    "public_record",
]

PUBLIC_TABLES = frozenset({"advisory", "advisory_alias", "affected_package", "kev_entry"})
"""The only tables the OSV API reads: published advisories, their index and CISA KEV."""

MAX_BATCH_QUERIES = 1000
"""osv.dev's limit for one ``/v1/querybatch`` request."""

PAGE_SIZE = 1000
"""Vulnerabilities per query and page; more get a ``next_page_token`` (osv.dev's size)."""

_CHUNK = 500
_QUERY_FIELDS = frozenset({"package", "version", "commit", "page_token", "pageToken"})
_PACKAGE_FIELDS = frozenset({"name", "ecosystem", "purl"})
_TIMESTAMPS = ("modified", "published", "withdrawn")


class OsvApiError(Exception):
    """A request osv.dev would refuse: ``code`` is the gRPC status code it answers with."""

    def __init__(self, message: str, *, code: int = 3, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    @classmethod
    def not_found(cls, message: str) -> OsvApiError:
        return cls(message, code=5, status=404)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class PackageQuery:
    """One query, resolved to what the knowledge base is asked."""

    ecosystem: str | None
    """Canonical OSV ecosystem (release suffix kept); None for a name-only query."""
    name: str
    version: str | None
    """None: every advisory of the package (osv.dev's package query)."""
    offset: int = 0
    """Where this page starts (from ``page_token``)."""
    by_purl: bool = False
    unsupported: bool = False
    """A purl type no OSV ecosystem covers: osv.dev answers with no vulnerabilities."""

    @property
    def fingerprint(self) -> str:
        """Identifies the query, so that a page token is not replayed on another one."""
        return _fingerprint(self.ecosystem, self.name, self.version, self.by_purl)


@dataclass(frozen=True, slots=True, order=True)
class VulnRef:
    """What ``/v1/querybatch`` returns per vulnerability."""

    id: str
    modified: datetime

    def minimal(self) -> dict[str, str]:
        return {"id": self.id, "modified": _timestamp(self.modified)}


@lru_cache(maxsize=1 << 16)
def _timestamp(value: datetime) -> str:
    return format_timestamp(value)


def _fingerprint(ecosystem: str | None, name: str, version: str | None, by_purl: bool) -> str:
    return hashlib.sha256(orjson.dumps([ecosystem, name, version, by_purl])).hexdigest()[:16]


# -- parsing --------------------------------------------------------------------------------------


def _string(value: Any, where: str) -> str | None:
    """A proto3 string field: null and "" mean unset."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise OsvApiError(
            f"Invalid value at '{where}' (TYPE_STRING), {orjson.dumps(value).decode()[:80]}"
        )
    return value


def _object(value: Any, where: str, fields: frozenset[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OsvApiError(f"Invalid value at '{where}': expected a JSON object")
    for key in value:
        if key not in fields:
            raise OsvApiError(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': "
                "Cannot find field."
            )
    return value


def _canonical_ecosystem(ecosystem: str) -> str:
    info = ecosystem_info(ecosystem)
    if info is None:
        raise OsvApiError("Invalid ecosystem.")
    _, colon, release = ecosystem.partition(":")
    return info.name + colon + release


def _page_offset(token: str, fingerprint: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        owner, _, offset = raw.decode("ascii").partition(":")
        value = int(offset)
    except (ValueError, UnicodeDecodeError):
        raise OsvApiError("Invalid page token.") from None
    if owner != fingerprint or value <= 0:
        raise OsvApiError("Invalid page token.")
    return value


def next_page_token(query: PackageQuery, offset: int) -> str:
    raw = f"{query.fingerprint}:{offset}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_query(body: Any, where: str = "query") -> PackageQuery:
    """One query object as ``/v1/query`` takes it; raises :class:`OsvApiError` like osv.dev."""
    query = _object(body, where, _QUERY_FIELDS)
    version = _string(query.get("version"), f"{where}.version")
    commit = _string(query.get("commit"), f"{where}.commit")
    token = _string(query.get("page_token", query.get("pageToken")), f"{where}.page_token")
    if commit is not None:
        if version is not None:
            raise OsvApiError(f"Invalid query at '{where}': both commit and version are set.")
        raise OsvApiError(
            "Commit queries are not supported: this server matches package versions and "
            "has no index of affected git commits. Query by package and version."
        )
    package = _object(query.get("package"), f"{where}.package", _PACKAGE_FIELDS)
    name = _string(package.get("name"), f"{where}.package.name")
    ecosystem = _string(package.get("ecosystem"), f"{where}.package.ecosystem")
    purl = _string(package.get("purl"), f"{where}.package.purl")
    unsupported = False
    if purl is not None:
        if name is not None:
            raise OsvApiError("name specified in a PURL query")
        if ecosystem is not None:
            raise OsvApiError("ecosystem specified in a PURL query")
        try:
            resolved = package_from_purl(purl)
        except ValueError as exc:
            raise OsvApiError(f"Invalid Package URL: {exc}") from None
        if resolved is None:
            unsupported = True
            name, ecosystem = purl, None
        else:
            if resolved.version and version is not None:
                raise OsvApiError("version specified in params and PURL query")
            name, ecosystem = resolved.name, resolved.ecosystem
            version = version if version is not None else resolved.version
    if name is None or (ecosystem is None and version is None and not unsupported):
        raise OsvApiError("Invalid query.")
    if ecosystem is not None:
        ecosystem = _canonical_ecosystem(ecosystem)
    by_purl = purl is not None
    offset = 0
    if token is not None:
        offset = _page_offset(token, _fingerprint(ecosystem, name, version, by_purl))
    return PackageQuery(ecosystem, name, version, offset, by_purl, unsupported)


def parse_batch(body: Any) -> list[PackageQuery]:
    """The ``queries`` of a ``/v1/querybatch`` body (at most :data:`MAX_BATCH_QUERIES`)."""
    batch = _object(body, "query", frozenset({"queries"}))
    queries = batch.get("queries") or []
    if not isinstance(queries, list):
        raise OsvApiError("Invalid value at 'query.queries': expected a JSON array")
    if len(queries) > MAX_BATCH_QUERIES:
        raise OsvApiError("Too many queries.")
    return [parse_query(q, f"query.queries[{i}]") for i, q in enumerate(queries)]


# -- answering ------------------------------------------------------------------------------------


def public_record(stored: str | bytes) -> dict[str, Any]:
    """A stored record as the API serves it: timestamps in RFC 3339 UTC with ``Z``."""
    record: dict[str, Any] = orjson.loads(stored)
    for key in _TIMESTAMPS:
        value = record.get(key)
        if isinstance(value, str):
            record[key] = format_timestamp(parse_timestamp(value))
    return record


class PublicKnowledgeBase:
    """Everything the OSV API reads, and the only reader it has (see the embargo invariant).

    Keeps one warm :class:`Matcher` per process; a cheap check per request (count and newest
    import time of the ``advisory`` table) replaces it when advisories were imported since.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._matcher = Matcher(db)
        self._generation: tuple[int, datetime | None] | None = None
        self._lock = threading.Lock()

    def _current_matcher(self) -> Matcher:
        with self.db.session() as session:
            count, newest = session.execute(
                select(
                    select(func.count()).select_from(Advisory).scalar_subquery(),
                    select(func.max(Advisory.imported_at)).scalar_subquery(),
                )
            ).one()
        generation = (int(count), newest)
        with self._lock:
            if generation != self._generation:
                self._matcher = Matcher(self.db)
                self._generation = generation
            return self._matcher

    def match(self, queries: Sequence[PackageQuery]) -> list[list[VulnRef]]:
        """For each query, its non-withdrawn advisories sorted by id (all pages)."""
        matcher = self._current_matcher()
        expanded = self._expand_name_only(queries)
        found: list[dict[str, VulnRef]] = [{} for _ in queries]
        versioned: list[tuple[int, Component]] = []
        unversioned: list[tuple[int, str]] = []
        for index, query in enumerate(queries):
            if query.unsupported:
                continue
            ecosystems = [query.ecosystem] if query.ecosystem else expanded.get(query.name, [])
            for ecosystem in ecosystems:
                if query.version is None:
                    unversioned.append((index, ecosystem))
                else:
                    versioned.append((index, Component("", ecosystem, query.name, query.version)))
        if versioned:
            results = matcher.scan([component for _, component in versioned], remediation=False)
            for (index, _), result in zip(versioned, results, strict=True):
                for vulnerability in result.vulnerabilities:
                    facts = vulnerability.advisory
                    found[index][facts.id] = VulnRef(facts.id, facts.modified)
        if unversioned:
            for index, refs in self._package_advisories(queries, unversioned):
                found[index].update((ref.id, ref) for ref in refs)
        return [sorted(refs.values()) for refs in found]

    def _expand_name_only(self, queries: Iterable[PackageQuery]) -> dict[str, list[str]]:
        """Ecosystems whose advisories name each package of a query without an ecosystem."""
        names = sorted({q.name for q in queries if q.ecosystem is None and not q.unsupported})
        ecosystems: dict[str, list[str]] = defaultdict(list)
        if not names:
            return ecosystems
        with self.db.session() as session:
            for start in range(0, len(names), _CHUNK):
                rows = session.execute(
                    select(AffectedPackage.name, AffectedPackage.ecosystem)
                    .where(AffectedPackage.name.in_(names[start : start + _CHUNK]))
                    .distinct()
                    .order_by(AffectedPackage.name, AffectedPackage.ecosystem)
                )
                for name, ecosystem in rows:
                    ecosystems[name].append(ecosystem)
        return ecosystems

    def _package_advisories(
        self, queries: Sequence[PackageQuery], wanted: Sequence[tuple[int, str]]
    ) -> Iterable[tuple[int, list[VulnRef]]]:
        keys: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for index, ecosystem in wanted:
            info = ecosystem_info(ecosystem)
            assert info is not None
            key = (info.name, name_key(ecosystem, queries[index].name))
            keys[key].append((index, ecosystem))
        entries: dict[tuple[str, str], list[tuple[str, str, datetime]]] = defaultdict(list)
        ordered = sorted(keys)
        with self.db.session() as session:
            for start in range(0, len(ordered), _CHUNK):
                rows = session.execute(
                    select(
                        AffectedPackage.ecosystem_base,
                        AffectedPackage.name_key,
                        AffectedPackage.ecosystem,
                        Advisory.id,
                        Advisory.modified,
                    )
                    .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
                    .where(
                        tuple_(AffectedPackage.ecosystem_base, AffectedPackage.name_key).in_(
                            ordered[start : start + _CHUNK]
                        ),
                        Advisory.withdrawn.is_(None),
                    )
                )
                for base, name, ecosystem, advisory_id, modified in rows:
                    entries[(base, name)].append((ecosystem, advisory_id, modified))
        for package, askers in keys.items():
            for index, ecosystem in askers:
                yield (
                    index,
                    [
                        VulnRef(advisory_id, modified)
                        for entry_ecosystem, advisory_id, modified in entries.get(package, ())
                        if release_matches(ecosystem, entry_ecosystem)
                    ],
                )

    def records(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Full records of non-withdrawn advisories, by id."""
        out: dict[str, dict[str, Any]] = {}
        with self.db.session() as session:
            for start in range(0, len(ids), _CHUNK):
                rows = session.execute(
                    select(Advisory.id, Advisory.record).where(
                        Advisory.id.in_(ids[start : start + _CHUNK]),
                        Advisory.withdrawn.is_(None),
                    )
                )
                for advisory_id, stored in rows:
                    out[advisory_id] = public_record(stored)
        return out

    def record(self, advisory_id: str) -> dict[str, Any]:
        """One record by its id (withdrawn ones too, marked so, as osv.dev serves them)."""
        with self.db.session() as session:
            stored = session.scalar(select(Advisory.record).where(Advisory.id == advisory_id))
        if stored is None:
            raise OsvApiError.not_found("Bug not found.")
        return public_record(stored)
