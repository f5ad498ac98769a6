"""The dashboard's figures: the plan of upgrades (known-exploited first), the open count and the
trend agree with each other and with the exposure list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from clearinghouse.audit import Actor
from clearinghouse.exposures.models import Exposure, VexStatus
from clearinghouse.exposures.vex import record_manual_statement
from clearinghouse.inventories.models import Criticality
from clearinghouse.store import Database, utcnow
from clearinghouse.web import dashboard
from tests.conftest import shared_path
from tests.web.demo import (
    AUTOMATION_REQUIREMENTS,
    PORTAL_REQUIREMENTS,
    Demo,
    build,
    push,
)


@pytest.fixture
def demo(db: Database, tmp_path: Path) -> Demo:
    return build(db, shared_path(), tmp_path)


def test_known_exploited_upgrades_come_first_and_each_closes_what_it_says(demo: Demo) -> None:
    hospital = demo.hospital
    push(demo.db, hospital, "Portal", PORTAL_REQUIREMENTS, criticality=Criticality.safety_critical)
    push(demo.db, hospital, "Automation", AUTOMATION_REQUIREMENTS)
    with demo.db.session() as session:
        summary = dashboard.overview(session, hospital.organization_id)
        rows = session.scalars(
            select(Exposure).where(
                Exposure.organization_id == hospital.organization_id,
                Exposure.resolved_at.is_(None),
            )
        ).all()
    first = summary.upgrades[0]
    assert (first.name, first.version) == ("salt", "3000")
    assert first.kev_advisories >= {"PYSEC-2020-102", "PYSEC-2020-103"}  # CVE-2020-11651/2
    assert summary.kev_total == sum(1 for e in rows if e.kev)
    assert summary.open_total == len(rows)
    closed = sorted(i for u in summary.upgrades + summary.unfixable for i in u.exposure_ids)
    assert closed == sorted(e.id for e in rows)
    requests = next(u for u in summary.upgrades if u.name == "requests")
    assert (requests.version, requests.target) == ("2.19.1", "2.31.0")
    assert sum(summary.by_severity.values()) == summary.open_total
    assert summary.system_count == 2


def test_the_trend_ends_at_todays_open_count(demo: Demo) -> None:
    bank = demo.bank
    now = utcnow()
    with demo.db.session() as session:
        exposures = session.scalars(
            select(Exposure)
            .where(Exposure.organization_id == bank.organization_id)
            .order_by(Exposure.id)
        ).all()
        assert len(exposures) >= 4
        for exposure in exposures:
            exposure.first_seen = now - timedelta(days=10)
        exposures[0].resolved_at = now - timedelta(days=3)
        exposures[0].resolution = "upgraded"
        total = len(exposures)
        stated = exposures[1]
        record_manual_statement(
            session,
            Actor("user:bob", bank.organization_id),
            bank.organization_id,
            vulnerability=stated.advisory_id,
            purl=stated.purl,
            status=VexStatus.not_affected,
            justification="component_not_present",
            system_id=stated.system_id,
        )
    with demo.db.session() as session:
        history = dashboard.trend(session, bank.organization_id, now=now)
        summary = dashboard.overview(session, bank.organization_id)
    assert len(history.days) == 30
    assert history.days[-1] == now.date()
    assert history.open[:19] == [0] * 19  # nothing before it appeared 10 days ago
    assert history.open[20] == total - 1  # the VEX-stated one never counts
    assert history.open[-1] == total - 2 == summary.open_total
