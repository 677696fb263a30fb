"""mail queue: notices kept with what caused them until the mail server takes them

Revision ID: 0019_mail_queue
Revises: 0018_sync_heads
Create Date: 2026-12-04 12:30:00

A notice (a member's message through their profile, an answer to a call, a booking's
confirmation) is a row of ``mail_queue`` written in the transaction that causes it, and the
``mail`` job sends it, retrying while the mail server is down (ARCHITECTURE.md §Mail).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_mail_queue"
down_revision = "0018_sync_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_mail_queue_due", "mail_queue", ["next_try"])


def downgrade() -> None:
    op.drop_index("ix_mail_queue_due", table_name="mail_queue")
    op.drop_table("mail_queue")
