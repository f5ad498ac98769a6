"""An operator's way through the pages, without a browser: an empty dashboard that says what to
do, an upload by form, the plan of what to patch, a VEX statement, notification settings and
inviting a colleague."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clearinghouse.exposures.models import Exposure, VexStatement
from clearinghouse.inventories.models import Inventory, System
from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.web.conftest import csrf_of, post_form, sign_in
from tests.web.demo import PORTAL_REQUIREMENTS, Demo, add_person, build


@pytest.fixture
def demo(db: Database, tmp_path: Path) -> Demo:
    return build(db, shared_path(), tmp_path)


def _upload(
    client: TestClient, system: str, data: bytes, filename: str = "requirements.txt"
) -> httpx.Response:
    return client.post(
        "/systems/upload",
        data={
            "csrf_token": csrf_of(client.get("/")),
            "system": system,
            "criticality": "safety-critical",
        },
        files={"file": (filename, data)},
        follow_redirects=False,
    )


def test_a_new_operator_is_told_what_to_do_first(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.hospital.username)
    home = web.get("/")
    assert "Upload your first SBOM or lockfile" in home.text
    assert 'action="/systems/upload"' in home.text
    assert 'enctype="multipart/form-data"' in home.text
    assert "No systems yet" in web.get("/systems").text
    exposures = web.get("/exposures")
    assert "No systems yet" in exposures.text
    assert 'href="/systems"' in exposures.text
    notifications = web.get("/settings/notifications")
    assert "No email notifications yet" in notifications.text


def test_an_upload_by_form_shows_its_exposures_and_what_to_patch(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.hospital.username)
    answer = _upload(web, "Patient portal", PORTAL_REQUIREMENTS)
    assert answer.status_code == 303, answer.text
    system_page = web.get(answer.headers["location"])
    assert system_page.status_code == 200
    flash = re.search(r'<div class="flash" role="status">(.*?)</div>', system_page.text)
    assert flash is not None
    assert "6 components" in flash.group(1)
    assert "new exposures" in flash.group(1)
    assert "PYSEC-2018-28" in system_page.text  # requests 2.19.1: CVE-2018-18074
    system_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", system_page.text))
    assert "What to patch in Patient portal" in system_text
    assert "Upgrade requests from 2.19.1 to 2.31.0: closes 2 exposures" in system_text
    assert "Patient portal" in system_page.text
    # the flash is shown once
    assert 'class="flash"' not in web.get(answer.headers["location"]).text

    home = web.get("/")
    assert "What to patch" in home.text
    plan = re.sub(r"<[^>]+>", "", home.text)
    plan = re.sub(r"\s+", " ", plan)
    assert "Upgrade requests from 2.19.1 to 2.31.0" in plan
    assert "Upgrade urllib3 from 1.24.1 to" in plan
    assert "certifi" not in plan  # nothing known against it
    assert "<svg" in home.text
    assert "Open exposures over the last 30 days" in home.text


def test_a_bad_file_is_refused_with_the_reason_and_stores_nothing(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.hospital.username)
    with demo.db.session() as session:
        before = session.scalar(select(func.count()).select_from(Inventory))
    for filename, data, reason in (
        ("package-lock.json", b"{not json", "package-lock.json"),
        ("requirements.txt", b"   \n", "is empty"),
    ):
        answer = _upload(web, "Patient portal", data, filename)
        assert answer.status_code in (400, 413, 415, 422), (filename, answer.status_code)
        assert 'role="alert"' in answer.text
        assert reason in answer.text
        assert "Patient portal" in answer.text  # the form keeps what was typed
    missing_name = web.post(
        "/systems/upload",
        data={"csrf_token": csrf_of(web.get("/")), "system": ""},
        files={"file": ("requirements.txt", PORTAL_REQUIREMENTS)},
    )
    assert missing_name.status_code == 422
    assert "name the system" in missing_name.text
    with demo.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Inventory)) == before
        assert session.scalar(select(func.count()).select_from(System)) == 1  # the bank's


def test_a_vex_statement_recorded_by_form_changes_the_exposure(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.bank.username)
    page = f"/exposures/{demo.bank_exposure_id}"
    shown = web.get(page)
    assert "Record a VEX statement" in shown.text
    assert "What to do" in shown.text
    # "not affected" needs a reason, and says so
    refused = post_form(web, page, f"{page}/vex", {"status": "not_affected"})
    assert refused.status_code == 400
    assert "justification" in refused.text
    recorded = post_form(
        web,
        page,
        f"{page}/vex",
        {
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "The teller app never follows redirects.",
        },
    )
    assert recorded.status_code == 303
    after = web.get(page)
    assert "recorded: not affected" in after.text
    assert "The teller app never follows redirects." in after.text
    with demo.db.session() as session:
        exposure = session.get(Exposure, demo.bank_exposure_id)
        assert exposure is not None
        assert exposure.state == "not_affected"
        (statement,) = session.scalars(select(VexStatement)).all()
        assert statement.created_by == "user:bob"
        assert statement.system_id == exposure.system_id


def test_notification_settings_add_and_remove_an_email(web: TestClient, demo: Demo) -> None:
    sign_in(web, demo.hospital.username)
    page = "/settings/notifications"
    bad = post_form(
        web, page, f"{page}/email", {"address": "not an address", "events": "exposure.new"}
    )
    assert bad.status_code == 400
    assert 'role="alert"' in bad.text
    added = post_form(
        web,
        page,
        f"{page}/email",
        {"address": "patching@riverside.example", "events": "exposure.new", "kev_only": "1"},
    )
    assert added.status_code == 303
    shown = web.get(page)
    assert "patching@riverside.example" in shown.text
    assert "new exposures · known exploited (KEV) only" in shown.text
    action = re.search(r'action="(/settings/notifications/email/\d+/delete)"', shown.text)
    assert action is not None
    assert post_form(web, page, action.group(1)).status_code == 303
    removed = web.get(page).text
    assert "Removed patching@riverside.example" in removed
    assert "No email notifications yet" in removed


def test_an_invitation_link_works_once_and_joins_the_right_organization(
    web: TestClient, other_browser: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.hospital.username)
    made = post_form(web, "/people", "/people/invitations", {"role": "member"})
    assert made.status_code == 201
    link = re.search(r'id="invitation-link">(http[^<]+)<', made.text)
    assert link is not None
    path = link.group(1).replace("http://testserver", "")
    form = other_browser.get(path)
    assert "Join Riverside Community Hospital" in form.text
    fields = {
        "csrf_token": csrf_of(form),
        "token": path.split("token=")[1],
        "username": "nurse.joy",
        "password": "a long enough passphrase",
        "password_confirm": "a long enough passphrase",
    }
    short = other_browser.post(
        "/invite", data={**fields, "password": "short", "password_confirm": "short"}
    )
    assert short.status_code == 400
    assert "at least 12 characters" in short.text
    joined = other_browser.post("/invite", data=fields, follow_redirects=False)
    assert joined.status_code == 303
    home = other_browser.get("/")
    assert "Riverside Community Hospital" in home.text
    assert "member" in home.text
    other_browser.cookies.clear()
    again = other_browser.get(path)
    assert again.status_code == 404
    assert "does not work" in again.text
    assert "nurse.joy" in web.get("/people").text


def test_an_empty_knowledge_base_is_never_mistaken_for_safety(
    web: TestClient, db: Database
) -> None:
    """A fresh service has no advisories: the dashboard says so, and never "nothing to patch"."""
    person = add_person(db, "Lakeside Water District", "erin")
    sign_in(web, person.username)
    assert "The knowledge base is empty" in web.get("/").text
    token = csrf_of(web.get("/"))
    answer = web.post(
        "/systems/upload",
        data={"csrf_token": token, "system": "SCADA historian", "next": "/"},
        files={"file": ("requirements.txt", PORTAL_REQUIREMENTS)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"  # the first-system form comes back to the plan
    home = web.get("/").text
    assert "The knowledge base is empty" in home
    assert "Nothing to patch" not in home
    assert "Nothing can match until advisories are imported" in home


def test_analysts_find_their_desks_on_the_dashboard(web: TestClient, db: Database) -> None:
    add_person(db, "Clearinghouse", "carol", kind=OrganizationKind.coordinator, role=Role.analyst)
    sign_in(web, "carol")
    home = web.get("/").text
    assert 'href="/triage"' in home
    assert "0 open vulnerabilities" in home
    assert 'href="/frontier"' in home
