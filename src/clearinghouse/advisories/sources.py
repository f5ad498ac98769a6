"""Where OSV records come from: ``all.zip`` archives, directories, single files and URLs.

A source yields :class:`RawRecord` (origin name + bytes); it never parses them. Archives are read
with zip-bomb guards (per-record and total uncompressed limits, checked on the bytes actually
read, not the sizes the archive declares). Remote archives are downloaded to a temporary file
with conditional requests (ETag / Last-Modified), so an unchanged feed costs one request.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from clearinghouse.formats.errors import InputError, InputTooLarge

if TYPE_CHECKING:
    import httpx

MAX_RECORD_BYTES = 32 * 1024 * 1024
"""No single OSV record is anywhere near this; a bigger member is refused as hostile."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    origin: str
    """Where the bytes came from, for reports: ``PyPI/all.zip:PYSEC-2021-1.json``."""
    data: bytes


class AdvisorySource(Protocol):
    label: str
    """Short name shown in progress and reports (``PyPI``, a path, a URL)."""

    def count(self) -> int | None:
        """Number of records, when known up front (for the progress bar)."""

    def records(self) -> Iterator[RawRecord]: ...


@dataclass
class ZipArchive:
    """An OSV ``all.zip``: one ``<ID>.json`` per advisory."""

    path: Path
    label: str
    max_total_bytes: int
    origin_prefix: str = ""
    _names: list[zipfile.ZipInfo] | None = field(default=None, repr=False)

    def _open(self) -> zipfile.ZipFile:
        try:
            return zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            raise InputError(str(self.path), f"is not a readable zip archive: {exc}") from None
        except OSError as exc:
            raise InputError(str(self.path), f"cannot be read: {exc.strerror or exc}") from None

    def _members(self, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
        return [
            info
            for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith(".json")
        ]

    def count(self) -> int | None:
        with self._open() as archive:
            return len(self._members(archive))

    def records(self) -> Iterator[RawRecord]:
        total = 0
        prefix = self.origin_prefix or self.path.name
        with self._open() as archive:
            for info in self._members(archive):
                origin = f"{prefix}:{info.filename}"
                if info.file_size > MAX_RECORD_BYTES:
                    raise InputTooLarge(origin, info.file_size, MAX_RECORD_BYTES)
                try:
                    with archive.open(info) as member:
                        data = member.read(MAX_RECORD_BYTES + 1)
                except (
                    zipfile.BadZipFile,
                    zipfile.LargeZipFile,
                    zlib.error,
                    OSError,
                    EOFError,
                ) as exc:
                    raise InputError(origin, f"archive member is corrupt: {exc}") from None
                except NotImplementedError as exc:
                    raise InputError(origin, f"unsupported zip compression: {exc}") from None
                if len(data) > MAX_RECORD_BYTES:
                    raise InputTooLarge(origin, len(data), MAX_RECORD_BYTES)
                total += len(data)
                if total > self.max_total_bytes:
                    raise InputError(
                        str(self.path),
                        f"expands to more than {self.max_total_bytes} bytes "
                        "(CLEARINGHOUSE_MAX_ARCHIVE_BYTES); refusing a possible zip bomb",
                        status=413,
                    )
                yield RawRecord(origin, data)


@dataclass
class JsonFiles:
    """A directory tree of ``*.json`` OSV records, or a single record file."""

    path: Path
    label: str

    def _files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*.json") if p.is_file())

    def count(self) -> int | None:
        return len(self._files())

    def records(self) -> Iterator[RawRecord]:
        for file in self._files():
            size = file.stat().st_size
            if size > MAX_RECORD_BYTES:
                raise InputTooLarge(str(file), size, MAX_RECORD_BYTES)
            yield RawRecord(str(file), file.read_bytes())


def local_sources(path: Path, max_total_bytes: int) -> list[AdvisorySource]:
    """Sources for a local path: an archive, a bucket-layout tree of archives, or JSON files."""
    if not path.exists():
        raise InputError(str(path), "does not exist")
    if path.is_file():
        if zipfile.is_zipfile(path):
            return [ZipArchive(path, _archive_label(path), max_total_bytes)]
        if path.suffix.lower() == ".json":
            return [JsonFiles(path, path.name)]
        raise InputError(str(path), "is neither a zip archive nor an OSV .json record")
    archives = sorted(path.glob("*/all.zip"))
    if archives:
        return [
            ZipArchive(a, a.parent.name, max_total_bytes, origin_prefix=f"{a.parent.name}/all.zip")
            for a in archives
        ]
    if (path / "all.zip").is_file():
        return [ZipArchive(path / "all.zip", path.name, max_total_bytes)]
    return [JsonFiles(path, str(path))]


def _archive_label(path: Path) -> str:
    return path.parent.name if path.name == "all.zip" and path.parent.name else path.stem


# -- remote -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators remembered between syncs."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Download:
    url: str
    path: Path | None
    """The downloaded file, or None when the server said it has not changed (304)."""
    validators: Validators


def archive_url(base_url: str, ecosystem: str) -> str:
    return f"{base_url.rstrip('/')}/{quote(ecosystem, safe='')}/all.zip"


def http_client(timeout: float) -> httpx.Client:
    import httpx

    from clearinghouse import __version__

    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        headers={"User-Agent": f"clearinghouse/{__version__}"},
    )


def download(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    previous: Validators | None = None,
    directory: Path | None = None,
) -> Download:
    """Stream ``url`` to a temporary file, refusing more than ``max_bytes``."""
    import httpx

    headers: dict[str, str] = {}
    if previous and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Download(url, None, previous or Validators())
            if response.status_code != 200:
                raise InputError(url, f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InputTooLarge(url, int(declared), max_bytes)
            fd, name = tempfile.mkstemp(prefix="clearinghouse-", suffix=".download", dir=directory)
            received = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        received += len(chunk)
                        if received > max_bytes:
                            raise InputTooLarge(url, received, max_bytes)
                        out.write(chunk)
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
            return Download(
                url,
                Path(name),
                Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")),
            )
    except httpx.HTTPError as exc:
        raise InputError(url, f"download failed: {exc}", status=502) from None


def fetch_text(client: httpx.Client, url: str, max_bytes: int = 1 << 20) -> str:
    result = download(client, url, max_bytes=max_bytes)
    assert result.path is not None
    try:
        return result.path.read_text(encoding="utf-8")
    finally:
        result.path.unlink(missing_ok=True)
