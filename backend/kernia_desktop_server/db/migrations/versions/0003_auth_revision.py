"""The auth revision: one counter that every revocation moves on, so that caches of credentials know when to
drop what they hold.

Revision ID: 0003_auth_revision
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_auth_revision"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "auth_revision",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("auth_revision")
