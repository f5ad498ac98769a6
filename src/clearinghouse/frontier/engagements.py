"""Pre-release engagement: a state machine with no gate.

inquiry -> designation_pending -> covered | not_covered -> access_agreement ->
government_access -> partner_access -> released | withdrawn

There is no "approved" or "blocked" state, and no transition waits on the government: the
developer moves its engagement forward, and may release or withdraw at any step. The one
transition the developer does not make is designation_pending -> covered | not_covered, which
follows the designation a cleared official records (the developer may release without waiting
for it). The access agreement lists the protection terms; the developer acknowledges each before
giving the government access, and the government may countersign (recorded, never required).

The government-access window is computed from the planned partner-release date: it opens
``government_access_days`` (default 30) before it. A date given with less notice than that is
flagged "short notice" and accepted. Deadlines and reminders are computed on every read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.frontier.common import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    audit,
    clean_text,
    is_cleared,
    require_aware,
    require_role,
)
from clearinghouse.frontier.models import Engagement, EngagementTransition, TermAcknowledgement
from clearinghouse.frontier.registry import own_version
from clearinghouse.participants.models import Role
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow


class State(StrEnum):
    inquiry = "inquiry"
    designation_pending = "designation_pending"
    covered = "covered"
    not_covered = "not_covered"
    access_agreement = "access_agreement"
    government_access = "government_access"
    partner_access = "partner_access"
    released = "released"
    withdrawn = "withdrawn"


class Term(StrEnum):
    """The protections the government's access is given under."""

    confidentiality = "confidentiality"
    cybersecurity = "cybersecurity"
    insider_risk = "insider_risk"
    intellectual_property = "intellectual_property"
    use = "use"
    non_disclosure = "non_disclosure"


class Party(StrEnum):
    developer = "developer"
    government = "government"


TERMINAL = frozenset({State.released, State.withdrawn})

DEVELOPER_STEPS: dict[State, frozenset[State]] = {
    State.inquiry: frozenset({State.designation_pending}),
    State.designation_pending: frozenset(),
    State.covered: frozenset({State.access_agreement}),
    State.not_covered: frozenset(),
    State.access_agreement: frozenset({State.government_access}),
    State.government_access: frozenset({State.partner_access}),
    State.partner_access: frozenset(),
}
"""Forward steps the developer takes; release and withdrawal are open from every step."""

REMINDER_OFFSETS = (timedelta(days=7), timedelta(days=1))
"""Reminders before the planned partner release, while the government has access."""


# -- reading -------------------------------------------------------------------------------------


def can_see(principal: Principal, engagement: Engagement) -> bool:
    return (
        engagement.organization_id == principal.organization_id
        or principal.is_coordinator
        or is_cleared(principal)
    )


def get_engagement(session: Session, principal: Principal, engagement_id: int) -> Engagement:
    engagement = session.get(Engagement, engagement_id)
    if engagement is None or not can_see(principal, engagement):
        raise NotFound("no such engagement")
    return engagement


def list_engagements(
    session: Session, principal: Principal, *, state: State | None = None
) -> list[Engagement]:
    query = select(Engagement).order_by(Engagement.id)
    if state is not None:
        query = query.where(Engagement.state == state.value)
    if not (principal.is_coordinator or is_cleared(principal)):
        query = query.where(Engagement.organization_id == principal.organization_id)
    return list(session.scalars(query))


def _own(session: Session, principal: Principal, engagement_id: int) -> Engagement:
    engagement = get_engagement(session, principal, engagement_id)
    if engagement.organization_id != principal.organization_id:
        raise Forbidden("only the developer moves its engagement")
    require_role(principal, Role.member)
    return engagement


def acknowledgements(session: Session, engagement_id: int) -> list[TermAcknowledgement]:
    return list(
        session.scalars(
            select(TermAcknowledgement)
            .where(TermAcknowledgement.engagement_id == engagement_id)
            .order_by(TermAcknowledgement.id)
        )
    )


def history(session: Session, engagement_id: int) -> list[EngagementTransition]:
    return list(
        session.scalars(
            select(EngagementTransition)
            .where(EngagementTransition.engagement_id == engagement_id)
            .order_by(EngagementTransition.id)
        )
    )


def _entered(session: Session, engagement_id: int, state: State) -> datetime | None:
    for row in history(session, engagement_id):
        if row.to_state == state.value:
            return row.at
    return None


def next_states(engagement: Engagement) -> list[str]:
    state = State(engagement.state)
    if state in TERMINAL:
        return []
    steps = set(DEVELOPER_STEPS[state]) | {State.released, State.withdrawn}
    return sorted(s.value for s in steps)


def missing_terms(session: Session, engagement_id: int) -> list[str]:
    done = {
        a.term for a in acknowledgements(session, engagement_id) if a.party == Party.developer.value
    }
    return [t.value for t in Term if t.value not in done]


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)


