"""Desktop hand-off grants belong to an update channel.

Revision ID: 0002_desktop_channel
Revises: 0001_desktop
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_desktop_channel"
down_revision = "0001_desktop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Grants live 60 seconds; one made before the upgrade came from a build that knew only the stable channel.
    with op.batch_alter_table("desktop_grants") as table:
        table.add_column(sa.Column("channel", sa.String(32), nullable=False, server_default="stable"))


def downgrade() -> None:
    with op.batch_alter_table("desktop_grants") as table:
        table.drop_column("channel")
