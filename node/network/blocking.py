"""Blocking nodes: no sync from them, nothing of theirs relayed, no inbox messages accepted.

Blocking drops everything mirrored of the node (its entries and what they published), so the
node stops serving it to others at once; unblocking lets a later sync fetch it afresh.
Block lists travel between admins as CSV (``node_id,reason,created``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from federation.keys import is_node_id
from node.clock import utc_text
from node.errors import Conflict, InvalidInput, NotFound
from node.features import projectors, watchers
from node.messages import N_
from node.models import Block, FeedEntry, ForkProof, Origin, OutboxMessage, Peer
from node.network import peering
from node.projection import drop_origin
from node.runtime import Node

CSV_FIELDS = ("node_id", "reason", "created")


def block(session: Session, node: Node, node_id: str, reason: str = "") -> Block:
    """Block ``node_id`` and drop what we mirrored of it."""
    if not is_node_id(node_id):
        raise InvalidInput(
            N_("%(node_id)r is not a node id (did:key:z6Mk…)", node_id=node_id),
            reason="bad-node-id",
        )
    if node_id == node.node_id:
        raise Conflict(N_("a node cannot block itself"), reason="self-block")
    existing = session.get(Block, node_id)
    if existing is not None:
        return existing
    row = Block(node_id=node_id, reason=reason[:500], created=node.now())
    session.add(row)
    if session.get(Peer, node_id) is not None:
        peering.apply(session, node_id, "block", node.now(), node=node)
    _drop_mirror(session, node_id)
    origin = session.get(Origin, node_id)
    if origin is not None:
        origin.status, origin.head_seq, origin.head_hash = "blocked", 0, None
    # Nothing more goes out to it.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.peer_id == node_id, OutboxMessage.done.is_(False))
        .values(done=True, last_error="blocked")
    )
    session.flush()
    return row


def _drop_mirror(session: Session, node_id: str) -> None:
    """Everything the node published, through each entry type's projector (so a new type's
    rows go too, with no list here to forget them), then its entries; with the addresses it
    announced, its word on other nodes' addresses no longer counts."""
    drop_origin(session, node_id, projectors().values(), watchers())
    session.execute(delete(FeedEntry).where(FeedEntry.origin == node_id))


def unblock(session: Session, node: Node, node_id: str) -> None:
    row = session.get(Block, node_id)
    if row is None:
        raise NotFound(N_("%(node_id)s is not blocked", node_id=node_id), reason="not-blocked")
    session.delete(row)
    if session.get(Peer, node_id) is not None:
        peering.apply(session, node_id, "unblock", node.now(), node=node)
    origin = session.get(Origin, node_id)
    if origin is not None:
        # A proven fork outlives a block: unblocking does not make a forked origin trusted.
        forked = session.scalar(select(ForkProof).where(ForkProof.origin == node_id).limit(1))
        origin.status = "quarantined" if forked is not None else "active"
    # Our peers' heads have not changed, but what we take from them has: the next round with
    # each asks for their heads in full instead of being told "unchanged" (protocol.md §Sync).
    session.execute(update(Peer).values(heads_etag=None, heads_etag_since=None))


def list_blocks(session: Session) -> list[Block]:
    return list(session.scalars(select(Block).order_by(Block.created, Block.node_id)))


def export_csv(blocks: Iterable[Block]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in blocks:
        writer.writerow([row.node_id, row.reason, utc_text(row.created)])
    return out.getvalue()


def parse_csv(text: str) -> list[tuple[str, str]]:
    """Rows of a block list; the first bad line refuses the whole file (no half imports)."""
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[str, str]] = []
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:2]] != ["node_id", "reason"]:
        raise InvalidInput(
            N_("a block list starts with the header node_id,reason,created"), reason="bad-csv"
        )
    for number, fields in enumerate(reader, start=2):
        if not fields or not "".join(fields).strip():
            continue
        node_id = fields[0].strip()
        if not is_node_id(node_id):
            raise InvalidInput(
                N_("line %(number)s: %(node_id)r is not a node id", number=number, node_id=node_id),
                reason="bad-csv",
            )
        reason = fields[1].strip() if len(fields) > 1 else ""
        if len(reason) > 500:
            raise InvalidInput(
                N_("line %(number)s: reason longer than 500 characters", number=number),
                reason="bad-csv",
            )
        rows.append((node_id, reason))
    return rows


def import_csv(session: Session, node: Node, text: str) -> int:
    """Block every node in the CSV (ourselves excepted); returns how many were new."""
    added = 0
    for node_id, reason in parse_csv(text):
        if node_id == node.node_id or session.get(Block, node_id) is not None:
            continue
        block(session, node, node_id, reason)
        added += 1
    return added
