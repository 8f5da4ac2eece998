"""The notes app's table, on a branch of its own.

Revision ID: 0002_notes
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_notes"
down_revision = None
branch_labels = ("notes",)
depends_on = "0001_core"


def upgrade() -> None:
    # A database made while notes were part of the core migrations has the table, but records only the core's
    # head (0003_auth_revision, which came after it then).
    if "notes" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "notes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notes_user_id", "notes", ["user_id"])


def downgrade() -> None:
    op.drop_table("notes")
