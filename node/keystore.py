"""The node key on disk: which file holds the key that signs now, and finishing rotations.

Crash safety of a rotation (``node.services.keys.rotate``): the new key is written to
``node.key.next`` first, then the ``key.rotate`` entry is committed, then the files are swapped (the
old key kept in ``keys/`` as a record). :func:`finish_pending_rotation` completes or abandons a
rotation interrupted between those steps, judged by what the feed says. A file lock keeps two
processes (gunicorn workers starting together, or the CLI beside a server) from doing it at once.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from federation.keys import NodeKey
from node import feedstore
from node.errors import Conflict
from node.runtime import Node, key_path


def next_path(node: Node) -> Path:
    """Where a rotation writes the new key before its entry is committed."""
    return key_path(node.settings).with_name(key_path(node.settings).name + ".next")


def passphrase(node: Node) -> bytes | None:
    return node.settings["key_passphrase"].encode() or None


_thread_lock = threading.RLock()
_depth = 0


@contextmanager
def rotation_lock(node: Node) -> Iterator[None]:
    """Exclusive across processes and threads for as long as the block runs; re-entrant in the
    thread that holds it (a rotation publishes, and publishing checks the key)."""
    global _depth
    with _thread_lock:
        if _depth:
            _depth += 1
            try:
                yield
            finally:
                _depth -= 1
            return
        lock_path = key_path(node.settings).with_name(".key-rotation.lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _depth = 1
            try:
                yield
            finally:
                _depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)


def swap_files(node: Node, new_key: NodeKey) -> None:
    """Retire the key file in use and put the new key in its place (call under the lock)."""
    current = key_path(node.settings)
    retired_dir = current.parent / "keys"
    retired_dir.mkdir(mode=0o700, exist_ok=True)
    old = NodeKey.load(current, passphrase(node))
    os.replace(current, retired_dir / f"retired-{old.kid}.pem")
    os.replace(next_path(node), current)
    node.key = new_key


def current_key(session: Session, node: Node) -> NodeKey:
    """The key that must sign our next entry, request or descriptor.

    Another process (``spazi key rotate`` beside a running server) may have rotated the key: the
    feed is the authority, so when it names a newer key than the one in memory, the key files are
    read again (finishing an interrupted rotation if needed). Signing with a retired key would
    break our own feed for every peer, so a mismatch that cannot be resolved is refused.
    """
    wanted = feedstore.keyring(session).current(node.node_id).kid
    if node.key.kid == wanted:
        return node.key
    with rotation_lock(node):
        for path in (key_path(node.settings), next_path(node)):
            if not path.exists():
                continue
            candidate = NodeKey.load(path, passphrase(node))
            if candidate.kid == wanted:
                if path == next_path(node):
                    swap_files(node, candidate)
                node.key = candidate
                return candidate
    raise Conflict(
        f"the feed's current key is {wanted} but {key_path(node.settings)} holds another; "
        "restore the key file from the backup of the data dir",
        reason="key-mismatch",
    )


def finish_pending_rotation(node: Node) -> str | None:
    """Complete or abandon an interrupted rotation; returns what was done (None: nothing)."""
    if not next_path(node).exists():
        return None
    with rotation_lock(node):
        pending = next_path(node)
        if not pending.exists():
            return None  # another process finished it while we waited for the lock
        candidate = NodeKey.load(pending, passphrase(node))
        with node.db.read() as session:
            wanted = feedstore.keyring(session).current(node.node_id).kid
        if wanted == candidate.kid:
            swap_files(node, candidate)
            return "finished"
        pending.unlink()  # the entry never committed: the old key is still the one
        return "abandoned"
