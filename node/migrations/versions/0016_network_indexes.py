"""network indexes: the network pages' orders and counts at a thousand spaces

Revision ID: 0016_network_indexes
Revises: 0014_projects
Create Date: 2026-12-04 09:45:00

The network pages (ARCHITECTURE.md §Network pages) read spaces by lower-case name then origin,
events by start then origin then id, and count each origin's upcoming events; these indexes
give each of them an ordered or index-only scan (the plans are in tests/bench/README.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_network_indexes"
down_revision = "0014_projects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_spaces_name", "spaces", [sa.text("lower(name)"), "origin"])
    op.drop_index("ix_events_start", table_name="events")
    op.create_index("ix_events_order", "events", ["start_utc", "origin", "id"])
    op.create_index("ix_events_upcoming", "events", ["origin", "cancelled", "end_utc"])


def downgrade() -> None:
    op.drop_index("ix_events_upcoming", table_name="events")
    op.drop_index("ix_events_order", table_name="events")
    op.create_index("ix_events_start", "events", ["start_utc"])
    op.drop_index("ix_spaces_name", table_name="spaces")