def schedule(
    session: Session, engagement: Engagement, *, now: datetime | None = None
) -> dict[str, Any]:
    """The government-access window, notice, deadlines and reminders, as of ``now``."""
    now = now or utcnow()
    window = timedelta(days=engagement.window_days)
    release = engagement.planned_partner_release_at
    state = State(engagement.state)
    gov_started = _entered(session, engagement.id, State.government_access)
    partner_started = _entered(session, engagement.id, State.partner_access)
    result: dict[str, Any] = {
        "window_days": engagement.window_days,
        "planned_partner_release_at": release,
        "notice_given_at": engagement.notice_given_at,
        "window_opens_at": None,
        "notice_days": None,
        "short_notice": False,
        "government_access_started_at": gov_started,
        "partner_access_started_at": partner_started,
        "government_access_days": None,
        "deadlines": [],
        "reminders": [],
    }
    if gov_started is not None:
        end = partner_started or (now if state is State.government_access else None)
        if end is None:
            end = _entered(session, engagement.id, State(engagement.state)) or now
        result["government_access_days"] = _days(end - gov_started)
    if release is None:
        if state not in TERMINAL:
            result["reminders"].append(
                _reminder("developer", "give a planned partner-release date", None, now)
            )
        return result
    opens = release - window
    notice_at = engagement.notice_given_at or engagement.created_at
    result["window_opens_at"] = opens
    result["notice_days"] = _days(release - notice_at)
    result["short_notice"] = release - notice_at < window
    result["deadlines"] = [
        _deadline("government_access_window_opens", opens, now),
        _deadline("planned_partner_release", release, now),
    ]
    reminders = result["reminders"]
    if state in (State.covered, State.access_agreement):
        reminders.append(
            _reminder(
                "developer",
                "acknowledge the protection terms and give the government access",
                opens,
                now,
            )
        )
    if state is State.government_access:
        for offset in REMINDER_OFFSETS:
            reminders.append(
                _reminder(
                    "government",
                    f"the government-access window closes in {offset.days} day(s)",
                    release - offset,
                    now,
                )
            )
    if state in (State.access_agreement, State.government_access, State.partner_access):
        reminders.append(
            _reminder("developer", "planned partner release", release, now),
        )
    return result


def _deadline(name: str, due: datetime, now: datetime) -> dict[str, Any]:
    return {"name": name, "due_at": due, "passed": due <= now, "days_left": _days(due - now)}


def _reminder(audience: str, message: str, due: datetime | None, now: datetime) -> dict[str, Any]:
    status = "open" if due is None else ("due" if due <= now else "upcoming")
    return {"audience": audience, "message": message, "due_at": due, "status": status}


