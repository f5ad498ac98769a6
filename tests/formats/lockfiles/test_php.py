from __future__ import annotations

import contextlib
import json
import random
import zipfile

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InputError, InputTooLarge
from clearinghouse.formats.inventory import ParseContext, detect_format, parse_inventory
from clearinghouse.formats.lockfiles.php import parse_composer_lock
from tests.conftest import shared_path
from tests.formats.lockfiles._cases import (
    assert_detected_by_content,
    index_cases,
    only,
    parse_case,
    parse_text,
    versions,
)

CASES = [
    "Packagist/osv-scanner-many-insecure",
    "Packagist/duplicate-packages-composer",
    "malformed/Packagist/double-comma",
]


def test_index_lists_exactly_the_packagist_cases_tested_here() -> None:
    assert sorted(index_cases({"Packagist"})) == sorted(CASES)


def test_every_sample_is_recognised_by_content_alone() -> None:
    assert_detected_by_content(CASES)


def test_packagist_and_drupal_repository_packages() -> None:
    inventory = parse_case("Packagist", "osv-scanner-many-insecure", "composer.lock")
    assert inventory.format == "composer.lock"
    assert versions(inventory) == {
        "drupal/core": {"10.4.5"},
        "drupal/simple_sitemap": {"4.2.1"},
        "drupal/tfa": {"2.0.0-alpha4"},
        "theseer/tokenizer": {"1.1.3"},
        "league/flysystem": {"1.0.8"},
        "sentry/sdk": {"2.0.4"},
    }
    core = only(inventory, "drupal/core")
    assert (core.ecosystem, core.purl) == ("Packagist", "pkg:composer/drupal/core@10.4.5")
    sitemap = only(inventory, "drupal/simple_sitemap")
    assert sitemap.ecosystem == "Packagist:https://packages.drupal.org/8"
    assert sitemap.purl == (
        "pkg:composer/drupal/simple_sitemap@4.2.1?repository_url=packages.drupal.org/8"
    )
    assert not any(c.dev for c in inventory.components)


def _osv_packages(record_id: str) -> set[tuple[str, str]]:
    with zipfile.ZipFile(shared_path("osv", "Packagist", "all.zip")) as archive:
        record = orjson.loads(archive.read(f"{record_id}.json"))
    return {(a["package"]["ecosystem"], a["package"]["name"]) for a in record["affected"]}


def test_components_address_the_packages_osv_records_name() -> None:
    inventory = parse_case("Packagist", "osv-scanner-many-insecure", "composer.lock")
    sitemap = only(inventory, "drupal/simple_sitemap")
    tfa = only(inventory, "drupal/tfa")
    assert (sitemap.ecosystem, sitemap.name) in _osv_packages("DRUPAL-CONTRIB-2025-083")
    assert (tfa.ecosystem, tfa.name) in _osv_packages("DRUPAL-CONTRIB-2024-043")


def test_osv_packagist_versions_have_no_leading_v() -> None:
    with zipfile.ZipFile(shared_path("osv", "Packagist", "all.zip")) as archive:
        for name in archive.namelist():
            for affected in orjson.loads(archive.read(name)).get("affected", []):
                for r in affected.get("ranges", []):
                    for event in r["events"]:
                        assert not any(v.startswith("v") for v in event.values()), name


def test_duplicates_count_once_and_packages_dev_is_development_only() -> None:
    inventory = parse_case("Packagist", "duplicate-packages-composer", "composer.lock")
    assert [(c.name, c.version, c.dev) for c in inventory.components] == [
        ("sentry/sdk", "2.0.4", False),
        ("sentry/sdk", "2.0.5", False),
        ("sentry/sdk", "3.0.0-dev", True),
    ]


def test_double_comma_is_rejected_with_its_position() -> None:
    with pytest.raises(InputError) as err:
        parse_case("malformed", "Packagist", "double-comma", "composer.lock")
    assert "is not valid JSON" in err.value.reason
    assert "line 7" in err.value.reason


def _lock(packages: list[object], dev: list[object] | None = None) -> str:
    return orjson.dumps(
        {"content-hash": "x", "packages": packages, "packages-dev": dev or []}
    ).decode()


def test_leading_v_is_dropped_and_production_beats_development() -> None:
    inventory = parse_text(
        "composer.lock",
        _lock(
            [{"name": "symfony/http-kernel", "version": "v5.4.2"}],
            [
                {"name": "symfony/http-kernel", "version": "v5.4.2"},
                {"name": "phpunit/phpunit", "version": "9.6.3"},
            ],
        ),
    )
    assert [(c.name, c.version, c.dev) for c in inventory.components] == [
        ("symfony/http-kernel", "5.4.2", False),
        ("phpunit/phpunit", "9.6.3", True),
    ]


def test_branch_installs_are_kept_with_a_warning() -> None:
    inventory = parse_text(
        "composer.lock",
        _lock(
            [{"name": "acme/a", "version": "dev-main"}, {"name": "acme/b", "version": "2.x-dev"}]
        ),
    )
    assert versions(inventory) == {"acme/a": {"dev-main"}, "acme/b": {"2.x-dev"}}
    assert "acme/a dev-main, acme/b 2.x-dev" in inventory.warnings[0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]", "the document must be an object, not an array"),
        ('{"_readme": []}', "has neither 'packages' nor 'packages-dev'"),
        ('{"packages": {}}', "packages must be an array, not an object"),
        ('{"packages": [1]}', "packages[0] must be an object, not a number"),
        ('{"packages": [{"name": "a/b"}]}', "packages[0] has no 'version'"),
        (
            '{"packages": [], "packages-dev": [{"name": "a/b", "version": 1}]}',
            "packages-dev[0].version must be a string, not a number",
        ),
        ('{"packages": [', "JSON is truncated"),
    ],
)
def test_wrong_types_are_rejected_naming_the_entry(text: str, reason: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("composer.lock", text)
    assert reason in err.value.reason


def test_composer_lock_detected_by_name_and_content() -> None:
    assert detect_format("composer.lock", b"").name == "composer.lock"
    assert detect_format("x.json", _lock([]).encode()).name == "composer.lock"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["name", "version", "notification-url", "packages", "packages-dev"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(_JSON)
def test_any_json_shape_raises_nothing_but_input_error(doc: object) -> None:
    with contextlib.suppress(InputError):
        parse_composer_lock(json.dumps(doc).encode(), ParseContext("composer.lock"))


@pytest.mark.parametrize("filename", ["composer.lock"])
def test_a_megabyte_of_random_bytes_is_an_input_error(filename: str) -> None:
    garbage = random.Random(filename).randbytes(1 << 20)
    with pytest.raises(InputError):
        parse_text(filename, garbage)


@pytest.mark.parametrize("filename", ["composer.lock"])
def test_input_over_the_size_limit_is_refused_before_parsing(filename: str) -> None:
    with pytest.raises(InputTooLarge):
        parse_inventory(b"x" * 2048, ParseContext(filename, max_bytes=1024))
