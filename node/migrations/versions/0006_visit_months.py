"""visit_months: guest days per agreement and host month, kept with each counted day

Revision ID: 0006_visit_months
Revises: 0005_twinning
Create Date: 2026-12-04 04:00:00

The front desk read a partner's month by counting its visits (thousands of rows for a busy
partner); the count now lives in one row per agreement and month, updated in the transaction
that counts the day, and locked by the check that reads it (node/twinning/desk.py). Filled from
the visits already counted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_visit_months"
down_revision = "0005_twinning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_months",
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "month"),
    )
    op.execute(
        "INSERT INTO visit_months (agreement_id, month, days) "
        "SELECT agreement_id, substr(day, 1, 7), count(*) FROM visits "
        "GROUP BY agreement_id, substr(day, 1, 7)"
    )


def downgrade() -> None:
    op.drop_table("visit_months")
