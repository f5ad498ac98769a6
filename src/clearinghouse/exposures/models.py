"""Exposures (advisory x component x system), VEX statements, and the advisory-change queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

# the tables our foreign keys name (advisory, system, organization) must be declared first
import clearinghouse.advisories.models
import clearinghouse.inventories.models  # noqa: F401
from clearinghouse.formats.openvex import VexStatus
from clearinghouse.store import JSONB, Base, UTCDateTime, utcnow

__all__ = [
    "RESOLVED_STATE",
    "Exposure",
    "PendingAdvisoryChange",
    "Resolution",
    "TargetKind",
    "VexStatement",
    "VexStatementIdentifier",
    "VexStatus",
]


class Resolution(StrEnum):
    """Why an exposure stopped being live."""

    upgraded = "upgraded"
    """The system's new inventory has the package at another version."""
    removed = "removed"
    """The system's new inventory no longer has the package."""
    withdrawn = "withdrawn"
    """The advisory was withdrawn."""
    advisory_changed = "advisory_changed"
    """The advisory was revised and no longer covers this version."""


RESOLVED_STATE: dict[Resolution, VexStatus] = {
    Resolution.upgraded: VexStatus.fixed,
    Resolution.removed: VexStatus.fixed,
    Resolution.withdrawn: VexStatus.not_affected,
    Resolution.advisory_changed: VexStatus.not_affected,
}
"""The state a resolved exposure ends in."""


class Exposure(Base):
    """An advisory affecting one package version of one system's inventory in force."""

    __tablename__ = "exposure"
    __table_args__ = (
        UniqueConstraint(
            "system_id",
            "advisory_id",
            "ecosystem",
            "name_key",
            "version",
            name="uq_exposure_identity",
        ),
        Index("ix_exposure_package", "name_key", "version"),
        Index("ix_exposure_org_rank", "organization_id", "severity_rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    system_id: Mapped[int] = mapped_column(ForeignKey("system.id", ondelete="CASCADE"))
    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisory.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(512))
    name_key: Mapped[str] = mapped_column(String(512))
    version: Mapped[str] = mapped_column(String(255))
    purl: Mapped[str] = mapped_column(String(2048))
    state: Mapped[str] = mapped_column(String(32))
    """A :class:`VexStatus`: ``affected`` when matched, a VEX statement's status when one
    applies, ``fixed``/``not_affected`` once resolved."""
    justification: Mapped[str | None] = mapped_column(String(64))
    vex_statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("vex_statement.id", ondelete="SET NULL")
    )
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(32))
    remediation: Mapped[str | None] = mapped_column(String(255))
    """Smallest version above the current one that no known advisory for the package affects."""
    severity_rating: Mapped[str | None] = mapped_column(String(16))
    severity_score: Mapped[float | None] = mapped_column(Float)
    severity_rank: Mapped[int] = mapped_column(Integer, default=0)
    """0 unknown, 1 NONE .. 5 CRITICAL (:func:`clearinghouse.formats.osv.rating_rank`)."""
    kev: Mapped[bool] = mapped_column(Boolean, default=False)


class PendingAdvisoryChange(Base):
    """An advisory imported (new or revised) whose exposures are not yet brought up to date.

    Written in the import's own transaction; drained by
    :func:`clearinghouse.exposures.service.process_advisory_changes`.
    """

    __tablename__ = "exposure_pending_advisory"

    advisory_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class TargetKind(StrEnum):
    package = "package"
    """A package (purl), optionally one version or a version set, in every system or one."""
    system = "system"
    """A whole system: the statement's product is the system itself."""
    bom_link = "bom-link"
    """A CycloneDX BOM-Link: the BOM (by serial number) or one of its components."""


class VexStatement(Base):
    """An operator's VEX statement: applies to matching exposures now and in the future."""

    __tablename__ = "vex_statement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    vulnerability: Mapped[str] = mapped_column(String(255))
    aliases: Mapped[list[str]] = mapped_column(JSONB, default=list)
    status: Mapped[str] = mapped_column(String(32))
    justification: Mapped[str | None] = mapped_column(String(64))
    """CISA/OpenVEX justification label (CycloneDX labels are mapped; see ``original``)."""
    impact_statement: Mapped[str | None] = mapped_column(Text)
    action_statement: Mapped[str | None] = mapped_column(Text)
    target_kind: Mapped[str] = mapped_column(String(16))
    system_id: Mapped[int | None] = mapped_column(ForeignKey("system.id", ondelete="CASCADE"))
    purl: Mapped[str | None] = mapped_column(String(2048))
    package_ecosystem: Mapped[str | None] = mapped_column(String(255))
    package_base: Mapped[str | None] = mapped_column(String(64))
    package_key: Mapped[str | None] = mapped_column(String(512))
    package_version: Mapped[str | None] = mapped_column(String(255))
    bom_serial: Mapped[str | None] = mapped_column(String(255))
    bom_ref: Mapped[str | None] = mapped_column(String(2048))
    versions: Mapped[list[str] | None] = mapped_column(JSONB)
    """Version constraints (exact versions or ``vers:`` ranges); None: every version."""
    source: Mapped[str] = mapped_column(String(100))
    """``api``, or the document format (``CycloneDX 1.4 JSON``, ``OpenVEX 0.2.0``)."""
    document: Mapped[str | None] = mapped_column(String(1024))
    """The document's id or file name, for imported statements."""
    original: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    """The statement as the document wrote it (state, justification, responses, ...)."""
    statement_time: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the statement was known true; the latest applicable statement wins."""
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VexStatementIdentifier(Base):
    """The vulnerability id and aliases a statement names, indexed for matching advisories."""

    __tablename__ = "vex_statement_identifier"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("vex_statement.id", ondelete="CASCADE"), primary_key=True
    )
    identifier: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    organization_id: Mapped[int] = mapped_column(Integer)
