"""TLP 2.0 markings of stored findings and vulnerabilities.

A finding's marking is decided at intake (given with the submission, else the report's own,
else AMBER) and changed only by :func:`workflow.remark`. A vulnerability's marking is the
most restrictive of its findings' markings: :func:`refresh_markings` recomputes it in SQL
wherever findings join or leave a vulnerability (intake, merge, split, re-marking), so it is
right after every change. Only a CLEAR vulnerability may be published (its OSV record is
served to anyone, without a token).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from clearinghouse.findings.models import Finding, Vulnerability
from clearinghouse.formats.tlp import Tlp

__all__ = ["refresh_markings", "withheld_findings"]

_CHUNK = 500


def refresh_markings(session: Session, vulnerability_ids: Iterable[str]) -> None:
    """Set each vulnerability's marking to the most restrictive of its findings' markings
    (one UPDATE per 500 vulnerabilities; one without findings keeps its marking)."""
    ids = sorted(set(vulnerability_ids))
    rank = case({t.value: t.rank for t in Tlp}, value=Finding.tlp, else_=Tlp.red.rank)
    strictest = (
        select(func.max(rank)).where(Finding.vulnerability_id == Vulnerability.id).scalar_subquery()
    )
    label = case({t.rank: t.value for t in Tlp}, value=strictest, else_=Vulnerability.tlp)
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(Vulnerability)
            .where(Vulnerability.id.in_(ids[start : start + _CHUNK]))
            .values(tlp=label)
            .execution_options(synchronize_session="fetch")
        )


def withheld_findings(session: Session, vulnerability_id: str) -> list[tuple[int, str]]:
    """(finding id, marking) of the vulnerability's findings that are not CLEAR."""
    return [
        (int(finding_id), str(tlp))
        for finding_id, tlp in session.execute(
            select(Finding.id, Finding.tlp)
            .where(Finding.vulnerability_id == vulnerability_id, Finding.tlp != Tlp.clear.value)
            .order_by(Finding.id)
        )
    ]
