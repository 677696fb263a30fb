"""calendar_import: imported ICS calendars and which event each of their items became

Revision ID: 0007_calendar_import
Revises: 0006_visit_months
Create Date: 2026-12-04 05:00:00

The calendar import feature's tables (node/calendar_import/models.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_calendar_import"
down_revision = "0006_visit_months"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("follow", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_checked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_table(
        "imported_events",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["calendar_subscriptions.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("subscription_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("imported_events")
    op.drop_table("calendar_subscriptions")
