"""The analysts' desk in pages: the queue with its factors, a vulnerability with its merged
findings, and a move recorded with evidence; nobody else sees any of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clearinghouse.findings.models import Transition, Vulnerability
from clearinghouse.store import Database
from tests.conftest import shared_path
from tests.web.conftest import post_form, sign_in
from tests.web.demo import Demo, build_full


@pytest.fixture
def demo(db: Database, tmp_path: Path) -> Demo:
    return build_full(db, shared_path(), tmp_path)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _new_vulnerability(db: Database) -> str:
    with db.session() as session:
        found = session.scalar(select(Vulnerability.id).where(Vulnerability.state == "new"))
    assert found is not None
    return found


def test_the_queue_shows_each_rank_with_its_factors(web: TestClient, demo: Demo) -> None:
    sign_in(web, "carol")
    queue = web.get("/triage")
    assert queue.status_code == 200
    text = _text(queue.text)
    assert "2 vulnerabilities, highest priority first" in text
    # the requests finding ranks first: two operators run an affected version
    assert len(re.findall(r'<a href="/triage/(x_CHS-[^"]+)">', queue.text)) == 2
    assert text.index("Header injection in requests") < text.index("Path traversal")
    assert "2 op. / 2 sys." in text


def test_a_vulnerability_shows_who_reported_it_and_what_was_checked(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, "carol")
    vulnerability_id = _new_vulnerability(demo.db)
    page = web.get(f"/triage/{vulnerability_id}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Frontier Lab via native" in text
    assert "found by AI (atlas-2026-06)" in text
    assert "pass versions parse" in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC by system:intake", text)


def test_a_move_needs_evidence_and_is_kept_in_the_history(web: TestClient, demo: Demo) -> None:
    sign_in(web, "carol")
    vulnerability_id = _new_vulnerability(demo.db)
    page = f"/triage/{vulnerability_id}"
    refused = post_form(web, page, f"{page}/move", {"to": "triaged", "evidence": ""})
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text
    moved = post_form(
        web,
        page,
        f"{page}/move",
        {"to": "triaged", "evidence": "Reproduced the traversal with the attached archive."},
    )
    assert moved.status_code == 303
    after = web.get(page)
    assert f"{vulnerability_id} is now triaged" in after.text
    assert "Reproduced the traversal with the attached archive." in after.text
    with demo.db.session() as session:
        transition = session.scalars(
            select(Transition).where(Transition.vulnerability_id == vulnerability_id)
        ).all()[-1]
        assert transition.to_state == "triaged"
        assert transition.actor == "user:carol"


def test_the_desk_does_not_exist_for_reporters_and_operators(web: TestClient, demo: Demo) -> None:
    vulnerability_id = _new_vulnerability(demo.db)
    for user in ("dave", "alice"):
        web.cookies.clear()
        sign_in(web, user)
        for path in ("/triage", f"/triage/{vulnerability_id}"):
            answer = web.get(path)
            assert answer.status_code == 404, (user, path)


def test_markings_are_shown_as_text_and_re_marking_is_audited(web: TestClient, demo: Demo) -> None:
    from clearinghouse.audit.models import AuditEvent
    from clearinghouse.findings.models import Finding

    sign_in(web, "carol")
    vulnerability_id = _new_vulnerability(demo.db)
    assert "TLP:AMBER" in _text(web.get("/triage").text)
    page = f"/triage/{vulnerability_id}"
    shown = web.get(page)
    assert re.search(r'<span class="badge tlp tlp-amber"[^>]*>TLP:AMBER</span>', shown.text)
    with demo.db.session() as session:
        finding_id = session.scalars(
            select(Finding.id).where(Finding.vulnerability_id == vulnerability_id)
        ).first()
    assert finding_id is not None
    refused = post_form(web, page, f"{page}/tlp", {"finding": str(finding_id), "tlp": "PINK"})
    assert refused.status_code == 400
    assert "&#39;PINK&#39; is not a TLP 2.0 label" in refused.text
    remarked = post_form(
        web,
        page,
        f"{page}/tlp",
        {"finding": str(finding_id), "tlp": "CLEAR", "evidence": "Reporter agreed by mail."},
    )
    assert remarked.status_code == 303
    after = _text(web.get(page).text)
    assert f"Finding {finding_id} is TLP:CLEAR" in after
    with demo.db.session() as session:
        vulnerability = session.get(Vulnerability, vulnerability_id)
        assert vulnerability is not None
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "finding.tlp")).one()
        assert (event.before["tlp"], event.after["tlp"]) == ("AMBER", "CLEAR")
        assert event.actor == "user:carol"
        markings = session.scalars(
            select(Finding.tlp).where(Finding.vulnerability_id == vulnerability_id)
        ).all()
        assert vulnerability.tlp == ("CLEAR" if set(markings) == {"CLEAR"} else "AMBER")
    assert f"{vulnerability_id} is TLP:{vulnerability.tlp}" in after
