"""profiles: detached bodies, the network's member profiles, consent and contact messages

Revision ID: 0013_profiles
Revises: 0012_photos
Create Date: 2026-12-04 09:30:00

Members' network profiles (protocol.md §profile.put, §Detached bodies; ARCHITECTURE.md §People).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_profiles"
down_revision = "0012_photos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detached_bodies",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["origin"], ["origins.id"]),
        sa.PrimaryKeyConstraint("origin", "seq"),
    )
    op.create_table(
        "network_people",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["origin"], ["origins.id"]),
        sa.PrimaryKeyConstraint("origin", "id"),
    )
    op.create_table(
        "member_profiles",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=False),
        sa.Column("consent_date", sa.String(length=10), nullable=False),
        sa.Column("consent_by", sa.String(length=10), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id"),
        sa.UniqueConstraint("profile_id"),
    )
    op.create_table(
        "contact_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("sender_email", sa.String(length=254), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_index("ix_contact_messages_member_id", "contact_messages", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_messages_member_id", table_name="contact_messages")
    op.drop_table("contact_messages")
    op.drop_table("member_profiles")
    op.drop_table("network_people")
    op.drop_table("detached_bodies")
