"""Alembic environment: run migrations on the connection handed over by ``node.migrate``."""

from __future__ import annotations

from alembic import context

from node import models  # noqa: F401  (registers every table on Base.metadata)
from node.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs the alembic CLI
    raise RuntimeError("run migrations through `spazi db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite can't ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