def engagement_view(
    session: Session, principal: Principal, engagement_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    engagement = get_engagement(session, principal, engagement_id)
    terms: dict[str, dict[str, Any]] = {t.value: {} for t in Term}
    for ack in acknowledgements(session, engagement.id):
        terms[ack.term][ack.party] = {"by": ack.actor, "at": ack.at}
    return {
        "id": engagement.id,
        "version_id": engagement.version_id,
        "organization_id": engagement.organization_id,
        "state": engagement.state,
        "next_states": next_states(engagement),
        "terms": terms,
        "terms_missing": missing_terms(session, engagement.id),
        "note": engagement.note,
        "withdrawal_reason": engagement.withdrawal_reason,
        "schedule": schedule(session, engagement, now=now),
        "history": [
            {
                "from": row.from_state,
                "to": row.to_state,
                "by": row.actor,
                "at": row.at,
                "note": row.note,
            }
            for row in history(session, engagement.id)
        ],
        "created_at": engagement.created_at,
        "updated_at": engagement.updated_at,
    }


# -- changing ------------------------------------------------------------------------------------


def _snapshot(engagement: Engagement) -> dict[str, Any]:
    return {
        "id": engagement.id,
        "version_id": engagement.version_id,
        "state": engagement.state,
        "planned_partner_release_at": engagement.planned_partner_release_at,
        "notice_given_at": engagement.notice_given_at,
        "window_days": engagement.window_days,
    }


def _move(
    session: Session,
    principal: Principal,
    engagement: Engagement,
    to: State,
    note: str = "",
) -> Engagement:
    before = _snapshot(engagement)
    session.add(
        EngagementTransition(
            engagement_id=engagement.id,
            from_state=engagement.state,
            to_state=to.value,
            actor=principal.actor,
            note=note,
        )
    )
    engagement.state = to.value
    engagement.updated_at = utcnow()
    session.flush()
    audit(
        session,
        principal,
        "frontier.engagement.transition",
        "frontier_engagement",
        engagement.id,
        before=before,
        after=_snapshot(engagement) | {"note": note},
        organization_id=engagement.organization_id,
    )
    return engagement


def open_engagement(
    session: Session,
    principal: Principal,
    version_id: int,
    *,
    window_days: int,
    planned_partner_release_at: datetime | None = None,
    note: str = "",
) -> Engagement:
    """The developer opens an engagement (an inquiry) for one of its versions."""
    version = own_version(session, principal, version_id)
    require_aware(planned_partner_release_at, "planned_partner_release_at")
    active = session.scalar(
        select(Engagement).where(
            Engagement.version_id == version.id,
            Engagement.state.not_in([s.value for s in TERMINAL]),
        )
    )
    if active is not None:
        raise Conflict(f"engagement {active.id} is already open for this version")
    now = utcnow()
    engagement = Engagement(
        version_id=version.id,
        organization_id=principal.organization_id,
        state=State.inquiry.value,
        planned_partner_release_at=planned_partner_release_at,
        notice_given_at=now if planned_partner_release_at else None,
        window_days=window_days,
        note=clean_text(note, "note"),
        created_at=now,
        updated_at=now,
    )
    session.add(engagement)
    session.flush()
    session.add(
        EngagementTransition(
            engagement_id=engagement.id,
            from_state=None,
            to_state=State.inquiry.value,
            actor=principal.actor,
            at=now,
        )
    )
    audit(
        session,
        principal,
        "frontier.engagement.open",
        "frontier_engagement",
        engagement.id,
        after=_snapshot(engagement),
    )
    return engagement


def set_planned_release(
    session: Session, principal: Principal, engagement_id: int, when: datetime
) -> Engagement:
    """A new planned partner-release date: notice counts from now. Never refused."""
    engagement = _own(session, principal, engagement_id)
    require_aware(when, "planned_partner_release_at")
    if State(engagement.state) in TERMINAL:
        raise Conflict(f"the engagement is {engagement.state}")
    before = _snapshot(engagement)
    engagement.planned_partner_release_at = when
    engagement.notice_given_at = utcnow()
    engagement.updated_at = engagement.notice_given_at
    audit(
        session,
        principal,
        "frontier.engagement.planned_release",
        "frontier_engagement",
        engagement.id,
        before=before,
        after=_snapshot(engagement),
    )
    return engagement


def acknowledge_term(
    session: Session, principal: Principal, engagement_id: int, term: Term
) -> TermAcknowledgement:
    """The developer acknowledges a term; a coordinator's acknowledgement is the countersign."""
    engagement = get_engagement(session, principal, engagement_id)
    require_role(principal, Role.member)
    if engagement.organization_id == principal.organization_id:
        party = Party.developer
    elif principal.is_coordinator:
        party = Party.government
    else:
        raise Forbidden("only the developer or the clearinghouse acknowledges terms")
    if State(engagement.state) is not State.access_agreement:
        raise Conflict("terms are acknowledged while the engagement is in access_agreement")
    existing = session.scalar(
        select(TermAcknowledgement).where(
            TermAcknowledgement.engagement_id == engagement.id,
            TermAcknowledgement.term == term.value,
            TermAcknowledgement.party == party.value,
        )
    )
    if existing is not None:
        return existing
    ack = TermAcknowledgement(
        engagement_id=engagement.id, term=term.value, party=party.value, actor=principal.actor
    )
    session.add(ack)
    session.flush()
    audit(
        session,
        principal,
        "frontier.engagement.acknowledge",
        "frontier_engagement",
        engagement.id,
        after={"term": term.value, "party": party.value},
        organization_id=engagement.organization_id,
    )
    return ack


def transition(
    session: Session, principal: Principal, engagement_id: int, to: State, *, note: str = ""
) -> Engagement:
    """The developer moves its engagement: one step forward, or to released/withdrawn."""
    engagement = _own(session, principal, engagement_id)
    current = State(engagement.state)
    note = clean_text(note, "note")
    if current in TERMINAL:
        raise Conflict(f"the engagement is {current.value}; nothing follows")
    if to in TERMINAL:
        if to is State.withdrawn:
            engagement.withdrawal_reason = note
        return _move(session, principal, engagement, to, note)
    if to not in DEVELOPER_STEPS[current]:
        allowed = ", ".join(next_states(engagement))
        if current is State.designation_pending and to in (State.covered, State.not_covered):
            raise Invalid(
                "covered or not_covered follows the recorded designation; "
                f"you may move to: {allowed}"
            )
        raise Invalid(f"from {current.value} the engagement can move to: {allowed}")
    if to is State.government_access:
        missing = missing_terms(session, engagement.id)
        if missing:
            raise Invalid(f"acknowledge every protection term first: {', '.join(missing)} missing")
    _move(session, principal, engagement, to, note)
    if to is State.designation_pending:
        from clearinghouse.frontier.designation import current_designation

        designation = current_designation(session, engagement.version_id)
        if designation is not None:
            _move(
                session,
                principal,
                engagement,
                State(designation.outcome),
                "follows the recorded designation",
            )
    return engagement


def designation_recorded(
    session: Session, principal: Principal, version_id: int, outcome: StrEnum
) -> None:
    """Engagements waiting on (or resting on) a designation follow it."""
    waiting = session.scalars(
        select(Engagement).where(
            Engagement.version_id == version_id,
            Engagement.state.in_(
                [State.designation_pending.value, State.covered.value, State.not_covered.value]
            ),
        )
    ).all()
    target = State(outcome.value)
    for engagement in waiting:
        if engagement.state != target.value:
            _move(session, principal, engagement, target, "follows the recorded designation")
