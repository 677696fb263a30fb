"""admin_invites: links that let an invited admin choose their password

Revision ID: 0010_admin_invites
Revises: 0009_guest_bookings
Create Date: 2026-12-04 07:00:00

Admin users invited by e-mail from the admin web (node/services/admin_auth.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_admin_invites"
down_revision = "0009_guest_bookings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_invites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["admin_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("secret_hash"),
    )


def downgrade() -> None:
    op.drop_table("admin_invites")
