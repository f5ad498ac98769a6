"""Import advisories and KEV from where users point: local paths, URL bases, the OSV bucket.

This is the I/O side of the knowledge base: it resolves a location to sources, downloads remote
archives (remembering ETag/Last-Modified per feed so an unchanged feed is not downloaded again)
and hands the sources to :class:`AdvisoryImporter`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from clearinghouse.advisories.importer import (
    AdvisoryImporter,
    ChangeListener,
    ImportReport,
    ProgressCallback,
)
from clearinghouse.advisories.kev import KevImportReport, store_kev_catalog
from clearinghouse.advisories.models import FeedState
from clearinghouse.advisories.sources import (
    AdvisorySource,
    Validators,
    ZipArchive,
    archive_url,
    download,
    fetch_text,
    http_client,
    local_sources,
)
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.kev import parse_kev
from clearinghouse.settings import Settings
from clearinghouse.store import Database, utcnow

ProgressFactory = Callable[[AdvisorySource], ProgressCallback]


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


@dataclass
class RemoteArchive:
    """An ``all.zip`` at a URL, identified for feed state by ``feed``."""

    url: str
    feed: str
    label: str


def remote_archives(
    base_or_url: str, settings: Settings, ecosystems: Sequence[str] = ()
) -> list[RemoteArchive]:
    """A URL to one archive, or a bucket base with ``ecosystems`` (default: its ecosystems.txt)."""
    if base_or_url.rstrip("/").endswith(".zip"):
        url = base_or_url
        label = url.rstrip("/").rsplit("/", 2)[-2] if url.endswith("/all.zip") else url
        return [RemoteArchive(url, f"osv:{url}", label)]
    base = base_or_url.rstrip("/")
    names = list(ecosystems)
    if not names:
        with http_client(settings.http_timeout) as client:
            listing = fetch_text(client, f"{base}/ecosystems.txt")
        names = [line.strip() for line in listing.splitlines() if line.strip()]
    return [RemoteArchive(archive_url(base, name), f"osv:{base}/{name}", name) for name in names]


@contextmanager
def downloaded_sources(
    db: Database, settings: Settings, archives: Sequence[RemoteArchive], *, force: bool = False
) -> Iterator[tuple[list[AdvisorySource], list[str]]]:
    """Download archives that changed since the last sync; yields (sources, unchanged labels).

    Feed validators are saved only after the caller's block succeeds, so a failed import is
    downloaded again next time.
    """
    sources: list[AdvisorySource] = []
    unchanged: list[str] = []
    fresh: list[tuple[RemoteArchive, Validators]] = []
    with ExitStack() as cleanup, http_client(settings.http_timeout) as client:
        for archive in archives:
            previous = None if force else _validators(db, archive.feed)
            result = download(
                client, archive.url, max_bytes=settings.max_archive_bytes, previous=previous
            )
            if result.path is None:
                unchanged.append(archive.label)
                continue
            path = result.path
            cleanup.callback(path.unlink, missing_ok=True)
            sources.append(
                ZipArchive(
                    path,
                    archive.label,
                    settings.max_archive_bytes,
                    origin_prefix=f"{archive.label}/all.zip",
                )
            )
            fresh.append((archive, result.validators))
        yield sources, unchanged
        with db.session() as session:
            for archive, validators in fresh:
                state = session.get(FeedState, archive.feed) or FeedState(name=archive.feed)
                state.location = archive.url
                state.etag = validators.etag
                state.last_modified = validators.last_modified
                state.fetched_at = utcnow()
                session.add(state)


def _validators(db: Database, feed: str) -> Validators | None:
    with db.session() as session:
        state = session.scalars(select(FeedState).where(FeedState.name == feed)).first()
        if state is None:
            return None
        return Validators(state.etag, state.last_modified)


def import_locations(
    db: Database,
    settings: Settings,
    locations: Sequence[str],
    importer: AdvisoryImporter,
    *,
    ecosystems: Sequence[str] = (),
    progress: ProgressFactory | None = None,
    force: bool = False,
) -> tuple[ImportReport, list[str]]:
    """Import every location (path or URL); returns the report and feeds found unchanged."""
    report = ImportReport()
    unchanged: list[str] = []
    for location in locations:
        if is_url(location):
            archives = remote_archives(location, settings, ecosystems)
            with downloaded_sources(db, settings, archives, force=force) as (sources, same):
                report.merge(importer.import_sources(sources, progress))
                unchanged.extend(same)
        else:
            sources = local_sources(Path(location).expanduser(), settings.max_archive_bytes)
            report.merge(importer.import_sources(sources, progress))
    return report, unchanged


def load_kev(
    db: Database,
    settings: Settings,
    location: str | None,
    listeners: Iterable[ChangeListener] = (),
) -> KevImportReport:
    """Load the KEV catalog from a file or URL (default: CISA's feed); see ``store_kev_catalog``."""
    where = location or settings.kev_url
    if is_url(where):
        with http_client(settings.http_timeout) as client:
            result = download(client, where, max_bytes=settings.max_input_bytes)
        assert result.path is not None
        try:
            data = result.path.read_bytes()
        finally:
            result.path.unlink(missing_ok=True)
    else:
        path = Path(where).expanduser()
        if not path.is_file():
            raise InputError(where, "does not exist or is not a file")
        size = path.stat().st_size
        if size > settings.max_input_bytes:
            from clearinghouse.formats.errors import InputTooLarge

            raise InputTooLarge(where, size, settings.max_input_bytes)
        data = path.read_bytes()
    return store_kev_catalog(db, parse_kev(where, data), where, listeners)
