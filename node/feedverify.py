"""Re-verify a node's own feed from seq 1, page by page, as a peer would (protocol.md §Feeds).

Used by ``spazi feed verify`` and by ``spazi db copy`` on the database it has just written.
"""

from __future__ import annotations

from collections.abc import Callable

from federation.canonical import parse_strict
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from node.db import Database
from node.feedstore import page_raw

PAGE = 1000


def verify_own_feed(
    db: Database,
    node_id: str,
    now_ms: int,
    threads: int = 1,
    on_page: Callable[[int, int], None] | None = None,
) -> int:
    """The number of entries of ``node_id``'s feed in ``db`` that verify; raises
    :class:`federation.errors.ProtocolError` (its message naming the seq it stopped after) at
    the first one that does not. ``on_page(count, seq)`` follows each page."""
    ring, head, checked = Keyring(), Head(), 0
    while True:
        with db.read() as session:
            raws = page_raw(session, node_id, head.seq, PAGE)
        if not raws:
            return checked
        entries = verify_page(
            node_id,
            head,
            [parse_strict(raw) for raw in raws],
            ring,
            now_ms,
            checked=True,
            threads=threads,
        )
        checked += len(entries)
        head = Head(entries[-1].seq, entries[-1].hash)
        if on_page is not None:
            on_page(len(entries), head.seq)
