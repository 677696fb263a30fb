"""cohosts: events' named co-hosts as a column, co-hosts' confirmations, requests seen here

Revision ID: 0011_cohosts
Revises: 0010_admin_invites
Create Date: 2026-12-04 08:00:00

Joint events (protocol.md §cohost.confirm; ARCHITECTURE.md §Joint events): the published
``cohost.confirm``/``cohost.withdraw`` words, the ``cohosts`` of every stored event for
queries (filled from the bodies already stored), and the private list of requests.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_cohosts"
down_revision = "0010_admin_invites"
branch_labels = None
depends_on = None


def _body(value: Any) -> dict[str, Any]:
    """A stored body (JSON text on SQLite, already decoded on PostgreSQL)."""
    if isinstance(value, (bytes, str)):
        return dict(json.loads(value))
    return dict(value)


def upgrade() -> None:
    op.add_column("events", sa.Column("cohosts", sa.Text(), nullable=False, server_default=""))
    events = sa.table(
        "events",
        sa.column("origin", sa.String()),
        sa.column("id", sa.String()),
        sa.column("body", sa.Text()),
        sa.column("cohosts", sa.Text()),
    )
    connection = op.get_bind()
    named = connection.execute(
        sa.select(events.c.origin, events.c.id, events.c.body).where(
            sa.cast(events.c.body, sa.Text).like('%"cohosts"%')
        )
    ).all()
    for origin, event_id, body in named:
        cohosts = _body(body).get("cohosts") or []
        if cohosts:
            connection.execute(
                sa.update(events)
                .where(events.c.origin == origin, events.c.id == event_id)
                .values(cohosts="," + ",".join(cohosts) + ",")
            )
    op.create_table(
        "cohost_confirmations",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("event_origin", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["origin"], ["origins.id"]),
        sa.PrimaryKeyConstraint("origin", "event_origin", "event_id"),
    )
    op.create_index(
        "ix_cohost_confirmations_event", "cohost_confirmations", ["event_origin", "event_id"]
    )
    op.create_table(
        "cohost_requests",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declined", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("origin", "event_id"),
    )


def downgrade() -> None:
    op.drop_table("cohost_requests")
    op.drop_index("ix_cohost_confirmations_event", table_name="cohost_confirmations")
    op.drop_table("cohost_confirmations")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("cohosts")
