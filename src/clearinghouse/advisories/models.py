"""Knowledge-base tables: advisories as received, their aliases, the package index, KEV, feeds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.store import JSONB, Base, UTCDateTime, utcnow


class Advisory(Base):
    """One OSV record, stored exactly as received (compact JSON) plus the columns we query."""

    __tablename__ = "advisory"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    severity_rating: Mapped[str | None] = mapped_column(String(16))
    severity_score: Mapped[float | None] = mapped_column(Float)
    severity_vector: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(255))
    """Where it came from: an ecosystem archive (``PyPI``), a directory or a URL."""
    record: Mapped[str] = mapped_column(Text)
    """The OSV record as compact JSON text."""
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AdvisoryAlias(Base):
    """An alias (CVE, GHSA, ...) or upstream id of an advisory; searchable in both directions."""

    __tablename__ = "advisory_alias"

    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisory.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="alias")
    """``alias`` or ``upstream`` (OSV's two id-equivalence fields)."""


class AffectedPackage(Base):
    """One ``affected[]`` entry, indexed by (ecosystem, normalised name) for matching."""

    __tablename__ = "affected_package"
    __table_args__ = (Index("ix_affected_package_lookup", "ecosystem_base", "name_key"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisory.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    ecosystem: Mapped[str] = mapped_column(String(255))
    """As the record spells it, release suffix included (``AlmaLinux:8``)."""
    ecosystem_base: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    name_key: Mapped[str] = mapped_column(String(512))
    purl: Mapped[str | None] = mapped_column(String(1024))
    entry: Mapped[str] = mapped_column(Text)
    """The ``affected[]`` entry as compact JSON (ranges, versions, ecosystem_specific)."""


class KevEntry(Base):
    """A CVE in CISA's Known Exploited Vulnerabilities catalog."""

    __tablename__ = "kev_entry"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vendor_project: Mapped[str] = mapped_column(String(255))
    product: Mapped[str] = mapped_column(String(255))
    vulnerability_name: Mapped[str] = mapped_column(Text)
    date_added: Mapped[date] = mapped_column(Date, index=True)
    short_description: Mapped[str] = mapped_column(Text)
    required_action: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    known_ransomware_campaign_use: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text, default="")
    cwes: Mapped[list[str]] = mapped_column(JSONB, default=list)


class FeedState(Base):
    """What we last fetched from a remote feed (for conditional requests and `db stats`)."""

    __tablename__ = "feed_state"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    """``kev`` or ``osv:<Ecosystem>``."""
    location: Mapped[str] = mapped_column(String(2048))
    """The URL or path it was read from."""
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(64))
    """Catalog version (KEV ``catalogVersion``) when the feed states one."""
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    records: Mapped[int] = mapped_column(Integer, default=0)
