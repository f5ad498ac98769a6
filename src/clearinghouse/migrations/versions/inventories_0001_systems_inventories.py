"""inventories: systems, inventory versions, components

Revision ID: inventories_0001
Revises:
Create Date: 2026-11-22 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.store

revision: str = "inventories_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("inventories",)
depends_on: str | Sequence[str] | None = "participants_0001"


def upgrade() -> None:
    op.create_table(
        "system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("criticality", sa.String(length=32), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_system_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system")),
        sa.UniqueConstraint("organization_id", "name", name="uq_system_org_name"),
    )
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_system_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "inventory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("component_count", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=1024), nullable=True),
        sa.Column("bom_serial", sa.String(length=255), nullable=True),
        sa.Column("bom_version", sa.Integer(), nullable=True),
        sa.Column("subject_ref", sa.String(length=1024), nullable=True),
        sa.Column("subject_version", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["system.id"],
            name=op.f("fk_inventory_system_id_system"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory")),
        sa.UniqueConstraint("system_id", "version", name="uq_inventory_system_version"),
    )
    with op.batch_alter_table("inventory", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_bom_serial"), ["bom_serial"], unique=False)

    op.create_table(
        "inventory_component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("purl", sa.String(length=2048), nullable=False),
        sa.Column("ecosystem", sa.String(length=255), nullable=True),
        sa.Column("ecosystem_base", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column("ref", sa.String(length=1024), nullable=True),
        sa.Column("dev", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["inventory.id"],
            name=op.f("fk_inventory_component_inventory_id_inventory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["system.id"],
            name=op.f("fk_inventory_component_system_id_system"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_component")),
    )
    with op.batch_alter_table("inventory_component", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inventory_component_current_lookup",
            ["ecosystem_base", "name_key"],
            unique=False,
            postgresql_where=sa.text("current"),
            sqlite_where=sa.text("current"),
        )
        batch_op.create_index(
            batch_op.f("ix_inventory_component_inventory_id"), ["inventory_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inventory_component_system_id"), ["system_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("inventory_component")
    op.drop_table("inventory")
    op.drop_table("system")
