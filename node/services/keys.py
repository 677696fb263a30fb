"""Rotating the node key: a ``key.rotate`` entry signed by the old key and the new one.

The file handling (``node.key.next``, the swap, finishing interrupted rotations, finding the key
that signs now) lives in :mod:`node.keystore`.
"""

from __future__ import annotations

from federation.entries import rotation_body
from federation.keys import NodeKey
from node import feedstore
from node.errors import Conflict
from node.keystore import current_key, next_path, passphrase, rotation_lock, swap_files
from node.messages import N_
from node.runtime import Node
from node.services.publishing import publish


def rotate(node: Node, compromised_since_ms: int | None = None) -> NodeKey:
    """Replace the node key; peers follow the ``key.rotate`` entry."""
    if compromised_since_ms is not None and compromised_since_ms > node.now_ms():
        raise Conflict(N_("--compromised-since is in the future"), reason="bad-time")
    with rotation_lock(node):
        pending = next_path(node)
        if pending.exists():
            raise Conflict(
                N_(
                    "%(pending)s exists: a rotation was interrupted; it is finished or discarded "
                    "the next time the node or any spazi command starts",
                    pending=pending,
                ),
                reason="rotation-pending",
            )
        new_key = NodeKey.generate()
        new_key.save(pending, passphrase(node))
        try:
            with node.db.write() as session:
                old_key = current_key(session, node)
                row = feedstore.lock_origin(session, node.node_id)
                seq = (row.head_seq if row else 0) + 1
                body = rotation_body(old_key, new_key, node.node_id, seq, compromised_since_ms)
                publish(session, node, "key.rotate", body)
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
        swap_files(node, new_key)
    return new_key
