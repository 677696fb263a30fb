"""A node kept in its own schema of a shared PostgreSQL database (ARCHITECTURE.md §Hosting many
spaces).

A hub hosts many small spaces; on PostgreSQL they can share one database, each in its own
schema. The node needs nothing special for it: its ``database_url`` carries the libpq option
``-csearch_path=NAME``, so every connection finds (and Alembic creates) the node's tables in that
schema alone. This module reads and writes that option, names a space's schema after its host,
and creates or drops the schema; ``spazi backup`` asks it which schema to dump.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

# Lower-case letters, digits and underscores, starting with a letter: needs no quoting in SQL
# and fits PostgreSQL's 63-byte identifiers.
SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_OPTION = re.compile(r"-c\s*search_path\s*=\s*(\S+)")


def schema_of(url: str) -> str | None:
    """The schema a PostgreSQL URL confines the node to, or None (SQLite, or no search path)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return None
    options = parsed.query.get("options")
    found = _OPTION.search(options if isinstance(options, str) else " ".join(options or ()))
    return found.group(1) if found else None


def in_schema(url: str, schema: str) -> str:
    """``url`` with the search path set to ``schema`` (a valid :data:`SCHEMA_NAME`)."""
    if not SCHEMA_NAME.fullmatch(schema):
        raise ValueError(f"{schema!r} is not a schema name: lower-case letters, digits and _")
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError("a schema of its own needs a PostgreSQL URL (postgresql+psycopg://…)")
    if "options" in parsed.query:
        raise ValueError("the URL already carries libpq options: give it without ?options=")
    placed = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    return placed.render_as_string(hide_password=False)


def schema_for_host(host: str) -> str:
    """The schema a hosted space gets, from its host: ``space_cube_hub_example``."""
    return ("space_" + re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_"))[:63]


def _named(url: str) -> str:
    schema = schema_of(url)
    if schema is None:
        raise ValueError("the URL names no schema (options=-csearch_path=NAME)")
    if not SCHEMA_NAME.fullmatch(schema):  # it goes into SQL below, unquoted
        raise ValueError(f"{schema!r} is not a schema name: lower-case letters, digits and _")
    return schema


def tables_in(url: str) -> list[str]:
    """The tables in the schema ``url`` names (none if the schema does not exist)."""
    schema = _named(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names(schema=schema)
    finally:
        engine.dispose()


def create_schema(url: str) -> bool:
    """Create the schema ``url`` names; True if this call created it, False if it was there
    already, empty. Refused (FileExistsError) when it exists and holds tables: only a schema
    this call made may later be dropped again by the caller."""
    schema = _named(url)
    engine = create_engine(url)
    try:
        try:
            with engine.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            return True
        except ProgrammingError:  # it exists (made by an earlier, failed run, or by hand)
            with engine.connect() as connection:
                if inspect(connection).get_table_names(schema=schema):
                    raise FileExistsError(
                        f"schema {schema} already holds tables: another space lives there"
                    ) from None
            return False
    finally:
        engine.dispose()


def drop_schema(url: str) -> None:
    """Drop the schema ``url`` names and everything in it (a hosted space that failed to
    start; tests)."""
    schema = _named(url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    finally:
        engine.dispose()
