"""A vulnerability is found through the texts of the findings that joined it (member texts),
not only its first one, even among many candidates of one package."""

from __future__ import annotations

from typing import Any

from clearinghouse.findings.text import TextModel
from clearinghouse.store import Database
from tests.findings._helpers import native, principal, send
from tests.findings.test_intake import AIRFLOW_XSS

GENERIC = "Apache Airflow cross-site scripting vulnerability in the web server"


def _report(title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {**AIRFLOW_XSS, "title": title, "description": description, **extra}


def test_a_report_in_the_words_of_a_later_finding_joins_through_it(db: Database) -> None:
    model = TextModel.from_texts(f"{GENERIC} advisory{i}" for i in range(600))
    # many bugs of one package; the one that matters was first reported in generic words only
    others = [
        _report(
            f"Cross-site scripting in handler_{n}()",
            f"The param_{n} parameter of handler_{n}() is rendered without escaping.",
        )
        for n in range(40)
    ]
    generic = _report(GENERIC, GENERIC, aliases=["CVE-2026-41111"])
    stored = send(db, principal(db, "Lab"), native(generic, *others), text_model=model)
    target = stored.accepted[0].vulnerability_id
    # a second lab names the same CVE, in specific words: it joins by the id, its text is kept
    specific = _report(
        "Cross-site scripting in the /dag_details view",
        "The run_id parameter of /dag_details is rendered without escaping.",
        aliases=["CVE-2026-41111"],
    )
    joined = send(db, principal(db, "Second lab"), native(specific), text_model=model)
    assert joined.accepted[0].vulnerability_id == target
    # a third lab restates the specific report with no id: found through the kept text, though
    # it shares no rare term with the first report's text
    restated = _report(
        "Cross-site scripting in the /dag_details view of Apache Airflow",
        "Its run_id parameter is rendered without escaping (/dag_details).",
    )
    outcome = send(db, principal(db, "Third lab"), native(restated), text_model=model)
    assert outcome.accepted[0].method == "near", outcome.accepted[0].reason
    assert outcome.accepted[0].vulnerability_id == target
