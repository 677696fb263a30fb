"""Mirrored spaces for the network page tests: signed profiles (and events) stored as a peer
would relay them, through the sync store."""

from __future__ import annotations

from typing import Any

from federation.entries import build_entry
from federation.keys import NodeKey
from node.network.syncing import NodeSyncStore
from tests.support import SpaceNode


def mirror_space(
    space: SpaceNode,
    profile: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    url: str | None = None,
) -> str:
    """Store another space's ``profile`` (name and time zone filled in when missing), its
    ``events`` (``event.put`` bodies) and, with ``url``, its announcement of its own address
    on ``space``; the new origin's node id."""
    key = NodeKey.generate()
    ts = space.node.now_ms()
    body = {"name": "Spazio", "timezone": "Europe/Rome", **profile}
    entries = [build_entry(key, key.did, 1, None, ts, "space.profile", body)]
    for event in events or []:
        last = entries[-1]
        body = {"timezone": "Europe/Rome", **event}
        entries.append(build_entry(key, key.did, last.seq + 1, last.hash, ts, "event.put", body))
    if url is not None:
        last = entries[-1]
        body = {"peers": [{"id": key.did, "url": url}]}
        entries.append(
            build_entry(key, key.did, last.seq + 1, last.hash, ts, "peer.announce", body)
        )
    NodeSyncStore(space.node).store_page(key.did, entries)
    return key.did


def event_body(number: int, day: int = 20, title: str = "Incontro") -> dict[str, Any]:
    """An ``event.put`` body on ``day`` of December 2026 (after the test clock's today)."""
    return {
        "id": f"ev-{number}",
        "title": f"{title} {number}",
        "start": f"2026-12-{day:02d}T18:00",
        "end": f"2026-12-{day:02d}T20:00",
    }
