"""Publishing to our own feed: every public change goes through :func:`publish`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from federation.entries import Entry
from federation.errors import BodyError, EntryError
from node.errors import InvalidInput
from node.feedcheck import require_current
from node.feedstore import append_own, lock_origin
from node.keystore import current_key
from node.runtime import Node


def publish(
    session: Session,
    node: Node,
    entry_type: str,
    body: dict[str, Any],
    detached: bytes | None = None,
) -> Entry:
    """Sign ``body`` as the next entry of our feed and project it, in the caller's transaction;
    ``detached`` is the canonical bytes of its detached body (protocol.md §Detached bodies)."""
    # Never sign a seq a peer may already hold of our feed (a restored backup): the stored
    # verdict of the own-feed check refuses first (protocol.md §Feeds, "Writing").
    require_current(session, node)
    try:
        # Lock our feed's row before asking which key signs: a rotation committed by another
        # process in between would otherwise leave us signing with the retired key.
        lock_origin(session, node.node_id)
        key = current_key(session, node)
        entry = append_own(
            session, key, node.node_id, entry_type, body, node.now_ms(), detached=detached
        )
    except (BodyError, EntryError) as exc:
        raise InvalidInput(exc.detail, reason=exc.reason) from exc
    # The push hint to peers is queued in this same transaction: it exists exactly when the
    # entry does, and a crash cannot lose it.
    # Imported here: the outbox brings the HTTP client, which a command that only reads never
    # needs (`spazi event list` imports this module for its services).
    from node.network.outbox import queue_heads_hint

    queue_heads_hint(session, node, entry)
    return entry


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    """Remove fields explicitly set to null (null means "clear this field")."""
    return {k: v for k, v in data.items() if v is not None}
