"""Systems, the inventory versions uploaded for them, and their components.

A system keeps every inventory ever uploaded for it (versions 1, 2, 3...); ``current_version``
names the one in force. Components of the current version carry ``current = true`` and are
indexed by (ecosystem, normalised name) under that condition only, so that reverse matching an
advisory touches the inventories in force and never the history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

# organization, which our foreign keys name, must be declared first
import clearinghouse.participants.models  # noqa: F401
from clearinghouse.store import Base, UTCDateTime, utcnow


class Criticality(StrEnum):
    """How much depends on a system (drives prioritisation and notifications)."""

    safety_critical = "safety-critical"
    """Failure can harm people: a hospital's infusion pumps, a utility's SCADA."""
    business_critical = "business-critical"
    other = "other"


class System(Base):
    """A named system an operator runs, with one inventory in force."""

    __tablename__ = "system"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_system_org_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    criticality: Mapped[str] = mapped_column(String(32))
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    """Version number of the inventory in force (0: none yet)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inventory(Base):
    """One uploaded SBOM or lockfile of a system; never changed after upload."""

    __tablename__ = "inventory"
    __table_args__ = (UniqueConstraint("system_id", "version", name="uq_inventory_system_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("system.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    component_count: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(String(1024))
    """What the document says it describes (CycloneDX metadata.component, SPDX name)."""
    bom_serial: Mapped[str | None] = mapped_column(String(255), index=True)
    """CycloneDX ``serialNumber``: BOM-Links in VEX documents name the BOM by it."""
    bom_version: Mapped[int | None] = mapped_column(Integer)
    subject_ref: Mapped[str | None] = mapped_column(String(1024))
    """bom-ref of ``metadata.component``: a VEX statement about it is about the whole system."""
    subject_version: Mapped[str | None] = mapped_column(String(255))


class InventoryComponent(Base):
    """One package of one inventory version."""

    __tablename__ = "inventory_component"
    __table_args__ = (
        Index(
            "ix_inventory_component_current_lookup",
            "ecosystem_base",
            "name_key",
            postgresql_where=text("current"),
            sqlite_where=text("current"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inventory_id: Mapped[int] = mapped_column(
        ForeignKey("inventory.id", ondelete="CASCADE"), index=True
    )
    system_id: Mapped[int] = mapped_column(ForeignKey("system.id", ondelete="CASCADE"), index=True)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    """Part of the system's inventory in force."""
    purl: Mapped[str] = mapped_column(String(2048))
    ecosystem: Mapped[str | None] = mapped_column(String(255))
    """OSV ecosystem as the component states it (``Debian:12``); None when none covers it."""
    ecosystem_base: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    name_key: Mapped[str] = mapped_column(String(512))
    """The name as the advisory index stores it (:func:`clearinghouse.ecosystems.name_key`)."""
    version: Mapped[str | None] = mapped_column(String(255))
    ref: Mapped[str | None] = mapped_column(String(1024))
    dev: Mapped[bool] = mapped_column(Boolean, default=False)
