"""twinning: agreements, member links, guest passes, visits; member suspension, desk role

Revision ID: 0005_twinning
Revises: 0004_admin
Create Date: 2026-12-04 00:00:00

The twinning feature's own tables (node/twinning/models.py), a member's suspension and an admin
user's role (``desk`` opens the front-desk page only).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_twinning"
down_revision = "0004_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=80), nullable=False),
        sa.Column("proposed_by_us", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_after", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agreements_partner_id", "agreements", ["partner_id"])
    op.create_table(
        "member_links",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id"),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_table(
        "guest_passes",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(length=80), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("iat", sa.BigInteger(), nullable=False),
        sa.Column("nbf", sa.BigInteger(), nullable=False),
        sa.Column("exp", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("jti"),
    )
    op.create_index("ix_guest_passes_member", "guest_passes", ["member_id", "exp"])
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("home_id", sa.String(length=80), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("resource", sa.String(length=20), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("home_id", "member", "day", name="uq_visits_member_day"),
    )
    op.create_index("ix_visits_agreement_day", "visits", ["agreement_id", "day"])
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("suspended", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("admin_users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=16), server_default="admin", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("admin_users") as batch:
        batch.drop_column("role")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("suspended")
    op.drop_index("ix_visits_agreement_day", table_name="visits")
    op.drop_table("visits")
    op.drop_index("ix_guest_passes_member", table_name="guest_passes")
    op.drop_table("guest_passes")
    op.drop_table("member_links")
    op.drop_index("ix_agreements_partner_id", table_name="agreements")
    op.drop_table("agreements")
