"""Designation: restricted rules, the proposal they make, and the official's decision.

Rules (benchmark, scorer, metric, operator, threshold, level) are readable and changeable only
by principals holding the ``designation`` clearance in a coordinator or evaluator organization.
For everyone else they do not exist: every rule service answers :class:`NotFound`, and their
content never leaves these functions except to cleared callers. Their audit events are
``restricted`` (``audit list`` shows no content for them).

Applying the rules to a version's evaluations proposes one of ``below`` < ``alert`` <
``cannot_rule_out`` < ``crossed``. A metric short of a ``crossed`` threshold still "cannot rule
out" crossing when its 95% confidence interval (value ± 1.96 stderr) reaches the threshold, or
when the run did not finish (error, cancelled, or fewer samples completed than planned). A rule
flagged "cannot rule out → treat as crossed" turns that finding into ``crossed``. A cleared
official then records the designation, covered or not covered, with a rationale; the developer
sees only the outcome.
"""

from __future__ import annotations

import math
import operator as op
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.frontier.benchmarks import BENCHMARK_KEYS
from clearinghouse.frontier.common import (
    Invalid,
    NotFound,
    audit,
    clean_text,
    is_cleared,
    require_cleared,
    require_role,
)
from clearinghouse.frontier.evaluations import version_evaluations
from clearinghouse.frontier.models import (
    Designation,
    DesignationRule,
    Evaluation,
    FrontierModel,
    ModelVersion,
)
from clearinghouse.frontier.registry import get_version, version_model
from clearinghouse.participants.models import Role
from clearinghouse.participants.service import Principal
from clearinghouse.store import utcnow

Z95 = 1.959963984540054


class Level(StrEnum):
    below = "below"
    alert = "alert"
    cannot_rule_out = "cannot_rule_out"
    crossed = "crossed"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Level.below: 0, Level.alert: 1, Level.cannot_rule_out: 2, Level.crossed: 3}


class RuleLevel(StrEnum):
    alert = "alert"
    crossed = "crossed"


class Outcome(StrEnum):
    covered = "covered"
    not_covered = "not_covered"


OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": op.ge,
    ">": op.gt,
    "<=": op.le,
    "<": op.lt,
}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    name: str
    benchmark: str
    metric: str
    operator: str
    threshold: float
    level: RuleLevel
    scorer: str | None = None
    cannot_rule_out_as_crossed: bool = False
    note: str = ""
    active: bool = True


def _validate(spec: RuleSpec) -> None:
    if spec.benchmark not in BENCHMARK_KEYS:
        raise Invalid(f"benchmark must be one of {', '.join(sorted(BENCHMARK_KEYS))}")
    if spec.operator not in OPERATORS:
        raise Invalid(f"operator must be one of {', '.join(OPERATORS)}")
    if not math.isfinite(spec.threshold):
        raise Invalid("threshold must be a finite number")
    clean_text(spec.name, "name", required=True, limit=200)
    clean_text(spec.metric, "metric", required=True, limit=200)
    if spec.cannot_rule_out_as_crossed and spec.level is not RuleLevel.crossed:
        raise Invalid("only a crossed-level rule can treat 'cannot rule out' as crossed")


def rule_snapshot(rule: DesignationRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "benchmark": rule.benchmark,
        "scorer": rule.scorer,
        "metric": rule.metric,
        "operator": rule.operator,
        "threshold": rule.threshold,
        "level": rule.level,
        "cannot_rule_out_as_crossed": rule.cannot_rule_out_as_crossed,
        "note": rule.note,
        "active": rule.active,
        "revision": rule.revision,
    }


# -- rules (restricted) --------------------------------------------------------------------------


def list_rules(session: Session, principal: Principal) -> list[DesignationRule]:
    require_cleared(principal)
    return list(session.scalars(select(DesignationRule).order_by(DesignationRule.id)))


def get_rule(session: Session, principal: Principal, rule_id: int) -> DesignationRule:
    require_cleared(principal)
    rule = session.get(DesignationRule, rule_id)
    if rule is None:
        raise NotFound()
    return rule


