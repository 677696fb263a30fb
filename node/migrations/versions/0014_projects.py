"""projects and their answers and replies

Revision ID: 0014_projects
Revises: 0013_profiles
Create Date: 2026-12-04 09:00:00

Calls for collaboration (protocol.md §project.put; ARCHITECTURE.md §Calls for collaboration):
the published calls, and the private answers and replies on the posting and the home side.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_projects"
down_revision = "0013_profiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("deadline", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("skills", sa.Text(), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["origin"], ["origins.id"]),
        sa.PrimaryKeyConstraint("origin", "id"),
    )
    op.create_index("ix_projects_deadline", "projects", ["deadline"])
    op.create_table(
        "project_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("home_id", sa.String(length=80), nullable=False),
        sa.Column("answer", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("home_id", "answer", name="uq_project_answers_home_answer"),
    )
    op.create_index("ix_project_answers_project", "project_answers", ["project_id"])
    op.create_table(
        "project_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_replies_answer", "project_replies", ["answer_id"])
    op.create_table(
        "project_answers_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undelivered", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_answers_sent_member", "project_answers_sent", ["member_id"])
    op.create_table(
        "project_replies_received",
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("reply", sa.String(length=64), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", "reply"),
    )
    op.create_index(
        op.f("ix_project_replies_received_answer_id"), "project_replies_received", ["answer_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_project_replies_received_answer_id"), table_name="project_replies_received"
    )
    op.drop_table("project_replies_received")
    op.drop_index("ix_project_answers_sent_member", table_name="project_answers_sent")
    op.drop_table("project_answers_sent")
    op.drop_index("ix_project_replies_answer", table_name="project_replies")
    op.drop_table("project_replies")
    op.drop_index("ix_project_answers_project", table_name="project_answers")
    op.drop_table("project_answers")
    op.drop_index("ix_projects_deadline", table_name="projects")
    op.drop_table("projects")
