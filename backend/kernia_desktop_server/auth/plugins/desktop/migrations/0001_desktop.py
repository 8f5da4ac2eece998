"""Desktop hand-off grants.

Revision ID: 0001_desktop
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_desktop"
down_revision = None
branch_labels = ("desktop",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "desktop_grants",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("desktop_grants")
