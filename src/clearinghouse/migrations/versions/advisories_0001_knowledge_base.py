"""knowledge base: advisories, aliases, affected packages, KEV, feeds

Revision ID: advisories_0001
Revises:
Create Date: 2026-11-22 01:44:10.609769
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import clearinghouse.store

revision: str = "advisories_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("advisories",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "advisory",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("modified", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("severity_rating", sa.String(length=16), nullable=True),
        sa.Column("severity_score", sa.Float(), nullable=True),
        sa.Column("severity_vector", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("imported_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory")),
    )
    with op.batch_alter_table("advisory", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_advisory_imported_at"), ["imported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_advisory_modified"), ["modified"], unique=False)

    op.create_table(
        "feed_state",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("location", sa.String(length=2048), nullable=False),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feed_state")),
    )
    op.create_table(
        "kev_entry",
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("vendor_project", sa.String(length=255), nullable=False),
        sa.Column("product", sa.String(length=255), nullable=False),
        sa.Column("vulnerability_name", sa.Text(), nullable=False),
        sa.Column("date_added", sa.Date(), nullable=False),
        sa.Column("short_description", sa.Text(), nullable=False),
        sa.Column("required_action", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("known_ransomware_campaign_use", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "cwes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("cve_id", name=op.f("pk_kev_entry")),
    )
    with op.batch_alter_table("kev_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kev_entry_date_added"), ["date_added"], unique=False)

    op.create_table(
        "advisory_alias",
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisory.id"],
            name=op.f("fk_advisory_alias_advisory_id_advisory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("advisory_id", "alias", name=op.f("pk_advisory_alias")),
    )
    with op.batch_alter_table("advisory_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_advisory_alias_alias"), ["alias"], unique=False)

    op.create_table(
        "affected_package",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(length=255), nullable=False),
        sa.Column("ecosystem_base", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("purl", sa.String(length=1024), nullable=True),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisory.id"],
            name=op.f("fk_affected_package_advisory_id_advisory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_affected_package")),
    )
    with op.batch_alter_table("affected_package", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_affected_package_advisory_id"), ["advisory_id"], unique=False
        )
        batch_op.create_index(
            "ix_affected_package_lookup", ["ecosystem_base", "name_key"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("affected_package", schema=None) as batch_op:
        batch_op.drop_index("ix_affected_package_lookup")
        batch_op.drop_index(batch_op.f("ix_affected_package_advisory_id"))

    op.drop_table("affected_package")
    with op.batch_alter_table("advisory_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_alias_alias"))

    op.drop_table("advisory_alias")
    with op.batch_alter_table("kev_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kev_entry_date_added"))

    op.drop_table("kev_entry")
    op.drop_table("feed_state")
    with op.batch_alter_table("advisory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_modified"))
        batch_op.drop_index(batch_op.f("ix_advisory_imported_at"))

    op.drop_table("advisory")
