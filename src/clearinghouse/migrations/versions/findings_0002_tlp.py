"""findings: TLP 2.0 markings on findings and vulnerabilities (existing rows: AMBER)

Revision ID: findings_0002
Revises: findings_0001
Create Date: 2026-12-07 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "findings_0002"
down_revision: str | Sequence[str] | None = "findings_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("finding", "vulnerability"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("tlp", sa.String(length=16), server_default="AMBER", nullable=False)
            )


def downgrade() -> None:
    for table in ("vulnerability", "finding"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("tlp")
