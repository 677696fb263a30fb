"""mutes: origins (or every origin a peer relayed) hidden from the network views

Revision ID: 0004_term
Revises: 0004_restore
Create Date: 2026-12-03 09:00:00

Muting is local presentation: unlike a block it drops nothing and stops no sync, so the table
starts empty and nothing else changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_term"
down_revision = "0004_restore"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mutes",
        sa.Column("node_id", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "scope"),
    )


def downgrade() -> None:
    op.drop_table("mutes")
