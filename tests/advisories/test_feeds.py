"""Remote feeds over real HTTP (a loopback server serving the shared data in the bucket layout)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from clearinghouse.advisories.feeds import import_locations, load_kev
from clearinghouse.advisories.importer import AdvisoryImporter
from clearinghouse.advisories.queries import knowledge_base_stats
from clearinghouse.formats.errors import InputError
from clearinghouse.settings import Settings
from clearinghouse.store import Database
from tests.conftest import shared_path


def _settings(base: str) -> Settings:
    return Settings(
        osv_base_url=f"{base}/osv", kev_url=f"{base}/kev/known_exploited_vulnerabilities.json"
    )


def test_sync_downloads_listed_ecosystems_then_skips_unchanged_feeds(
    db: Database, shared_http: str
) -> None:
    settings = _settings(shared_http)
    importer = AdvisoryImporter(db)

    report, unchanged = import_locations(
        db, settings, [settings.osv_base_url], importer, ecosystems=["CRAN", "Packagist"]
    )
    assert unchanged == []
    assert report.counts["CRAN"].new == 14
    assert report.counts["Packagist"].new == 591

    report, unchanged = import_locations(
        db, settings, [settings.osv_base_url], importer, ecosystems=["CRAN", "Packagist"]
    )
    assert sorted(unchanged) == ["CRAN", "Packagist"]  # 304 Not Modified: nothing downloaded
    assert report.records == 0

    feeds = {f["name"] for f in knowledge_base_stats(db)["feeds"]}
    assert feeds == {f"osv:{settings.osv_base_url}/CRAN", f"osv:{settings.osv_base_url}/Packagist"}


def test_bucket_base_without_ecosystems_reads_ecosystems_txt(
    sqlite_db: Database, shared_http: str
) -> None:
    settings = _settings(shared_http)
    listed = shared_path("osv", "ecosystems.txt").read_text().split()
    report, _ = import_locations(
        sqlite_db, settings, [settings.osv_base_url], AdvisoryImporter(sqlite_db)
    )
    assert sorted(report.sources) == sorted(listed)


def test_a_direct_archive_url_is_imported(sqlite_db: Database, shared_http: str) -> None:
    settings = _settings(shared_http)
    report, _ = import_locations(
        sqlite_db, settings, [f"{shared_http}/osv/CRAN/all.zip"], AdvisoryImporter(sqlite_db)
    )
    assert report.counts["CRAN"].new == 14


def test_missing_remote_archive_is_a_clear_error(sqlite_db: Database, shared_http: str) -> None:
    settings = _settings(shared_http)
    with pytest.raises(InputError, match="HTTP 404"):
        import_locations(
            sqlite_db,
            settings,
            [settings.osv_base_url],
            AdvisoryImporter(sqlite_db),
            ecosystems=["NoSuch"],
        )


def test_oversized_download_is_refused(sqlite_db: Database, shared_http: str) -> None:
    settings = replace(_settings(shared_http), max_archive_bytes=10_000)
    with pytest.raises(InputError, match="limit") as caught:
        import_locations(
            sqlite_db,
            settings,
            [settings.osv_base_url],
            AdvisoryImporter(sqlite_db),
            ecosystems=["PyPI"],
        )
    assert caught.value.status == 413


def test_kev_loads_from_url_file_and_csv_alike(
    db: Database, shared_http: str, tmp_path: Path
) -> None:
    settings = _settings(shared_http)
    from_url = load_kev(db, settings, None)
    assert from_url.entries == 1404
    assert from_url.version == "2025.08.25"
    from_csv = load_kev(
        db, settings, str(shared_path("kev", "known_exploited_vulnerabilities.csv"))
    )
    assert from_csv.entries == 1404
    assert (from_csv.added, from_csv.removed) == (0, 0)
    assert knowledge_base_stats(db)["kev"]["entries"] == 1404


def test_malformed_kev_names_the_entry(sqlite_db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "kev.json"
    bad.write_text(
        '{"catalogVersion": "1", "dateReleased": "x", "count": 1, "vulnerabilities": '
        '[{"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2", '
        '"vulnerabilityName": "n", "dateAdded": "2021-12-10", "shortDescription": "s", '
        '"requiredAction": "a", "dueDate": "2021-12-24", "knownRansomwareCampaignUse": "Known"}, '
        '{"cveID": "not-a-cve"}]}'
    )
    with pytest.raises(InputError, match=r"vulnerabilities\[1\] lacks 'vendorProject'"):
        load_kev(sqlite_db, Settings(), str(bad))
    assert knowledge_base_stats(sqlite_db)["kev"]["entries"] == 0
