"""received_visits: the guest days our members used at partners, as the hosts reported them

Revision ID: 0008_visit_receipts
Revises: 0007_calendar_import
Create Date: 2026-12-04 06:00:00

The home side of ``visit.report`` (protocol.md §Inbox; node/twinning/receipts.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_visit_receipts"
down_revision = "0007_calendar_import"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.String(length=80), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("jti", "day", name="uq_received_visits_pass_day"),
    )
    op.create_index("ix_received_visits_member_id", "received_visits", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_received_visits_member_id", table_name="received_visits")
    op.drop_table("received_visits")
