"""exposures: live exposures, VEX statements, pending advisory changes

Revision ID: exposures_0001
Revises:
Create Date: 2026-11-22 02:00:01.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import clearinghouse.store

revision: str = "exposures_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("exposures",)
depends_on: str | Sequence[str] | None = ("inventories_0001", "advisories_0001")

_JSONB = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "exposure_pending_advisory",
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("queued_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("advisory_id", name=op.f("pk_exposure_pending_advisory")),
    )
    with op.batch_alter_table("exposure_pending_advisory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exposure_pending_advisory_queued_at"), ["queued_at"], unique=False
        )

    op.create_table(
        "vex_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("vulnerability", sa.String(length=255), nullable=False),
        sa.Column("aliases", _JSONB, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("justification", sa.String(length=64), nullable=True),
        sa.Column("impact_statement", sa.Text(), nullable=True),
        sa.Column("action_statement", sa.Text(), nullable=True),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("purl", sa.String(length=2048), nullable=True),
        sa.Column("package_ecosystem", sa.String(length=255), nullable=True),
        sa.Column("package_base", sa.String(length=64), nullable=True),
        sa.Column("package_key", sa.String(length=512), nullable=True),
        sa.Column("package_version", sa.String(length=255), nullable=True),
        sa.Column("bom_serial", sa.String(length=255), nullable=True),
        sa.Column("bom_ref", sa.String(length=2048), nullable=True),
        sa.Column("versions", _JSONB, nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("document", sa.String(length=1024), nullable=True),
        sa.Column("original", _JSONB, nullable=False),
        sa.Column("statement_time", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_vex_statement_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["system.id"],
            name=op.f("fk_vex_statement_system_id_system"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vex_statement")),
    )
    with op.batch_alter_table("vex_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vex_statement_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "vex_statement_identifier",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["vex_statement.id"],
            name=op.f("fk_vex_statement_identifier_statement_id_vex_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "statement_id", "identifier", name=op.f("pk_vex_statement_identifier")
        ),
    )
    with op.batch_alter_table("vex_statement_identifier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vex_statement_identifier_identifier"), ["identifier"], unique=False
        )

    op.create_table(
        "exposure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("ecosystem", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("purl", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("justification", sa.String(length=64), nullable=True),
        sa.Column("vex_statement_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("remediation", sa.String(length=255), nullable=True),
        sa.Column("severity_rating", sa.String(length=16), nullable=True),
        sa.Column("severity_score", sa.Float(), nullable=True),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisory.id"],
            name=op.f("fk_exposure_advisory_id_advisory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_exposure_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["system.id"],
            name=op.f("fk_exposure_system_id_system"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vex_statement_id"],
            ["vex_statement.id"],
            name=op.f("fk_exposure_vex_statement_id_vex_statement"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure")),
        sa.UniqueConstraint(
            "system_id",
            "advisory_id",
            "ecosystem",
            "name_key",
            "version",
            name="uq_exposure_identity",
        ),
    )
    with op.batch_alter_table("exposure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exposure_advisory_id"), ["advisory_id"], unique=False)
        batch_op.create_index(
            "ix_exposure_org_rank", ["organization_id", "severity_rank"], unique=False
        )
        batch_op.create_index("ix_exposure_package", ["name_key", "version"], unique=False)


def downgrade() -> None:
    op.drop_table("exposure")
    op.drop_table("vex_statement_identifier")
    op.drop_table("vex_statement")
    op.drop_table("exposure_pending_advisory")
