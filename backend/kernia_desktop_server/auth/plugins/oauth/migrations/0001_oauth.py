"""OAuth sign-ins in flight.

Revision ID: 0001_oauth
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_oauth"
down_revision = None
branch_labels = ("oauth",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("binding_hash", sa.String(64), nullable=False),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=False),
        sa.Column("error_callback_url", sa.Text()),
        sa.Column("new_user_callback_url", sa.Text()),
        sa.Column("completion", sa.String(32), nullable=False),
        sa.Column("completion_data", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oauth_states")
