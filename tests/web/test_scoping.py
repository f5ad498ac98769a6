"""What is not yours does not exist: another organization's systems, exposures and settings
answer 404 (the same page as for an id that was never used), and pages a role or an
organization kind has no business with answer 404 or 403 without revealing anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clearinghouse.exposures.models import Exposure, VexStatement
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.web.conftest import csrf_of, post_form, sign_in
from tests.web.demo import Demo, add_person, build


@pytest.fixture
def demo(db: Database, tmp_path: Path) -> Demo:
    return build(db, shared_path(), tmp_path)


def _not_found(answer: object, what: str) -> None:
    status = getattr(answer, "status_code", None)
    text = getattr(answer, "text", "")
    assert status == 404, (what, status)
    assert "not yours to see" in text or "nothing here" in text.lower(), what


def test_another_organizations_pages_answer_404(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.hospital.username)
    never_used = 10_000
    for path in (
        f"/systems/{demo.bank_system_id}",
        f"/systems/{demo.bank_system_id}?version=1",
        f"/exposures/{demo.bank_exposure_id}",
    ):
        _not_found(web.get(path), path)
    # exactly the page an id that never existed gets
    assert (
        web.get(f"/exposures/{never_used}").text
        == web.get(f"/exposures/{demo.bank_exposure_id}").text
    )
    listed = web.get("/exposures", params={"system": demo.bank_system_id, "status": "all"})
    assert listed.status_code == 200
    assert "Teller app" not in listed.text
    assert "0 exposures" in listed.text
    assert "Teller app" not in web.get("/systems").text
    assert "Valley Credit Union" not in web.get("/").text


def test_another_organizations_exposure_cannot_be_stated(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.hospital.username)
    refused = post_form(
        web,
        "/",
        f"/exposures/{demo.bank_exposure_id}/vex",
        {"status": "not_affected", "justification": "component_not_present"},
    )
    _not_found(refused, "vex")
    with demo.db.session() as session:
        assert session.scalars(select(VexStatement)).all() == []
        exposure = session.get(Exposure, demo.bank_exposure_id)
        assert exposure is not None
        assert exposure.state == "affected"


def test_an_upload_under_the_same_name_stays_in_ones_own_organization(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.hospital.username)
    token = csrf_of(web.get("/systems"))
    answer = web.post(
        "/systems/upload",
        data={"csrf_token": token, "system": "Teller app", "criticality": "other"},
        files={"file": ("requirements.txt", b"certifi==2024.8.30\n")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] != f"/systems/{demo.bank_system_id}"
    with demo.db.session() as session:
        bank_open = session.scalars(
            select(Exposure).where(Exposure.system_id == demo.bank_system_id)
        ).all()
    assert bank_open
    assert all(e.resolved_at is None for e in bank_open)


def test_pages_for_other_kinds_of_organization_do_not_exist(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.hospital.username)
    home = web.get("/")
    assert 'href="/triage"' not in home.text
    assert 'href="/frontier"' not in home.text
    for path in ("/triage", "/triage/x_CHS-0000-0000-0000", "/frontier", "/frontier/models/1"):
        _not_found(web.get(path), path)


def test_designation_pages_are_only_for_cleared_staff(
    web: TestClient, other_browser: TestClient, demo: Demo
) -> None:
    add_person(
        demo.db, "Clearinghouse", "carol", kind=OrganizationKind.coordinator, role=Role.analyst
    )
    add_person(
        demo.db,
        "Clearinghouse",
        "olivia",
        kind=OrganizationKind.coordinator,
        role=Role.analyst,
        clearances=frozenset({"designation"}),
    )
    sign_in(web, "carol")
    assert "Designation desk" not in web.get("/frontier").text
    _not_found(web.get("/frontier/designation"), "designation")
    sign_in(other_browser, "olivia")
    assert "Designation desk" in other_browser.get("/frontier").text
    assert other_browser.get("/frontier/designation").status_code == 200


def test_a_reader_reads_but_changes_nothing(web: TestClient, demo: Demo) -> None:
    add_person(demo.db, demo.bank.organization, "reader", role=Role.read_only)
    sign_in(web, "reader")
    exposure = web.get(f"/exposures/{demo.bank_exposure_id}")
    assert exposure.status_code == 200
    assert "Record a VEX statement" not in exposure.text
    refused = web.post(
        f"/exposures/{demo.bank_exposure_id}/vex",
        data={"csrf_token": csrf_of(web.get("/")), "status": "not_affected"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "member" in refused.text
    upload = web.post(
        "/systems/upload",
        data={"csrf_token": csrf_of(web.get("/")), "system": "x"},
        files={"file": ("requirements.txt", b"certifi==2024.8.30\n")},
        follow_redirects=False,
    )
    assert upload.status_code == 403
    for admin_only in ("/people", "/settings/notifications"):
        assert web.get(admin_only).status_code == 403, admin_only
