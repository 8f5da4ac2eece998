"""Rate-limit counts, one row per key: used on PostgreSQL, where every worker and instance counts in them.

Revision ID: 0004_rate_limits
Revises: 0003_auth_revision
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_rate_limits"
down_revision = "0003_auth_revision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
