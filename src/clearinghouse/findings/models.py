"""Findings, the vulnerabilities they are deduplicated into, and the triage trail.

A *finding* is one report as a participant submitted it (raw payload kept). A *vulnerability*
is one distinct bug: every finding belongs to exactly one, by an exact key (alias, SARIF
fingerprint, location), a near-duplicate score, or an analyst's decision; each finding says
which and with what score. Vulnerabilities carry the triage state; nothing here is public
until an analyst publishes it (then, and only then, an OSV record enters the knowledge base).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.store import JSONB, Base, UTCDateTime, utcnow


class TriageState(StrEnum):
    new = "new"
    triaged = "triaged"
    validated = "validated"
    duplicate = "duplicate"
    invalid = "invalid"
    known = "known"
    published = "published"


class Submission(Base):
    """One intake request: who sent what, in which format, and what was refused."""

    __tablename__ = "finding_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(1024))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejections: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


class Vulnerability(Base):
    """One distinct vulnerability: the unit analysts triage, prioritise and publish."""

    __tablename__ = "vulnerability"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """``x_CHS-xxxx-xxxx-xxxx``; becomes the OSV id when published."""
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), index=True, default=TriageState.new.value)
    ecosystem: Mapped[str | None] = mapped_column(String(255))
    package_name: Mapped[str | None] = mapped_column(String(512))
    cwes: Mapped[list[str]] = mapped_column(JSONB, default=list)
    aliases: Mapped[list[str]] = mapped_column(JSONB, default=list)
    cvss_vectors: Mapped[list[str]] = mapped_column(JSONB, default=list)
    affected: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """OSV ``affected[]`` entries gathered from its findings (published as they are)."""
    exploitation: Mapped[str | None] = mapped_column(String(16))
    """Strongest reporter claim: ``none``, ``poc`` (also: a PoC was attached) or ``active``."""
    location: Mapped[str | None] = mapped_column(String(2048))
    rule_id: Mapped[str | None] = mapped_column(String(512))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    """Term counts of the representative text, whole and per bullet (near-duplicates)."""
    known_advisory_id: Mapped[str | None] = mapped_column(String(255), index=True)
    """The knowledge-base advisory this vulnerability restates (state ``known``)."""
    published_advisory_id: Mapped[str | None] = mapped_column(String(255))
    duplicate_of: Mapped[str | None] = mapped_column(String(64))
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    tlp: Mapped[str] = mapped_column(String(16), default="AMBER", server_default="AMBER")
    """TLP 2.0 marking: the most restrictive of its findings' (``findings.marking``); only a
    CLEAR vulnerability may be published."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FindingAttachment(Base):
    """A proof of concept, stored once per content hash; never executed, served as bytes."""

    __tablename__ = "finding_attachment"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(127))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Finding(Base):
    __tablename__ = "finding"
    __table_args__ = (Index("ix_finding_org_created", "organization_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("finding_submission.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    vulnerability_id: Mapped[str] = mapped_column(ForeignKey("vulnerability.id"), index=True)
    batch_index: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    tool_name: Mapped[str | None] = mapped_column(String(200))
    tool_version: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    ecosystem: Mapped[str | None] = mapped_column(String(255))
    package_name: Mapped[str | None] = mapped_column(String(512))
    purl: Mapped[str | None] = mapped_column(String(1024))
    affected: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    cwes: Mapped[list[str]] = mapped_column(JSONB, default=list)
    cvss_vectors: Mapped[list[str]] = mapped_column(JSONB, default=list)
    aliases: Mapped[list[str]] = mapped_column(JSONB, default=list)
    rule_id: Mapped[str | None] = mapped_column(String(512))
    location: Mapped[str | None] = mapped_column(String(2048))
    found_by_ai: Mapped[bool] = mapped_column(Boolean, default=False)
    ai_model: Mapped[str | None] = mapped_column(String(200))
    exploitation: Mapped[str | None] = mapped_column(String(16))
    attachment_sha256: Mapped[str | None] = mapped_column(ForeignKey("finding_attachment.sha256"))
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    """Automatic intake checks: ``{"check", "status": pass|fail|skip, "detail"}``."""
    dedup_method: Mapped[str] = mapped_column(String(16))
    """How it joined its vulnerability: ``new``, ``exact``, ``alias``, ``near``, ``known``,
    ``analyst``."""
    dedup_score: Mapped[float] = mapped_column(Float, default=1.0)
    dedup_reason: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str] = mapped_column(Text)
    """The finding exactly as submitted (compact JSON; an attachment replaced by its hash)."""
    tlp: Mapped[str] = mapped_column(String(16), default="AMBER", server_default="AMBER")
    """TLP 2.0 marking: given with the submission, else the report's own, else AMBER."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FindingKey(Base):
    """Exact deduplication keys (aliases, fingerprints, locations) -> vulnerability."""

    __tablename__ = "finding_key"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    vulnerability_id: Mapped[str] = mapped_column(
        ForeignKey("vulnerability.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class VulnerabilityPackage(Base):
    """Package keys of a vulnerability (blocking for near-duplicate search)."""

    __tablename__ = "vulnerability_package"

    package_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    vulnerability_id: Mapped[str] = mapped_column(
        ForeignKey("vulnerability.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Transition(Base):
    """One move of a vulnerability's triage state: who, when, why, with what evidence."""

    __tablename__ = "vulnerability_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vulnerability_id: Mapped[str] = mapped_column(
        ForeignKey("vulnerability.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(255))
    organization_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    evidence: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class EpssScore(Base):
    """FIRST EPSS: probability of exploitation activity in the next 30 days, per CVE."""

    __tablename__ = "epss_score"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    epss: Mapped[float] = mapped_column(Float)
    percentile: Mapped[float] = mapped_column(Float)
    score_date: Mapped[date | None] = mapped_column(Date)
    model_version: Mapped[str | None] = mapped_column(String(64))
