"""Screenshots of the main pages for docs/screenshots (``scripts/screenshots``).

Builds the demo clearinghouse (real PyPI advisories and CISA KEV from ``../shared/data``) in a
temporary directory, starts ``clearinghouse serve`` on it and photographs each page in Debian's
Chromium at laptop width (1280), and the dashboard at phone width (390) too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from clearinghouse.audit import Actor
from clearinghouse.exposures.models import Exposure, VexStatus
from clearinghouse.exposures.vex import record_manual_statement
from clearinghouse.findings.models import Vulnerability
from clearinghouse.inventories.models import System
from clearinghouse.notifications.subscriptions import Filters, create_email_subscription
from clearinghouse.store import Database
from tests.conftest import REPO
from tests.web.demo import PASSWORD, Demo, add_person, build_full
from tests.web.server import CHROMIUM, CHROMIUM_ARGS, running_service

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_HEIGHT = {1280: 1500, 390: 2000}
"""Long pages are cut here: the top is what matters, and the files stay small."""


@dataclass(frozen=True)
class Shot:
    name: str
    user: str | None
    path: str
    viewport: dict[str, int]
    max_height: int | None = None
    """Cut a dense page shorter, to keep its file under 200 KB."""


def _prepare(demo: Demo) -> dict[str, str]:
    """A little more life than the demo has: an email subscription, a VEX statement, an empty
    organization for the new-operator dashboard. Returns ids the paths need."""
    db = demo.db
    hospital = demo.hospital
    add_person(db, "Lakeside Water District", "erin", display_name="Erin Walsh")
    with db.session() as session:
        actor = Actor(f"user:{hospital.username}", hospital.organization_id)
        create_email_subscription(
            session,
            actor,
            hospital.organization_id,
            "patching@riverside.example",
            Filters.checked(["exposure.new", "exposure.kev"], "HIGH", False),
        )
        portal = session.scalar(
            select(System.id).where(
                System.organization_id == hospital.organization_id, System.name == "Patient portal"
            )
        )
        kev = session.scalars(
            select(Exposure)
            .where(Exposure.organization_id == hospital.organization_id, Exposure.kev.is_(True))
            .order_by(Exposure.id)
        ).first()
        assert portal is not None
        assert kev is not None
        flask = session.scalar(
            select(Exposure).where(Exposure.system_id == portal, Exposure.name == "flask")
        )
        if flask is not None:
            record_manual_statement(
                session,
                actor,
                hospital.organization_id,
                vulnerability=flask.advisory_id,
                purl=flask.purl,
                status=VexStatus.not_affected,
                justification="vulnerable_code_not_in_execute_path",
                impact_statement="The portal sets no session cookie through Flask.",
                system_id=portal,
            )
        vulnerability = session.scalar(
            select(Vulnerability.id).where(Vulnerability.state == "known")
        ) or session.scalar(select(Vulnerability.id))
        assert vulnerability is not None
        return {"portal": str(portal), "exposure": str(kev.id), "vulnerability": vulnerability}


def _shots(ids: dict[str, str]) -> list[Shot]:
    return [
        Shot("login", None, "/login", LAPTOP),
        Shot("dashboard", "alice", "/", LAPTOP),
        Shot("dashboard-phone", "alice", "/", PHONE),
        Shot("dashboard-new-operator", "erin", "/", LAPTOP),
        Shot("systems", "alice", "/systems", LAPTOP),
        Shot("system", "alice", f"/systems/{ids['portal']}", LAPTOP, max_height=1000),
        Shot("exposure", "alice", f"/exposures/{ids['exposure']}", LAPTOP),
        Shot("notifications", "alice", "/settings/notifications", LAPTOP),
        Shot("advisories", "alice", "/advisories?q=requests", LAPTOP),
        Shot("triage", "carol", "/triage", LAPTOP),
        Shot("vulnerability", "carol", f"/triage/{ids['vulnerability']}", LAPTOP),
        Shot("frontier", "dave", "/frontier", LAPTOP),
    ]


def take(out: Path, shared: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="clearinghouse-shots-") as tmp:
        work = Path(tmp)
        db = Database(f"sqlite:///{work / 'clearinghouse.db'}")
        db.upgrade()
        with (
            running_service(db.url, work, work / "serve.log") as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            # the very first page of a new clearinghouse, before anyone exists
            first = browser.new_page(base_url=url, viewport=LAPTOP)
            first.goto("/login")
            expect(first.get_by_role("heading", name="No accounts yet")).to_be_visible()
            target = out / "login-first-run.png"
            first.screenshot(path=str(target), full_page=True, caret="hide")
            written.append(target)
            first.close()
            # the service reads the database live: the demo appears as it is built
            ids = _prepare(build_full(db, shared, work))
            for shot in _shots(ids):
                context = browser.new_context(base_url=url, viewport=shot.viewport)
                page = context.new_page()
                if shot.user is not None:
                    page.goto("/login")
                    page.get_by_label("Username").fill(shot.user)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
                page.goto(shot.path)
                width = shot.viewport["width"]
                height = min(
                    int(page.evaluate("document.documentElement.scrollHeight")),
                    shot.max_height or MAX_HEIGHT[width],
                )
                target = out / f"{shot.name}.png"
                page.screenshot(
                    path=str(target),
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height},
                    animations="disabled",
                    caret="hide",
                )
                written.append(target)
                context.close()
            browser.close()
        db.dispose()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    shared = Path(os.environ.get("CLEARINGHOUSE_SHARED") or REPO.parent / "shared" / "data")
    if not (shared / "osv" / "PyPI" / "all.zip").exists():
        print(f"shared data not found: {shared} (set CLEARINGHOUSE_SHARED)", file=sys.stderr)
        return 2
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    for path in take(args.out, shared):
        print(f"{path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
