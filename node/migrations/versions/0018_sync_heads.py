"""sync heads: each peer's last heads and forks validators, for conditional requests

Revision ID: 0018_sync_heads
Revises: 0016_network_indexes
Create Date: 2026-12-04 13:10:00

A round with a peer sends back the validator of the heads document it saw last time
(protocol.md §Heads); a ``304`` means nothing moved there and the round ends without looking at
any origin. The validators are kept on the peer's row, with when the heads one was taken, so
that a full round still runs now and then (ARCHITECTURE.md §A synced page arrives).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_sync_heads"
down_revision = "0016_network_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.add_column(sa.Column("heads_etag", sa.String(length=140), nullable=True))
        batch.add_column(sa.Column("heads_etag_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("forks_etag", sa.String(length=140), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("forks_etag")
        batch.drop_column("heads_etag_since")
        batch.drop_column("heads_etag")
