"""Schema migrations (Alembic scripts shipped inside the package).

Alembic itself is imported only by the functions that run or read the scripts: every ``spazi``
command checks the database's revision before it does anything, and importing Alembic for that
check alone took a fifth of a second of each command's start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

# The newest revision among the scripts in migrations/versions. A new migration changes this too;
# tests/node/test_migrations.py fails, naming the right value, when the two disagree.
HEAD_REVISION = "0018_sync_heads"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged scripts (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` in one transaction."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database).

    Read straight from Alembic's version table: the history is linear, so it holds one row.
    """
    with engine.connect() as connection:
        # alembic_version: Alembic's default table name, which env.py keeps.
        if not inspect(connection).has_table("alembic_version"):
            return None
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    # More than one row is a branched history, which this node never writes: name them all, so
    # the revision matches no head and callers refuse the database, as Alembic would.
    return ",".join(sorted(row[0] for row in versions)) or None


def head_revision() -> str:
    """The newest revision shipped with this version of the node."""
    return HEAD_REVISION


def script_head() -> str | None:
    """The newest revision as Alembic reads it from the scripts (what HEAD_REVISION must be)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    """Every revision this build ships (a database at any of them can be upgraded)."""
    from alembic.script import ScriptDirectory

    return {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }
