"""Tables of the covered-frontier-model program.

Registry (models, versions, aliases), evaluations, designation rules and designations,
pre-release engagements, the defensive-access catalogue with applications and grants, and
incident reports with their law-enforcement referrals. Designation rules and the rationale of a
designation are restricted: only principals holding the ``designation`` clearance read them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.store import Base, UTCDateTime, utcnow

# -- registry ------------------------------------------------------------------------------------


class LearningApproach(StrEnum):
    """CycloneDX ``modelCard.modelParameters.approach.type``."""

    supervised = "supervised"
    unsupervised = "unsupervised"
    reinforcement_learning = "reinforcement-learning"
    semi_supervised = "semi-supervised"
    self_supervised = "self-supervised"


class Autonomy(StrEnum):
    """How far the model acts on its own when it uses tools."""

    none = "none"
    """Answers only; takes no action."""
    human_in_the_loop = "human-in-the-loop"
    """Proposes actions that a person approves one by one."""
    supervised_agent = "supervised-agent"
    """Acts on its own in multi-step tasks, watched and interruptible."""
    autonomous_agent = "autonomous-agent"
    """Acts on its own for long tasks without step-by-step oversight."""


class ReleaseChannel(StrEnum):
    api = "api"
    consumer_app = "consumer-app"
    enterprise = "enterprise"
    cloud_marketplace = "cloud-marketplace"
    open_weights = "open-weights"
    on_premises = "on-premises"


class FrontierModel(Base):
    """A model family registered by an AI developer (``Claude``, ``Gemini``...)."""

    __tablename__ = "frontier_model"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    """Key/value tags, as in MLflow's model registry."""
    evaluator_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    """Evaluator organizations the developer shared this model with."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelVersion(Base):
    """One version of a model, numbered 1, 2, 3... with its model card."""

    __tablename__ = "frontier_model_version"
    __table_args__ = (UniqueConstraint("model_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_model.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100), default="")
    """The developer's own name for the version (``2026-06-preview``)."""
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Model-card fields (see :class:`clearinghouse.frontier.registry.ModelCard`)."""
    planned_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelAlias(Base):
    """A movable name pointing at one version (``production``, ``candidate``)."""

    __tablename__ = "frontier_model_alias"
    __table_args__ = (UniqueConstraint("model_id", "alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_model.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(100))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_model_version.id", ondelete="CASCADE")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- evaluations ---------------------------------------------------------------------------------


class Evaluation(Base):
    """One Inspect AI eval log uploaded by an evaluator for a model version."""

    __tablename__ = "frontier_evaluation"
    __table_args__ = (UniqueConstraint("version_id", "log_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_model_version.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    """The evaluator organization that uploaded it."""
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_format: Mapped[str] = mapped_column(String(8))
    log_sha256: Mapped[str] = mapped_column(String(64))
    log_bytes: Mapped[int] = mapped_column(Integer)
    task: Mapped[str] = mapped_column(String(300))
    task_id: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[str] = mapped_column(String(100))
    task_version: Mapped[str] = mapped_column(String(50), default="")
    evaluated_model: Mapped[str] = mapped_column(String(300))
    """The model name inside the log (``provider/model``)."""
    benchmark: Mapped[str | None] = mapped_column(String(40), index=True)
    """The recognised cyber benchmark (``cybench``...), or None."""
    status: Mapped[str] = mapped_column(String(20))
    """Inspect's status: success, error, cancelled or started."""
    error: Mapped[str | None] = mapped_column(Text)
    total_samples: Mapped[int] = mapped_column(Integer, default=0)
    completed_samples: Mapped[int] = mapped_column(Integer, default=0)
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Per scorer: ``{"scorer", "name", "reducer", "metrics": {metric: value}}``."""
    eval_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inspect_version: Mapped[str] = mapped_column(String(40), default="")


# -- designation (restricted) --------------------------------------------------------------------


class DesignationRule(Base):
    """A restricted rule: benchmark, metric, operator, threshold and the level it signals."""

    __tablename__ = "frontier_designation_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    benchmark: Mapped[str] = mapped_column(String(40))
    scorer: Mapped[str | None] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16))
    """``alert`` or ``crossed``."""
    cannot_rule_out_as_crossed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Designation(Base):
    """A cleared official's decision for a version. The outcome is shared; the rest is not."""

    __tablename__ = "frontier_designation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_model_version.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    """``covered`` or ``not_covered``."""
    rationale: Mapped[str] = mapped_column(Text)
    """Restricted."""
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Restricted: the rules' proposal when the decision was recorded."""
    decided_by: Mapped[str] = mapped_column(String(255))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- pre-release engagement ----------------------------------------------------------------------


