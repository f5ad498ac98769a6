"""Vendored schemas stay byte-identical to their upstream copies in the shared data set."""

from __future__ import annotations

from importlib import resources

from tests.conftest import shared_path


def test_vendored_osv_schema_is_upstreams() -> None:
    vendored = resources.files("clearinghouse.formats").joinpath("schemas/osv.schema.json")
    assert vendored.read_bytes() == shared_path("schemas", "osv", "schema.json").read_bytes()
