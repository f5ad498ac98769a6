"""Organizations, users and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.store import Base, UTCDateTime, utcnow


class OrganizationKind(StrEnum):
    operator = "operator"
    """Runs systems: a rural hospital, a community bank, a local utility, an agency."""
    vendor = "vendor"
    """Makes or maintains software; receives reports about it."""
    ai_developer = "ai-developer"
    """Develops AI models; submits machine-found findings and models for evaluation."""
    researcher = "researcher"
    evaluator = "evaluator"
    """Runs capability evaluations of AI models."""
    coordinator = "coordinator"
    """Runs the clearinghouse itself: triage, coordination, publication."""


class Sector(StrEnum):
    """CISA's 16 critical-infrastructure sectors (PPD-21)."""

    chemical = "chemical"
    commercial_facilities = "commercial-facilities"
    communications = "communications"
    critical_manufacturing = "critical-manufacturing"
    dams = "dams"
    defense_industrial_base = "defense-industrial-base"
    emergency_services = "emergency-services"
    energy = "energy"
    financial_services = "financial-services"
    food_and_agriculture = "food-and-agriculture"
    government_facilities = "government-facilities"
    healthcare = "healthcare"
    """Healthcare and Public Health."""
    information_technology = "information-technology"
    nuclear = "nuclear"
    """Nuclear Reactors, Materials, and Waste."""
    transportation = "transportation"
    """Transportation Systems."""
    water = "water"
    """Water and Wastewater Systems."""


class OrganizationSize(StrEnum):
    small = "small"
    """Fewer than 100 staff, often a one-person IT team."""
    medium = "medium"
    large = "large"


class Role(StrEnum):
    """What a token or user may do inside its organization (each includes the ones below)."""

    read_only = "read-only"
    member = "member"
    analyst = "analyst"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank


_ROLE_RANK = {Role.read_only: 0, Role.member: 1, Role.analyst: 2, Role.admin: 3}


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    sector: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """argon2id hash; None until the user sets a password."""
    clearances: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Access to restricted data beyond the role, e.g. ``designation``."""
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token: shown once, stored as its SHA-256 (it is 256 random bits)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    clearances: Mapped[list[str]] = mapped_column(JSON, default=list)
    prefix: Mapped[str] = mapped_column(String(16))
    """The token's first characters, to recognise it in lists (never enough to use it)."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
