"""SSVC from CISA's coordinator table, EPSS import, KEV, and the queue's order and weights."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from importlib import resources

import pytest

from clearinghouse.advisories.kev import store_kev_catalog
from clearinghouse.audit import Actor
from clearinghouse.findings import ssvc
from clearinghouse.findings.epss import parse_epss, store_epss
from clearinghouse.findings.priority import Weights, load_weights, triage_queue
from clearinghouse.formats.errors import InputError
from clearinghouse.formats.kev import KevCatalog, KevRecord
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.findings._helpers import native, principal, send


def test_vendored_decision_table_is_upstreams() -> None:
    vendored = resources.files("clearinghouse.findings").joinpath(ssvc.TABLE_FILE)
    upstream = shared_path("ssvc", "json", "decision_tables", "cisa", "cisa_coordinator_2_0_3.json")
    assert vendored.read_bytes() == upstream.read_bytes()


def test_every_row_of_cisas_csv_gives_the_same_decision() -> None:
    path = shared_path("ssvc", "csv", "cisa", "cisa_coordinator_2_0_3.csv")
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert len(rows) == 36
    names = {"track": "Track", "track*": "Track*", "attend": "Attend", "act": "Act"}
    for row in rows:
        values = list(row.values())[1:]
        decision = ssvc.decide(*((v, "") for v in values[:4]))  # type: ignore[arg-type]
        assert decision.decision == names[values[4]], row


@pytest.mark.parametrize(
    ("vector", "automatable", "impact"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "yes", "total"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:N", "no", "partial"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "yes", "total"),
        ("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "no", "total"),
        (None, "no", "partial"),
    ],
)
def test_automatable_and_technical_impact_come_from_the_vector(
    vector: str | None, automatable: str, impact: str
) -> None:
    assert ssvc.automatable(vector)[0] == automatable
    assert ssvc.technical_impact(vector)[0] == impact


def test_mission_and_well_being_follows_exposed_systems_and_sectors() -> None:
    assert ssvc.mission_and_well_being({"safety-critical"}, set(), 1)[0] == "high"
    assert ssvc.mission_and_well_being({"business-critical"}, {"water"}, 1)[0] == "high"
    assert ssvc.mission_and_well_being({"business-critical"}, set(), 1)[0] == "medium"
    assert ssvc.mission_and_well_being({"other"}, {"financial-services"}, 1)[0] == "medium"
    assert ssvc.mission_and_well_being({"other"}, set(), 1)[0] == "low"
    assert ssvc.mission_and_well_being(set(), set(), 0)[0] == "low"


EPSS_CSV = (
    "#model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000\n"
    "cve,epss,percentile\n"
    "CVE-2099-0001,0.97,0.999\n"
    "CVE-2099-0002,0.01,0.2\n"
)


def test_epss_csv_plain_or_gzip() -> None:
    for data in (EPSS_CSV.encode(), gzip.compress(EPSS_CSV.encode())):
        catalog = parse_epss("epss.csv", data)
        assert catalog.model_version == "v2025.03.14"
        assert catalog.score_date == date(2025, 6, 1)
        assert catalog.scores["CVE-2099-0001"] == (0.97, 0.999)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("cve,score\nCVE-2099-0001,0.5\n", "expected the header"),
        ("cve,epss,percentile\nCVE-1,0.5,0.5\n", "line 2: 'CVE-1' is not a CVE id"),
        ("cve,epss,percentile\nCVE-2099-0001,1.5,0.5\n", "line 2: epss 1.5 is not between 0 and 1"),
        ("cve,epss,percentile\n", "holds no scores"),
    ],
)
def test_bad_epss_files_are_refused_with_the_line(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_epss("epss.csv", text.encode())


def _kev(cve: str) -> KevCatalog:
    record = KevRecord(
        cve,
        "Example",
        "archiver",
        "Example archiver path traversal",
        date(2025, 1, 2),
        "Path traversal.",
        "Apply updates.",
        date(2025, 1, 23),
        "Unknown",
        "",
        ("CWE-22",),
    )
    return KevCatalog("2025.01.02", None, (record,))


def test_kev_and_epss_raise_a_vulnerability_in_the_queue(db: Database) -> None:
    lab = principal(db, "Lab")
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    first = {"title": "First reported, no exploitation", "aliases": ["CVE-2099-0002"]}
    send(db, lab, native({**first, "cvss": vector}))
    later = {"title": "Exploited in the wild", "aliases": ["CVE-2099-0001"]}
    send(db, lab, native({**later, "cvss": vector}))
    with db.session() as session:
        before = triage_queue(session)["vulnerabilities"]
    assert [v["title"] for v in before] == [
        "First reported, no exploitation",
        "Exploited in the wild",
    ]
    store_kev_catalog(db, _kev("CVE-2099-0001"), "test")
    with db.session() as session:
        store_epss(session, Actor.cli(), parse_epss("epss.csv", EPSS_CSV.encode()), "epss.csv")
    with db.session() as session:
        after = triage_queue(session)["vulnerabilities"]
    top = after[0]
    assert top["title"] == "Exploited in the wild"
    assert top["factors"]["kev"] is True
    assert top["factors"]["epss"] == {"score": 0.97, "percentile": 0.999}
    assert top["factors"]["ssvc"]["exploitation"] == "active"
    assert top["factors"]["ssvc"]["decision"] == "Attend"
    assert top["score_parts"]["kev"] == Weights().kev


def test_weights_are_configurable_and_typos_refused(tmp_path: object) -> None:
    weights = load_weights('{"kev": 0, "ssvc": {"Act": 500}}')
    assert weights.kev == 0
    assert weights.ssvc["Act"] == 500
    assert weights.ssvc["Attend"] == Weights().ssvc["Attend"]
    with pytest.raises(ValueError, match="unknown triage weights: kevv"):
        load_weights('{"kevv": 1}')
