"""photos: which records name which photo files, and the files this node holds or wants

Revision ID: 0012_photos
Revises: 0011_cohosts
Create Date: 2026-12-04 09:30:00

Photos of spaces and events (protocol.md §Photos; ARCHITECTURE.md §Photos). No record names a
photo before this revision, so there is nothing to fill in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_photos"
down_revision = "0011_cohosts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_refs",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("photo", sa.Integer(), nullable=False),
        sa.Column("alt", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("origin", "item", "hash"),
    )
    op.create_index("ix_photo_refs_hash", "photo_refs", ["hash"])
    op.create_table(
        "photo_files",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=False),
        sa.Column("stored", sa.Boolean(), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("hash"),
    )


def downgrade() -> None:
    op.drop_table("photo_files")
    op.drop_index("ix_photo_refs_hash", table_name="photo_refs")
    op.drop_table("photo_refs")
