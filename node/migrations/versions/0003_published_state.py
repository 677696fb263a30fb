"""published state as the fold: resource ts, agreements as publications and terminations

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 08:40:00

The agreements table held one row per agreement, decided when the entry arrived (so a
termination that arrived before its publication was lost). It is replaced by one row per
publication and one per termination, filled again from the stored feed entries; where an
agreement stands is decided when it is read (protocol.md §Published state).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from federation.agreements import agreement_id

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("ts", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE resources SET ts = (SELECT f.ts FROM feed_entries f "
        "WHERE f.origin = resources.origin AND f.seq = resources.seq)"
    )
    with op.batch_alter_table("resources") as batch:
        batch.alter_column("ts", server_default=None)  # the default only filled existing rows
    op.drop_table("agreements")
    publications = op.create_table(
        "agreement_publications",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["origin"], ["origins.id"]),
        sa.PrimaryKeyConstraint("origin", "id"),
    )
    terminations = op.create_table(
        "agreement_terminations",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["origin"], ["origins.id"]),
        sa.PrimaryKeyConstraint("origin", "id"),
    )
    _refill(publications, terminations)


def _refill(publications: sa.Table, terminations: sa.Table) -> None:
    """The same rows ``node.projectors`` writes, from the entries already stored."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT origin, seq, ts, type, raw FROM feed_entries "
            "WHERE type IN ('agreement.publish', 'agreement.terminate') ORDER BY origin, seq"
        )
    )
    published: dict[tuple[str, str], dict] = {}
    ended: dict[tuple[str, str], dict] = {}
    for origin, seq, ts, kind, raw in rows:
        body = json.loads(bytes(raw))["body"]
        if kind == "agreement.publish":
            doc = body["agreement"]
            if origin in doc["parties"]:
                key = (origin, agreement_id(doc))
                published[key] = {"document": doc, "seq": seq, "ts": ts}
        else:
            key = (origin, body["id"])
            ended[key] = {"reason": body.get("reason"), "seq": seq, "ts": ts}
    if published:
        op.bulk_insert(
            publications, [{"origin": o, "id": i, **v} for (o, i), v in published.items()]
        )
    if ended:
        op.bulk_insert(terminations, [{"origin": o, "id": i, **v} for (o, i), v in ended.items()])


def downgrade() -> None:
    op.drop_table("agreement_terminations")
    op.drop_table("agreement_publications")
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("party_a", sa.String(length=80), nullable=False),
        sa.Column("party_b", sa.String(length=80), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("terminated", sa.Boolean(), nullable=False),
        sa.Column("published_by", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("ts")
