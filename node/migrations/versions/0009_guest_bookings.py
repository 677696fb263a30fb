"""bookings, booking_locks, received_bookings; visits.reported

Revision ID: 0009_guest_bookings
Revises: 0008_visit_receipts
Create Date: 2026-12-04 06:30:00

Guest bookings at the host and their notices at the home node (node/bookings/; protocol.md
§Inbox). A visit counted before this revision was reported when counted, hence the default.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_guest_bookings"
down_revision = "0008_visit_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("reported", sa.Boolean(), server_default="1", nullable=False))
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("resource_kind", sa.String(length=20), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=True),
        sa.Column("end", sa.String(length=5), nullable=True),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("home_id", sa.String(length=80), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_index("ix_bookings_resource_day", "bookings", ["resource_id", "day"])
    op.create_index("ix_bookings_day", "bookings", ["day"])
    op.create_table(
        "booking_locks",
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "day"),
    )
    op.create_table(
        "received_bookings",
        sa.Column("host_id", sa.String(length=80), nullable=False),
        sa.Column("booking", sa.String(length=64), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=True),
        sa.Column("end", sa.String(length=5), nullable=True),
        sa.Column("resource_kind", sa.String(length=20), nullable=False),
        sa.Column("resource_name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host_id", "booking"),
    )
    op.create_index("ix_received_bookings_member_id", "received_bookings", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_received_bookings_member_id", table_name="received_bookings")
    op.drop_table("received_bookings")
    op.drop_table("booking_locks")
    op.drop_index("ix_bookings_day", table_name="bookings")
    op.drop_index("ix_bookings_resource_day", table_name="bookings")
    op.drop_table("bookings")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("reported")
