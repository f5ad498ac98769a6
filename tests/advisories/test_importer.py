"""Importing OSV records: validation, idempotence, `modified` wins, atomic sources, zip bombs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.models import Advisory, AdvisoryAlias, AffectedPackage
from clearinghouse.advisories.queries import ids_for, records_for, search_advisories
from clearinghouse.advisories.sources import ZipArchive, local_sources
from clearinghouse.formats.errors import InputError
from clearinghouse.store import Database
from tests.conftest import shared_path

GIB = 1 << 30


def _record(advisory_id: str, modified: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": modified,
        "published": "2024-01-01T00:00:00Z",
        "aliases": [f"CVE-2024-{abs(hash(advisory_id)) % 90000 + 10000}"],
        "summary": f"summary of {advisory_id}",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Example_Pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ],
            }
        ],
    }
    record.update(extra)
    return record


def _write(directory: Path, name: str, record: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(record if isinstance(record, str) else json.dumps(record))
    return path


def _counts(db: Database) -> tuple[int, int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Advisory)) or 0,
            s.scalar(select(func.count()).select_from(AdvisoryAlias)) or 0,
            s.scalar(select(func.count()).select_from(AffectedPackage)) or 0,
        )


def test_real_pypi_archive_imports_and_reports_each_invalid_record(db: Database) -> None:
    archive = shared_path("osv", "PyPI", "all.zip")
    report = AdvisoryImporter(db).import_sources(local_sources(archive, GIB))

    pypi = report.counts["PyPI"]
    # 2,661 records, of which 7 have GIT `fixed` events that are not full commit ids (MANIFEST.md)
    assert pypi.invalid == 7
    assert pypi.new == 2661 - 7
    assert pypi.withdrawn == 10
    bad = {b.id: b for b in report.bad}
    assert {"PYSEC-2017-27", "PYSEC-2019-155", "PYSEC-2021-371"} <= set(bad)
    assert bad["PYSEC-2019-155"].origin.endswith("all.zip:PYSEC-2019-155.json")
    reason = bad["PYSEC-2019-155"].reason
    assert "events/1" in reason
    assert "4e7d0df9093" in reason
    assert _counts(db)[0] == 2654


def test_reimport_is_idempotent(db: Database) -> None:
    archive = shared_path("osv", "crates.io", "all.zip")
    importer = AdvisoryImporter(db)
    first = importer.import_sources(local_sources(archive, GIB))
    before = _counts(db)
    second = importer.import_sources(local_sources(archive, GIB))

    assert first.counts["crates.io"].new == 1206
    assert second.counts["crates.io"].new == 0
    assert second.counts["crates.io"].updated == 0
    assert second.counts["crates.io"].unchanged == 1206
    assert second.changed == []
    assert _counts(db) == before


def test_newer_modified_wins_and_older_is_ignored(db: Database, tmp_path: Path) -> None:
    importer = AdvisoryImporter(db)
    v1 = _record("PYSEC-9999-1", "2024-02-01T00:00:00Z", summary="first")
    v2 = _record(
        "PYSEC-9999-1", "2024-03-01T00:00:00.5Z", summary="second", aliases=["CVE-2024-0002"]
    )
    old = _record("PYSEC-9999-1", "2024-01-01T00:00:00Z", summary="stale copy")

    importer.import_sources(local_sources(_write(tmp_path / "a", "r.json", v1), GIB))
    report = importer.import_sources(local_sources(_write(tmp_path / "b", "r.json", v2), GIB))
    assert report.counts["PyPI"].updated == 1
    assert report.changed == ["PYSEC-9999-1"]
    report = importer.import_sources(local_sources(_write(tmp_path / "c", "r.json", old), GIB))
    assert report.counts["PyPI"].unchanged == 1

    [stored] = records_for(db, "PYSEC-9999-1")
    assert stored["summary"] == "second"
    # aliases follow the winning copy: the old alias is gone, the new one is searchable
    assert ids_for(db, "CVE-2024-0002") == ["PYSEC-9999-1"]
    assert _counts(db) == (1, 1, 1)


def test_bad_records_are_reported_and_skipped_not_fatal(db: Database, tmp_path: Path) -> None:
    directory = tmp_path / "osv"
    _write(directory, "good.json", _record("PYSEC-9999-2", "2024-02-01T00:00:00Z"))
    _write(directory, "broken.json", '{"id": "PYSEC-9999-3", "modified": ')
    _write(directory, "list.json", "[1, 2]")
    _write(directory, "noschema.json", {"id": "PYSEC-9999-4", "affected": "everything"})

    report = AdvisoryImporter(db).import_sources(local_sources(directory, GIB))

    assert report.counts["PyPI"].new == 1
    reasons = {Path(b.origin).name: (b.id, b.reason) for b in report.bad}
    assert set(reasons) == {"broken.json", "list.json", "noschema.json"}
    assert "not valid JSON" in reasons["broken.json"][1]
    assert reasons["list.json"][1] == "not a JSON object"
    assert reasons["noschema.json"][0] == "PYSEC-9999-4"
    assert "OSV schema" in reasons["noschema.json"][1]
    assert _counts(db)[0] == 1


def test_a_corrupt_archive_leaves_the_database_as_it_was(db: Database, tmp_path: Path) -> None:
    importer = AdvisoryImporter(db)
    importer.import_sources(
        local_sources(
            _write(tmp_path / "d", "r.json", _record("PYSEC-9999-5", "2024-02-01T00:00:00Z")), GIB
        )
    )
    before = _counts(db)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(50):
            archive.writestr(
                f"PYSEC-8888-{n}.json",
                json.dumps(_record(f"PYSEC-8888-{n}", "2024-02-01T00:00:00Z")),
            )
    data = bytearray(buffer.getvalue())
    # flip bytes inside the compressed data of a late member: its CRC check fails mid-import
    data[len(data) // 2 + 200 : len(data) // 2 + 260] = b"\x00" * 60
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(data))

    with pytest.raises(InputError, match="corrupt"):
        importer.import_sources(local_sources(corrupt, GIB))
    assert _counts(db) == before


def test_zip_bomb_is_refused_by_bytes_read_not_by_declared_size(
    db: Database, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(4):
            archive.writestr(f"BOMB-{n}.json", b" " * (4 << 20))  # 16 MiB of spaces, ~16 KiB zipped
    assert bomb.stat().st_size < 200_000
    source = ZipArchive(bomb, "bomb", max_total_bytes=8 << 20)

    with pytest.raises(InputError, match="zip bomb") as caught:
        AdvisoryImporter(db).import_sources([source])
    assert caught.value.status == 413
    assert _counts(db) == (0, 0, 0)


def test_withdrawn_records_are_kept_and_searchable(db: Database, tmp_path: Path) -> None:
    withdrawn = _record("PYSEC-9999-6", "2024-02-01T00:00:00Z", withdrawn="2024-02-02T00:00:00Z")
    report = AdvisoryImporter(db).import_sources(
        local_sources(_write(tmp_path, "w.json", withdrawn), GIB)
    )
    assert report.counts["PyPI"].withdrawn == 1
    [found] = search_advisories(db, "PYSEC-9999-6")
    assert found["withdrawn"] == "2024-02-02T00:00:00Z"


def test_aliases_are_searchable_both_ways(db: Database) -> None:
    AdvisoryImporter(db).import_sources(
        local_sources(shared_path("osv", "crates.io", "all.zip"), GIB)
    )
    assert ids_for(db, "CVE-2016-10932") == ["RUSTSEC-2016-0002"]
    assert ids_for(db, "GHSA-9xjr-m6f3-v5wm") == ["RUSTSEC-2016-0002"]
    [record] = records_for(db, "CVE-2016-10932")
    assert record["id"] == "RUSTSEC-2016-0002"
    by_alias_prefix = search_advisories(db, "GHSA-9xjr")
    assert [row["id"] for row in by_alias_prefix] == ["RUSTSEC-2016-0002"]
    by_package = {
        row["id"] for row in search_advisories(db, "hyper", ecosystem="crates.io", limit=500)
    }
    assert {"RUSTSEC-2016-0002", "RUSTSEC-2017-0002"} <= by_package
