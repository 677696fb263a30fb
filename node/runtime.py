"""The running node: settings, database, key and clock, shared by the web app, jobs and CLI."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from federation.keys import NodeKey
from federation.sigbatch import auto_threads
from node.db import Database
from node.feedstore import self_origin
from node.ratelimit import RateLimits
from node.settings import load_settings

Clock = Callable[[], float]


@dataclass
class Node:
    """One space's node. ``clock`` returns Unix seconds (tests pass a fake one)."""

    settings: dict[str, Any]
    db: Database
    key: NodeKey
    node_id: str
    clock: Clock = field(default=time.time)
    # Seconds that only go forward, for time budgets (a sync round's); tests pass a fake one.
    monotonic: Clock = field(default=time.monotonic)
    # Origin ("http://b.test") -> requests adapter: in-process networks in tests route peers'
    # URLs to their Flask apps. Empty in production.
    local_routes: dict[str, Any] = field(default_factory=dict)
    # Set while this process's start-up check of peers' heads of our own feed runs, and set
    # (done) once it has: publishing waits for it (node.feedcheck.require_current).
    own_check_pending: threading.Event | None = None
    # One of several spaces served by one process (``spazi hub``, ARCHITECTURE.md §Hosting many
    # spaces): what the process counts across spaces (the request counters) is not this node's.
    hosted: bool = False
    # This process's in-memory rate limits (peering requests, invite guesses).
    rate_limits: RateLimits = field(default_factory=RateLimits, repr=False, compare=False)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def now(self) -> datetime:
        """The node's clock as an aware UTC datetime."""
        return datetime.fromtimestamp(self.clock(), UTC)

    @property
    def url(self) -> str:
        return str(self.settings["url"]).rstrip("/")

    @property
    def data_dir(self) -> Path:
        return Path(self.settings["data_dir"])

    @property
    def verify_threads(self) -> int:
        """Threads checking a synced page's signatures (the ``verify_threads`` setting)."""
        return int(self.settings["verify_threads"]) or auto_threads()

    def close(self) -> None:
        self.db.dispose()


def key_path(settings: Mapping[str, Any]) -> Path:
    return Path(settings["data_dir"]) / settings["key_file"]


def open_node(
    data_dir: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    clock: Clock | None = None,
    key: NodeKey | None = None,
    environ: Mapping[str, str] | None = None,
) -> Node:
    """Open an initialised node from its data dir (settings, key, database)."""
    settings = load_settings(data_dir, overrides, environ)
    if not settings["database_url"]:
        raise RuntimeError("no data dir: pass --data-dir or set SPAZI_DATA_DIR")
    if key is None:
        passphrase = settings["key_passphrase"].encode() or None
        key = NodeKey.load(key_path(settings), passphrase)
    db = Database(settings["database_url"], settings["db_busy_timeout_ms"])
    try:
        with db.read() as session:
            own = self_origin(session)
    except BaseException:
        db.dispose()  # a database that cannot be read keeps no connection open
        raise
    # The node id is the did of the genesis key and survives rotation; before the first entry
    # exists (during init) it is the did of the key itself.
    node_id = own.id if own is not None else key.did
    return Node(settings, db, key, node_id, clock or time.time)
