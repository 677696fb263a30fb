"""Test helpers shared by the node and network tests: fake clock, databases, ready-made nodes."""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select

from node import create_app
from node.bootstrap import init_node
from node.runtime import Node
from node.services.admin_auth import create_token

T = TypeVar("T")
U = TypeVar("U")

POSTGRES_ENV = "SPAZI_TEST_POSTGRES_URL"
START = 1_795_000_000.0  # 2026-11-18T…Z; tests never read the real clock


class FakeClock:
    """A clock tests move by hand (Unix seconds)."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class PostgresSchema:
    """A throw-away schema in the test PostgreSQL database; dropped with everything in it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.name = "spazi_t_" + secrets.token_hex(5)
        self.engine = create_engine(base_url)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{self.name}"')
        joiner = "&" if "?" in base_url else "?"
        self.url = f"{base_url}{joiner}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        self.engine.dispose()


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@dataclass
class SpaceNode:
    """A node built in a temporary data dir, with its app, test client and an admin token."""

    app: Flask
    node: Node
    client: FlaskClient
    data_dir: Path
    token: str
    url: str

    @property
    def id(self) -> str:
        return self.node.node_id

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def counts(self) -> dict[str, Any]:
        """Row counts of every table plus our feed head: what bad input must leave unchanged."""
        from node import mail
        from node.db import Base
        from node.feedstore import head

        # Notices queued by earlier steps leave mail_queue when sent: let the mail thread finish
        # first, so a count taken before and one after compare the same state.
        mail._SENDER.submit(lambda: None).result()
        with self.node.db.read() as session:
            out: dict[str, Any] = {
                table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables
            }
            h = head(session, self.id)
            out["head"] = (h.seq, h.hash)
        return out

    def close(self) -> None:
        self.node.close()


def make_node(
    base: Path,
    name: str = "TheCube",
    url: str = "http://a.test",
    *,
    database_url: str | None = None,
    clock: FakeClock | None = None,
    settings: dict[str, Any] | None = None,
    timezone: str = "Europe/London",
    profile: dict[str, Any] | None = None,
    template_db: Path | None = None,
) -> SpaceNode:
    """Initialise a node under ``base`` and open it as an app.

    ``template_db``: an SQLite file already migrated to the head revision (an empty node's
    database), copied in first so that ``init_node`` finds the schema in place and only writes
    this node's own rows (its key, profile and identity are its own as always); it saves the
    migrations when a benchmark builds hundreds of nodes.
    """
    data_dir = base / secrets.token_hex(4)
    if template_db is not None and not database_url:
        data_dir.mkdir(parents=True)
        shutil.copyfile(template_db, data_dir / "spazi.db")
    merged = dict(settings or {})
    if database_url:
        merged["database_url"] = database_url
    init_node(data_dir, name, url, timezone=timezone, profile=profile, settings=merged, clock=clock)
    app = create_app({"data_dir": str(data_dir), "clock": clock, "TESTING": True})
    node: Node = app.extensions["spazi"]
    with node.db.write() as session:
        _, token = create_token(session, "tests")
    return SpaceNode(app, node, app.test_client(), data_dir, token, url)


def overlapping_writes(
    db: Any, first: Callable[[Any], T], second: Callable[[Any], U]
) -> tuple[T, U | BaseException]:
    """Run ``first(session)`` in a write transaction of ``db`` that stays open while
    ``second(session)`` runs in another thread's write transaction, then commit ``first``.

    Whether ``second`` reaches a row ``first`` locked before or after ``first`` commits, it
    may only read it after the commit: the tests of the locks check that its answer is right
    either way. Returns ``first``'s result and ``second``'s (or the exception it raised).
    """
    done, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}
    failures: list[BaseException] = []

    def run_first() -> None:
        try:
            with db.write() as session:
                results["first"] = first(session)
                done.set()
                release.wait(10)  # the transaction stays open while the other one runs
        except BaseException as exc:  # reported by the calling thread
            failures.append(exc)
            done.set()

    def run_second() -> None:
        done.wait(10)
        try:
            with db.write() as session:
                results["second"] = second(session)
        except BaseException as exc:  # the caller decides whether it was expected
            results["second"] = exc

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    done.wait(10)
    threads[1].join(0.5)
    release.set()
    for thread in threads:
        thread.join(30)
    if failures:
        raise failures[0]
    return results["first"], results["second"]