class Engagement(Base):
    """A developer's voluntary pre-release engagement for one model version."""

    __tablename__ = "frontier_engagement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_model_version.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(32), index=True)
    planned_partner_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the developer gave the current planned partner-release date."""
    window_days: Mapped[int] = mapped_column(Integer)
    """The government-access window length in force when the engagement was opened."""
    note: Mapped[str] = mapped_column(Text, default="")
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EngagementTransition(Base):
    __tablename__ = "frontier_engagement_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_engagement.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TermAcknowledgement(Base):
    """One protection term of the access agreement, acknowledged by one party."""

    __tablename__ = "frontier_term_acknowledgement"
    __table_args__ = (UniqueConstraint("engagement_id", "term", "party"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_engagement.id", ondelete="CASCADE"), index=True
    )
    term: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(16))
    """``developer`` or ``government``."""
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- trusted partners and defensive access -------------------------------------------------------


class CatalogueEntry(Base):
    """Something operators may apply to use early: a covered model or a defensive tool."""

    __tablename__ = "frontier_catalogue_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    """The provider: the developer of the model or the maker of the tool."""
    kind: Mapped[str] = mapped_column(String(20))
    """``covered-model`` or ``defensive-tool``."""
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("frontier_model_version.id", ondelete="SET NULL")
    )
    url: Mapped[str] = mapped_column(String(500), default="")
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    """Taking applications."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessApplication(Base):
    __tablename__ = "frontier_access_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_catalogue_entry.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    """The applicant: an operator or an agency."""
    status: Mapped[str] = mapped_column(String(20))
    requested_tier: Mapped[str] = mapped_column(String(20))
    intended_use: Mapped[str] = mapped_column(Text)
    scope_statement: Mapped[str] = mapped_column(Text)
    """The systems the applicant owns or is authorized to test."""
    verified_by: Mapped[str | None] = mapped_column(String(255))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification_method: Mapped[str] = mapped_column(String(40), default="")
    verification_note: Mapped[str] = mapped_column(Text, default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessGrant(Base):
    __tablename__ = "frontier_access_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_access_application.id", ondelete="CASCADE"), index=True
    )
    tier: Mapped[str] = mapped_column(String(20))
    scope_statement: Mapped[str] = mapped_column(Text)
    blocked_uses: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_partner: Mapped[bool] = mapped_column(Boolean)
    """Whether the applicant had been verified when the grant was made."""
    granted_by: Mapped[str] = mapped_column(String(255))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str] = mapped_column(Text, default="")


class AccessLogEntry(Base):
    """What happened under a grant: granted, used, revoked..."""

    __tablename__ = "frontier_access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_access_grant.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(255))
    organization_id: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    within_grant: Mapped[bool] = mapped_column(Boolean, default=True)
    """False when it happened outside the grant's window or after revocation."""


# -- incidents and referrals ---------------------------------------------------------------------


class Incident(Base):
    __tablename__ = "frontier_incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    """The reporting organization."""
    kind: Mapped[str] = mapped_column(String(40))
    classification: Mapped[str] = mapped_column(String(16))
    """OECD: ``incident`` (harm occurred) or ``hazard`` (harm could plausibly occur)."""
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    initial_report_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the initial report was submitted."""
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    harm_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    alleged_deployer: Mapped[str] = mapped_column(String(300), default="")
    alleged_developer: Mapped[str] = mapped_column(String(300), default="")
    harmed_parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    ai_system: Mapped[str] = mapped_column(String(300), default="")
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("frontier_model_version.id", ondelete="SET NULL")
    )
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    techniques: Mapped[list[str]] = mapped_column(JSON, default=list)
    """MITRE ATT&CK / ATLAS technique ids."""
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    updates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """A referral of an incident to a law-enforcement agency, exported as a signed packet."""

    __tablename__ = "frontier_referral"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("frontier_incident.id", ondelete="CASCADE"), index=True
    )
    agency: Mapped[str] = mapped_column(String(200))
    statutes: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    packet_sha256: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the last exported manifest."""
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