def create_rule(session: Session, principal: Principal, spec: RuleSpec) -> DesignationRule:
    require_cleared(principal)
    require_role(principal, Role.analyst)
    _validate(spec)
    rule = DesignationRule(
        name=spec.name.strip(),
        benchmark=spec.benchmark,
        scorer=(spec.scorer or "").strip() or None,
        metric=spec.metric.strip(),
        operator=spec.operator,
        threshold=float(spec.threshold),
        level=spec.level.value,
        cannot_rule_out_as_crossed=spec.cannot_rule_out_as_crossed,
        note=clean_text(spec.note, "note"),
        active=spec.active,
        revision=1,
        created_by=principal.actor,
    )
    session.add(rule)
    session.flush()
    audit(
        session,
        principal,
        "frontier.designation_rule.create",
        "designation_rule",
        rule.id,
        after=rule_snapshot(rule),
        restricted=True,
    )
    return rule


def update_rule(
    session: Session, principal: Principal, rule_id: int, spec: RuleSpec
) -> DesignationRule:
    rule = get_rule(session, principal, rule_id)
    require_role(principal, Role.analyst)
    _validate(spec)
    before = rule_snapshot(rule)
    rule.name = spec.name.strip()
    rule.benchmark = spec.benchmark
    rule.scorer = (spec.scorer or "").strip() or None
    rule.metric = spec.metric.strip()
    rule.operator = spec.operator
    rule.threshold = float(spec.threshold)
    rule.level = spec.level.value
    rule.cannot_rule_out_as_crossed = spec.cannot_rule_out_as_crossed
    rule.note = clean_text(spec.note, "note")
    rule.active = spec.active
    rule.revision += 1
    rule.updated_at = utcnow()
    audit(
        session,
        principal,
        "frontier.designation_rule.update",
        "designation_rule",
        rule.id,
        before=before,
        after=rule_snapshot(rule),
        restricted=True,
    )
    return rule


def delete_rule(session: Session, principal: Principal, rule_id: int) -> None:
    rule = get_rule(session, principal, rule_id)
    require_role(principal, Role.analyst)
    audit(
        session,
        principal,
        "frontier.designation_rule.delete",
        "designation_rule",
        rule.id,
        before=rule_snapshot(rule),
        restricted=True,
    )
    session.delete(rule)


# -- applying the rules --------------------------------------------------------------------------


def _metric(evaluation: Evaluation, rule: DesignationRule) -> tuple[float, float | None] | None:
    """The rule's metric in this evaluation, with the same scorer's stderr when reported."""
    for score in evaluation.scores or []:
        if rule.scorer and rule.scorer not in (score.get("name"), score.get("scorer")):
            continue
        metrics = score.get("metrics") or {}
        if rule.metric in metrics:
            stderr = metrics.get("stderr") if rule.metric != "stderr" else None
            return float(metrics[rule.metric]), None if stderr is None else float(stderr)
    return None


def _finding(rule: DesignationRule, evaluation: Evaluation) -> dict[str, Any] | None:
    found = _metric(evaluation, rule)
    if found is None:
        return None
    value, stderr = found
    compare = OPERATORS[rule.operator]
    incomplete = (
        evaluation.status != "success" or evaluation.completed_samples < evaluation.total_samples
    )
    level = Level.below
    basis = "the metric does not meet the threshold"
    if compare(value, rule.threshold):
        level = Level(rule.level)
        basis = "the metric meets the threshold"
    elif rule.level == RuleLevel.crossed.value:
        margin = Z95 * stderr if stderr is not None else 0.0
        bound = value + margin if rule.operator in (">=", ">") else value - margin
        if margin and compare(bound, rule.threshold):
            level = Level.cannot_rule_out
            basis = "the 95% confidence interval reaches the threshold"
        elif incomplete:
            level = Level.cannot_rule_out
            basis = "the run did not complete, so its result cannot rule out crossing"
    treated = level is Level.cannot_rule_out and rule.cannot_rule_out_as_crossed
    return {
        "rule_id": rule.id,
        "rule": rule.name,
        "evaluation_id": evaluation.id,
        "task": evaluation.task,
        "metric": rule.metric,
        "value": value,
        "stderr": stderr,
        "operator": rule.operator,
        "threshold": rule.threshold,
        "level": level.value,
        "treated_as_crossed": treated,
        "basis": basis,
    }


