"""Designation over HTTP. Rule endpoints answer a plain 404 ("Not Found") to anyone without
the designation clearance, before the request body is even read, so to them the rules do not
exist. The developer reads only the outcome of a designation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from clearinghouse.api.deps import PrincipalDep, SessionDep
from clearinghouse.api.routes.frontier import FrontierRoute
from clearinghouse.frontier import designation
from clearinghouse.frontier.common import is_cleared
from clearinghouse.frontier.designation import Outcome, RuleLevel, RuleSpec
from clearinghouse.participants.service import Principal

router = APIRouter(
    prefix="/api/v1/frontier", tags=["frontier: designation"], route_class=FrontierRoute
)


def cleared(principal: PrincipalDep) -> Principal:
    if not is_cleared(principal):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    return principal


ClearedDep = Annotated[Principal, Depends(cleared)]


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    benchmark: str = Field(max_length=40)
    scorer: str | None = Field(default=None, max_length=200)
    metric: str = Field(min_length=1, max_length=200)
    operator: str = Field(max_length=2, description=">=, >, <= or <")
    threshold: float
    level: RuleLevel
    cannot_rule_out_as_crossed: bool = False
    note: str = Field(default="", max_length=20000)
    active: bool = True

    def spec(self) -> RuleSpec:
        return RuleSpec(**self.model_dump())


class DesignationIn(BaseModel):
    outcome: Outcome
    rationale: str = Field(min_length=1, max_length=20000)


@router.get("/designation-rules", summary="Designation rules (designation clearance only)")
def list_rules(principal: ClearedDep, session: SessionDep) -> list[dict[str, Any]]:
    return [designation.rule_snapshot(r) for r in designation.list_rules(session, principal)]


@router.post(
    "/designation-rules",
    status_code=status.HTTP_201_CREATED,
    summary="Create a designation rule (designation clearance only)",
)
def create_rule(body: RuleIn, principal: ClearedDep, session: SessionDep) -> dict[str, Any]:
    return designation.rule_snapshot(designation.create_rule(session, principal, body.spec()))


@router.get("/designation-rules/{rule_id}", summary="One designation rule")
def get_rule(rule_id: int, principal: ClearedDep, session: SessionDep) -> dict[str, Any]:
    return designation.rule_snapshot(designation.get_rule(session, principal, rule_id))


@router.put("/designation-rules/{rule_id}", summary="Replace a designation rule")
def update_rule(
    rule_id: int, body: RuleIn, principal: ClearedDep, session: SessionDep
) -> dict[str, Any]:
    rule = designation.update_rule(session, principal, rule_id, body.spec())
    return designation.rule_snapshot(rule)


@router.delete(
    "/designation-rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a designation rule",
)
def delete_rule(rule_id: int, principal: ClearedDep, session: SessionDep) -> None:
    designation.delete_rule(session, principal, rule_id)


@router.get("/designation-queue", summary="Evaluated versions with outcome and proposal")
def queue(principal: ClearedDep, session: SessionDep) -> list[dict[str, Any]]:
    return designation.designation_queue(session, principal)


@router.get(
    "/versions/{version_id}/designation-proposal",
    summary="Apply the rules to the version's evaluations (designation clearance only)",
)
def proposal(version_id: int, principal: ClearedDep, session: SessionDep) -> dict[str, Any]:
    return designation.propose(session, principal, version_id)


@router.post(
    "/versions/{version_id}/designation",
    status_code=status.HTTP_201_CREATED,
    summary="Record the designation: covered or not covered, with a rationale",
)
def record(
    version_id: int, body: DesignationIn, principal: ClearedDep, session: SessionDep
) -> dict[str, Any]:
    designation.record_designation(session, principal, version_id, body.outcome, body.rationale)
    return designation.designation_view(session, principal, version_id)


@router.get(
    "/versions/{version_id}/designation",
    summary="The version's designation: the outcome (and, for cleared callers, the rationale)",
)
def view(version_id: int, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return designation.designation_view(session, principal, version_id)
