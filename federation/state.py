"""The published state of a node: the fold of its verified feed.

Records are replaceable and keyed by (type, id); the latest entry wins. Removals, cancellations
and terminations are tombstones: the record stays with a flag so a later reader knows it is gone
(and an event calendar can show CANCELLED) instead of silently forgetting it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from federation.entries import Entry


@dataclass
class Record:
    """One replaceable record and the entry that last touched it."""

    body: dict[str, Any]
    seq: int
    ts: int
    gone: bool = False  # removed resource, cancelled event or terminated agreement
    reason: str | None = None


@dataclass
class PublishedState:
    """What one origin currently publishes."""

    origin: str | None = None
    head_seq: int = 0
    profile: Record | None = None
    resources: dict[str, Record] = field(default_factory=dict)
    events: dict[str, Record] = field(default_factory=dict)
    agreements: dict[str, Record] = field(default_factory=dict)
    revoked_jti_hashes: set[str] = field(default_factory=set)
    keys: list[str] = field(default_factory=list)
    peers: list[dict[str, str]] = field(default_factory=list)


def apply(state: PublishedState, entry: Entry) -> None:
    """Fold one entry (entries must come in seq order) into ``state``."""
    state.origin = entry.origin
    state.head_seq = entry.seq
    body, kind = entry.body, entry.type
    if kind == "space.profile":
        state.profile = Record(body, entry.seq, entry.ts)
    elif kind == "resource.put":
        state.resources[body["id"]] = Record(body, entry.seq, entry.ts)
    elif kind == "resource.remove":
        old = state.resources.get(body["id"])
        state.resources[body["id"]] = Record(old.body if old else body, entry.seq, entry.ts, True)
    elif kind == "event.put":
        state.events[body["id"]] = Record(body, entry.seq, entry.ts)
    elif kind == "event.cancel":
        old = state.events.get(body["id"])
        state.events[body["id"]] = Record(
            old.body if old else {"id": body["id"]}, entry.seq, entry.ts, True, body.get("reason")
        )
    elif kind == "agreement.publish":
        from federation.agreements import agreement_id

        doc = body["agreement"]
        state.agreements[agreement_id(doc)] = Record(doc, entry.seq, entry.ts)
    elif kind == "agreement.terminate":
        old = state.agreements.get(body["id"])
        if old is not None:
            old.gone, old.reason, old.seq, old.ts = True, body.get("reason"), entry.seq, entry.ts
    elif kind == "pass.revoke":
        state.revoked_jti_hashes.update(body["jti_hashes"])
    elif kind == "key.rotate":
        state.keys.append(body["new_key"])
    elif kind == "peer.announce":
        state.peers = list(body["peers"])


def fold(entries: Iterable[Entry], state: PublishedState | None = None) -> PublishedState:
    """Fold verified entries (in seq order) into a new or existing state."""
    result = state if state is not None else PublishedState()
    for entry in entries:
        apply(result, entry)
    return result