def propose(session: Session, principal: Principal, version_id: int) -> dict[str, Any]:
    """Apply the active rules to the version's evaluations (cleared callers only)."""
    require_cleared(principal)
    version = _any_version(session, version_id)
    rules = session.scalars(
        select(DesignationRule).where(DesignationRule.active.is_(True)).order_by(DesignationRule.id)
    ).all()
    evaluations = version_evaluations(session, version.id)
    findings: list[dict[str, Any]] = []
    not_evaluated: list[int] = []
    for rule in rules:
        matching = [e for e in evaluations if e.benchmark == rule.benchmark]
        rule_findings = [f for e in matching if (f := _finding(rule, e)) is not None]
        if not rule_findings:
            not_evaluated.append(rule.id)
        findings.extend(rule_findings)
    level = Level.below
    for finding in findings:
        effective = Level.crossed if finding["treated_as_crossed"] else Level(finding["level"])
        if effective.rank > level.rank:
            level = effective
    raw = max((Level(f["level"]) for f in findings), key=lambda x: x.rank, default=Level.below)
    treat_as_crossed = any(f["treated_as_crossed"] for f in findings)
    return {
        "version_id": version.id,
        "level": level.value,
        "highest_finding": raw.value,
        "treat_as_crossed": treat_as_crossed,
        "suggested_outcome": (
            Outcome.covered if level is Level.crossed else Outcome.not_covered
        ).value,
        "findings": findings,
        "rules_without_evidence": not_evaluated,
        "evaluations": [e.id for e in evaluations],
        "computed_at": utcnow().isoformat(),
    }


def _any_version(session: Session, version_id: int) -> ModelVersion:
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound("no such model version")
    return version


# -- designations --------------------------------------------------------------------------------


def record_designation(
    session: Session,
    principal: Principal,
    version_id: int,
    outcome: Outcome,
    rationale: str,
) -> Designation:
    """A cleared official decides; engagements waiting on the designation move on."""
    require_cleared(principal)
    require_role(principal, Role.analyst)
    version = _any_version(session, version_id)
    rationale = clean_text(rationale, "rationale", required=True)
    designation = Designation(
        version_id=version.id,
        outcome=outcome.value,
        rationale=rationale,
        proposal=propose(session, principal, version.id),
        decided_by=principal.actor,
    )
    session.add(designation)
    session.flush()
    model = version_model(session, version)
    audit(
        session,
        principal,
        "frontier.designation.record",
        "frontier_model_version",
        version.id,
        after={"designation_id": designation.id, "outcome": outcome.value, "rationale": rationale},
        organization_id=model.organization_id,
        restricted=True,
    )
    from clearinghouse.frontier.engagements import designation_recorded

    designation_recorded(session, principal, version.id, outcome)
    return designation


def current_designation(session: Session, version_id: int) -> Designation | None:
    return session.scalar(
        select(Designation)
        .where(Designation.version_id == version_id)
        .order_by(Designation.decided_at.desc(), Designation.id.desc())
        .limit(1)
    )


def designation_view(session: Session, principal: Principal, version_id: int) -> dict[str, Any]:
    """The outcome for whoever sees the version; rationale and proposal for cleared callers."""
    if is_cleared(principal):
        _any_version(session, version_id)
    else:
        version = get_version(session, principal, version_id)
        owner = version_model(session, version).organization_id
        if owner != principal.organization_id and not principal.is_coordinator:
            raise NotFound("no such model version")
    designation = current_designation(session, version_id)
    if designation is None:
        return {"version_id": version_id, "outcome": None, "decided_at": None}
    view: dict[str, Any] = {
        "version_id": version_id,
        "outcome": designation.outcome,
        "decided_at": designation.decided_at,
    }
    if is_cleared(principal):
        view |= {
            "id": designation.id,
            "rationale": designation.rationale,
            "proposal": designation.proposal,
            "decided_by": designation.decided_by,
        }
    return view


def designation_queue(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Versions with evaluations, for cleared officials: current outcome and proposal level."""
    require_cleared(principal)
    version_ids = session.scalars(select(Evaluation.version_id).distinct()).all()
    out = []
    for version_id in sorted(version_ids):
        version = _any_version(session, version_id)
        model = session.get(FrontierModel, version.model_id)
        current = current_designation(session, version_id)
        out.append(
            {
                "version_id": version_id,
                "model": model.name if model else "",
                "number": version.number,
                "outcome": current.outcome if current else None,
                "proposal": propose(session, principal, version_id)["level"],
            }
        )
    return out
