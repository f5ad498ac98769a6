"""End to end in a real browser: Debian's Chromium, driven by Playwright, against the service
started as the README starts it (``clearinghouse serve``) on a SQLite database whose knowledge
base holds the real PyPI advisories of a few packages.

These tests skip when ``/usr/bin/chromium`` is missing, but fail in CI (``.ci/run`` sets
``CLEARINGHOUSE_REQUIRE_BROWSER=1``). No sleeps: Playwright's ``expect`` waits for what a
person would wait for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from clearinghouse.exposures.models import Exposure, VexStatement
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.web.demo import PASSWORD, PORTAL_REQUIREMENTS, Demo, build
from tests.web.server import CHROMIUM, CHROMIUM_ARGS, running_service

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

pytestmark = pytest.mark.browser

REQUIRE_BROWSER = "1" in (
    os.environ.get("CLEARINGHOUSE_REQUIRE_BROWSER"),
    os.environ.get("CLEARINGHOUSE_REQUIRE_SERVICES"),
)
TIMEOUT_MS = 20_000
"""How long ``expect`` waits: generous, the CI machine may be busy."""


def _missing(message: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("playwright is not installed: scripts/setup test")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Site:
    url: str
    demo: Demo


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("web-site")
    db = Database(f"sqlite:///{work / 'clearinghouse.db'}")
    db.upgrade()
    try:
        demo = build(db, shared_path(), work)
        with running_service(db.url, work, work / "serve.log") as url:
            yield Site(url, demo)
    finally:
        db.dispose()


def _page(browser: Browser, site: Site, **options: Any) -> Iterator[Page]:
    """A fresh browser profile. Any script error, or anything the Content-Security-Policy
    blocked, fails the test (the only errors allowed: the 404 pages the tests ask for and the
    401 answer to a wrong password)."""
    context = browser.new_context(base_url=site.url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        yield page
    finally:
        context.close()
    assert [e for e in errors if not re.search(r"status of (401|404)\b", e)] == []


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    yield from _page(browser, site, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser: Browser, site: Site) -> Iterator[Page]:
    yield from _page(browser, site, viewport={"width": 390, "height": 844}, is_mobile=True)


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_an_operator_goes_from_sign_in_to_what_to_patch_and_states_vex(
    page: Page, site: Site
) -> None:
    from playwright.sync_api import expect

    sign_in(page, site.demo.hospital.username)
    # a new operator: the dashboard says what to do first, with the form to do it
    expect(page.get_by_role("heading", name="Upload your first SBOM or lockfile")).to_be_visible()
    page.get_by_label("System name").fill("Patient portal")
    page.get_by_label("How much depends on it").select_option("safety-critical")
    lockfile: FilePayload = {
        "name": "requirements.txt",
        "mimeType": "text/plain",
        "buffer": PORTAL_REQUIREMENTS,
    }
    page.get_by_label("File", exact=True).set_input_files(files=[lockfile])
    page.get_by_role("button", name="Upload and check").click()

    # back on the dashboard, as soon as the upload is matched: what to patch, to which version
    expect(page.get_by_role("heading", name="What to patch", exact=True)).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("6 components")
    expect(page.locator(".flash")).to_contain_text("14 new exposures")
    requests_plan = page.locator(".plan-item", has_text="Upgrade requests")
    expect(requests_plan).to_contain_text("from 2.19.1 to 2.31.0")

    # the system's page lists its exposures
    page.get_by_role("region", name="Open exposures by system").get_by_role(
        "link", name="Patient portal", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patient portal")
    exposures = page.get_by_role("region", name="Open exposures of Patient portal")
    expect(exposures.get_by_role("link", name="PYSEC-2018-28")).to_be_visible()
    expect(exposures.get_by_role("row")).to_have_count(15)  # the header and 14 exposures
    page.go_back()
    requests_plan.get_by_role("link", name="details").click()

    # an exposure: what to do, and a VEX statement recorded by form
    expect(page.get_by_role("heading", name="What to do")).to_be_visible()
    expect(page.locator(".remedy")).to_contain_text("Upgrade requests from 2.19.1 to 2.31.0")
    exposure_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    justification = page.get_by_label("Why not affected")
    page.get_by_label(re.compile(r"^Affected:")).check()
    expect(justification).to_be_hidden()  # only "not affected" takes a justification
    page.get_by_label(re.compile(r"^Not affected:")).check()
    expect(justification).to_be_visible()
    justification.select_option("vulnerable_code_not_in_execute_path")
    page.get_by_label("Details").fill("The portal never follows redirects to other hosts.")
    page.get_by_role("button", name="Record statement").click()
    expect(page.locator(".flash")).to_contain_text("recorded: not affected")
    statements = page.locator("section[aria-labelledby=statements]")
    expect(statements).to_contain_text("The portal never follows redirects to other hosts.")
    expect(statements).to_contain_text("user:alice")

    with site.demo.db.session() as session:
        exposure = session.get(Exposure, exposure_id)
        assert exposure is not None
        assert exposure.state == "not_affected"
        assert exposure.organization_id == site.demo.hospital.organization_id
        assert session.scalars(
            select(VexStatement).where(VexStatement.vulnerability == exposure.advisory_id)
        ).all()


def test_one_organization_cannot_open_anothers_pages(
    page: Page, browser: Browser, site: Site
) -> None:
    from playwright.sync_api import expect

    bank = site.demo
    theirs = (f"/systems/{bank.bank_system_id}", f"/exposures/{bank.bank_exposure_id}")
    # the bank's own user sees them
    for own in _page(browser, site):
        sign_in(own, bank.bank.username)
        for path in theirs:
            answer = own.goto(path)
            assert answer is not None
            assert answer.status == 200, path
        expect(own.get_by_role("heading", level=1)).to_contain_text("in Teller app")
    # the hospital's user gets the page for what does not exist
    sign_in(page, bank.hospital.username)
    for path in theirs:
        answer = page.goto(path)
        assert answer is not None
        assert answer.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.locator("main")).not_to_contain_text("Teller app")
    page.goto(f"/exposures?system={bank.bank_system_id}&status=all")
    expect(page.get_by_role("status")).to_contain_text("0 exposures")


def test_a_wrong_password_is_refused_and_signing_out_ends_the_session(
    page: Page, site: Site
) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("Username").fill(site.demo.bank.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    # the username is kept, the cursor waits in the password field
    expect(page.get_by_label("Username")).to_have_value(site.demo.bank.username)
    expect(page.get_by_label("Password")).to_be_focused()

    sign_in(page, site.demo.bank.username)
    page.goto("/systems")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the clearinghouse")


def test_the_keyboard_reaches_everything_and_sees_where_it_is(page: Page, site: Site) -> None:
    from playwright.sync_api import expect

    sign_in(page, site.demo.bank.username)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    assert page.evaluate("document.styleSheets.length") == 1
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # style.css applied
    # every form control has a label a screen reader announces
    for path in ("/", "/systems", f"/exposures/{site.demo.bank_exposure_id}"):
        page.goto(path)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        assert unlabelled == [], (path, unlabelled)


def test_the_pages_fit_a_phone(phone: Page, site: Site) -> None:
    from playwright.sync_api import expect

    demo = site.demo
    sign_in(phone, demo.bank.username)
    expect(phone.get_by_role("heading", name="What to patch", exact=True)).to_be_visible()
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Systems")).to_be_in_viewport()
    for path in (
        "/",
        "/systems",
        f"/systems/{demo.bank_system_id}",
        f"/exposures/{demo.bank_exposure_id}",
        "/settings/notifications",
    ):
        phone.goto(path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
