"""frontier: model registry, evaluations, designation, engagements, access, incidents

Revision ID: frontier_0001
Revises:
Create Date: 2026-11-22 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.store

revision: str = "frontier_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("frontier",)
depends_on: str | Sequence[str] | None = "participants_0001"


def upgrade() -> None:
    op.create_table(
        "frontier_designation_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("benchmark", sa.String(length=40), nullable=False),
        sa.Column("scorer", sa.String(length=200), nullable=True),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("operator", sa.String(length=2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("cannot_rule_out_as_crossed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_designation_rule")),
    )
    op.create_table(
        "frontier_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("evaluator_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_frontier_model_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_model")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_frontier_model_organization_id")
        ),
    )
    with op.batch_alter_table("frontier_model", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_model_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "frontier_model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column(
            "planned_release_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["frontier_model.id"],
            name=op.f("fk_frontier_model_version_model_id_frontier_model"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_model_version")),
        sa.UniqueConstraint("model_id", "number", name=op.f("uq_frontier_model_version_model_id")),
    )
    with op.batch_alter_table("frontier_model_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_model_version_model_id"), ["model_id"], unique=False
        )

    op.create_table(
        "frontier_catalogue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_frontier_catalogue_entry_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["frontier_model_version.id"],
            name=op.f("fk_frontier_catalogue_entry_version_id_frontier_model_version"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_catalogue_entry")),
    )
    with op.batch_alter_table("frontier_catalogue_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_catalogue_entry_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "frontier_designation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["frontier_model_version.id"],
            name=op.f("fk_frontier_designation_version_id_frontier_model_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_designation")),
    )
    with op.batch_alter_table("frontier_designation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_designation_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "frontier_engagement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column(
            "planned_partner_release_at",
            clearinghouse.store.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("notice_given_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("withdrawal_reason", sa.Text(), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_frontier_engagement_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["frontier_model_version.id"],
            name=op.f("fk_frontier_engagement_version_id_frontier_model_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_engagement")),
    )
    with op.batch_alter_table("frontier_engagement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_engagement_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_frontier_engagement_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_frontier_engagement_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "frontier_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("log_format", sa.String(length=8), nullable=False),
        sa.Column("log_sha256", sa.String(length=64), nullable=False),
        sa.Column("log_bytes", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=300), nullable=False),
        sa.Column("task_id", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("task_version", sa.String(length=50), nullable=False),
        sa.Column("evaluated_model", sa.String(length=300), nullable=False),
        sa.Column("benchmark", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("total_samples", sa.Integer(), nullable=False),
        sa.Column("completed_samples", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("eval_created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("inspect_version", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_frontier_evaluation_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["frontier_model_version.id"],
            name=op.f("fk_frontier_evaluation_version_id_frontier_model_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_evaluation")),
        sa.UniqueConstraint(
            "version_id", "log_sha256", name=op.f("uq_frontier_evaluation_version_id")
        ),
    )
    with op.batch_alter_table("frontier_evaluation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_evaluation_benchmark"), ["benchmark"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_frontier_evaluation_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_frontier_evaluation_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "frontier_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("discovered_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "initial_report_due_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("reported_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("harm_types", sa.JSON(), nullable=False),
        sa.Column("alleged_deployer", sa.String(length=300), nullable=False),
        sa.Column("alleged_developer", sa.String(length=300), nullable=False),
        sa.Column("harmed_parties", sa.JSON(), nullable=False),
        sa.Column("ai_system", sa.String(length=300), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("techniques", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("updates", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_frontier_incident_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["frontier_model_version.id"],
            name=op.f("fk_frontier_incident_version_id_frontier_model_version"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_incident")),
    )
    with op.batch_alter_table("frontier_incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_incident_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "frontier_model_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["frontier_model.id"],
            name=op.f("fk_frontier_model_alias_model_id_frontier_model"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["frontier_model_version.id"],
            name=op.f("fk_frontier_model_alias_version_id_frontier_model_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_model_alias")),
        sa.UniqueConstraint("model_id", "alias", name=op.f("uq_frontier_model_alias_model_id")),
    )
    with op.batch_alter_table("frontier_model_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_model_alias_model_id"), ["model_id"], unique=False
        )

    op.create_table(
        "frontier_access_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_tier", sa.String(length=20), nullable=False),
        sa.Column("intended_use", sa.Text(), nullable=False),
        sa.Column("scope_statement", sa.Text(), nullable=False),
        sa.Column("verified_by", sa.String(length=255), nullable=True),
        sa.Column("verified_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verification_method", sa.String(length=40), nullable=False),
        sa.Column("verification_note", sa.Text(), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["frontier_catalogue_entry.id"],
            name=op.f("fk_frontier_access_application_entry_id_frontier_catalogue_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_frontier_access_application_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_access_application")),
    )
    with op.batch_alter_table("frontier_access_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_access_application_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_frontier_access_application_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "frontier_engagement_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["frontier_engagement.id"],
            name=op.f("fk_frontier_engagement_transition_engagement_id_frontier_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_engagement_transition")),
    )
    with op.batch_alter_table("frontier_engagement_transition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_engagement_transition_engagement_id"),
            ["engagement_id"],
            unique=False,
        )

    op.create_table(
        "frontier_referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("statutes", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("packet_sha256", sa.String(length=64), nullable=True),
        sa.Column("exported_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["frontier_incident.id"],
            name=op.f("fk_frontier_referral_incident_id_frontier_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_referral")),
    )
    with op.batch_alter_table("frontier_referral", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_referral_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "frontier_term_acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["frontier_engagement.id"],
            name=op.f("fk_frontier_term_acknowledgement_engagement_id_frontier_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_term_acknowledgement")),
        sa.UniqueConstraint(
            "engagement_id",
            "term",
            "party",
            name=op.f("uq_frontier_term_acknowledgement_engagement_id"),
        ),
    )
    with op.batch_alter_table("frontier_term_acknowledgement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_term_acknowledgement_engagement_id"),
            ["engagement_id"],
            unique=False,
        )

    op.create_table(
        "frontier_access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("scope_statement", sa.Text(), nullable=False),
        sa.Column("blocked_uses", sa.JSON(), nullable=False),
        sa.Column("starts_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_partner", sa.Boolean(), nullable=False),
        sa.Column("granted_by", sa.String(length=255), nullable=False),
        sa.Column("granted_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=255), nullable=True),
        sa.Column("revoked_at", clearinghouse.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["frontier_access_application.id"],
            name=op.f("fk_frontier_access_grant_application_id_frontier_access_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_access_grant")),
    )
    with op.batch_alter_table("frontier_access_grant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_access_grant_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "frontier_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("at", clearinghouse.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("within_grant", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["frontier_access_grant.id"],
            name=op.f("fk_frontier_access_log_grant_id_frontier_access_grant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frontier_access_log")),
    )
    with op.batch_alter_table("frontier_access_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_frontier_access_log_grant_id"), ["grant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("frontier_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_access_log_grant_id"))

    op.drop_table("frontier_access_log")
    with op.batch_alter_table("frontier_access_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_access_grant_application_id"))

    op.drop_table("frontier_access_grant")
    with op.batch_alter_table("frontier_term_acknowledgement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_term_acknowledgement_engagement_id"))

    op.drop_table("frontier_term_acknowledgement")
    with op.batch_alter_table("frontier_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_referral_incident_id"))

    op.drop_table("frontier_referral")
    with op.batch_alter_table("frontier_engagement_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_engagement_transition_engagement_id"))

    op.drop_table("frontier_engagement_transition")
    with op.batch_alter_table("frontier_access_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_access_application_organization_id"))
        batch_op.drop_index(batch_op.f("ix_frontier_access_application_entry_id"))

    op.drop_table("frontier_access_application")
    with op.batch_alter_table("frontier_model_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_model_alias_model_id"))

    op.drop_table("frontier_model_alias")
    with op.batch_alter_table("frontier_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_incident_organization_id"))

    op.drop_table("frontier_incident")
    with op.batch_alter_table("frontier_evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_evaluation_version_id"))
        batch_op.drop_index(batch_op.f("ix_frontier_evaluation_organization_id"))
        batch_op.drop_index(batch_op.f("ix_frontier_evaluation_benchmark"))

    op.drop_table("frontier_evaluation")
    with op.batch_alter_table("frontier_engagement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_engagement_version_id"))
        batch_op.drop_index(batch_op.f("ix_frontier_engagement_state"))
        batch_op.drop_index(batch_op.f("ix_frontier_engagement_organization_id"))

    op.drop_table("frontier_engagement")
    with op.batch_alter_table("frontier_designation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_designation_version_id"))

    op.drop_table("frontier_designation")
    with op.batch_alter_table("frontier_catalogue_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_catalogue_entry_organization_id"))

    op.drop_table("frontier_catalogue_entry")
    with op.batch_alter_table("frontier_model_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_model_version_model_id"))

    op.drop_table("frontier_model_version")
    with op.batch_alter_table("frontier_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frontier_model_organization_id"))

    op.drop_table("frontier_model")
    op.drop_table("frontier_designation_rule")
