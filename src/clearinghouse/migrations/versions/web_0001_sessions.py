"""web: sessions, invitations, login attempts

Revision ID: web_0001
Revises:
Create Date: 2026-11-23 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.store

revision: str = "web_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("web",)
depends_on: str | Sequence[str] | None = "participants_0001"


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("flash", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_web_session_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "web_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_user_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_user_id"],
            ["app_user.id"],
            name=op.f("fk_web_invitation_accepted_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_web_invitation_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_invitation_token_hash")),
    )
    with op.batch_alter_table("web_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_invitation_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "web_login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_web_login_attempt_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login_attempt")),
    )
    with op.batch_alter_table("web_login_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_login_attempt_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_login_attempt_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_web_login_attempt_username"), ["username"], unique=False
        )


def downgrade() -> None:
    op.drop_table("web_login_attempt")
    op.drop_table("web_invitation")
    op.drop_table("web_session")
