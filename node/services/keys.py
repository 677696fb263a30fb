"""Rotating the node key: a ``key.rotate`` entry signed by the old key and the new one.

Crash safety: the new key is written to ``node.key.next`` first, then the entry is committed, then
the files are swapped (the old key kept in ``keys/`` as a record). :func:`finish_pending_rotation`
completes or abandons a rotation interrupted between those steps, judged by what the feed says.
"""

from __future__ import annotations

import os
from pathlib import Path

from federation.entries import rotation_body
from federation.keys import NodeKey
from node import feedstore
from node.errors import Conflict
from node.runtime import Node, key_path
from node.services.publishing import publish


def _next_path(node: Node) -> Path:
    return key_path(node.settings).with_name(key_path(node.settings).name + ".next")


def _passphrase(node: Node) -> bytes | None:
    return node.settings["key_passphrase"].encode() or None


def rotate(node: Node, compromised_since_ms: int | None = None) -> NodeKey:
    """Replace the node key; peers follow the ``key.rotate`` entry."""
    pending = _next_path(node)
    if pending.exists():
        raise Conflict(
            f"{pending} exists: an earlier rotation did not finish; run the command "
            "again after `spazi key finish`",
            reason="rotation-pending",
        )
    if compromised_since_ms is not None and compromised_since_ms > node.now_ms():
        raise Conflict("--compromised-since is in the future", reason="bad-time")
    new_key = NodeKey.generate()
    new_key.save(pending, _passphrase(node))
    try:
        with node.db.write() as session:
            row = feedstore.lock_origin(session, node.node_id)
            seq = (row.head_seq if row else 0) + 1
            body = rotation_body(node.key, new_key, node.node_id, seq, compromised_since_ms)
            publish(session, node, "key.rotate", body)
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    _swap_files(node, new_key)
    return new_key


def _swap_files(node: Node, new_key: NodeKey) -> None:
    current = key_path(node.settings)
    retired_dir = current.parent / "keys"
    retired_dir.mkdir(mode=0o700, exist_ok=True)
    os.replace(current, retired_dir / f"retired-{node.key.kid}.pem")
    os.replace(_next_path(node), current)
    node.key = new_key


def finish_pending_rotation(node: Node) -> str | None:
    """Complete or abandon an interrupted rotation; returns what was done (None: nothing)."""
    pending = _next_path(node)
    if not pending.exists():
        return None
    candidate = NodeKey.load(pending, _passphrase(node))
    with node.db.read() as session:
        current = feedstore.keyring(session).current(node.node_id)
    if current.kid == candidate.kid:
        _swap_files(node, candidate)
        return "finished"
    pending.unlink()
    return "abandoned"
