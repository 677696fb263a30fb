"""own feed checks: what peers hold of our own feed beyond our head (restored backups)

Revision ID: 0004_restore
Revises: 0003
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_restore"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "own_feed_checks",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("peer_id", sa.String(length=80), nullable=True),
        sa.Column("peer_seq", sa.BigInteger(), nullable=False),
        sa.Column("checked", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin"),
    )


def downgrade() -> None:
    op.drop_table("own_feed_checks")
