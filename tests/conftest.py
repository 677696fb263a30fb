"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mail_server import Inbox, smtp_server
from tests.support import (
    POSTGRES_ENV,
    FakeClock,
    PostgresSchema,
    SpaceNode,
    make_node,
    postgres_url,
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test picks up a developer's SPAZI_* settings by accident."""
    import os

    for name in list(os.environ):
        if name.startswith("SPAZI_") and name != POSTGRES_ENV:
            monkeypatch.delenv(name)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback: its inbox and port (tests/mail_server.py)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """Run the test on SQLite (None: the default file in the data dir) and on PostgreSQL."""
    if request.param == "sqlite":
        yield None
        return
    base = postgres_url()
    if base is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL variant skipped")
    schema = PostgresSchema(base)
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def space(tmp_path: Path, database_url: str | None, clock: FakeClock) -> Iterator[SpaceNode]:
    """One node (TheCube, London) on each database backend."""
    test_node = make_node(tmp_path, database_url=database_url, clock=clock)
    try:
        yield test_node
    finally:
        test_node.close()
