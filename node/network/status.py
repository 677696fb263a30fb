"""What network admins look at: peers with their sync health, and quarantined origins.

Shared by ``spazi peer list`` and the admin network page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from node import formats
from node.messages import N_
from node.models import ForkProof, Origin
from node.network import peering
from node.runtime import Node

# A peer's state (peering.TRANSITIONS, or its origin's when blocked or quarantined) in words for
# the admin page, which shows them in its own language; the CLI prints the codes.
STATE_LABELS = {
    "active": N_("active"),
    "pending": N_("waiting for your approval"),
    "requested": N_("asked, waiting for their answer"),
    "rejected": N_("rejected"),
    "quarantined": N_("quarantined"),
    "blocked": N_("blocked"),
}


def peer_rows(node: Node, ago: formats.Ago = formats.ago) -> list[dict[str, Any]]:
    """What ``spazi peer list`` shows (also used by the admin page, which passes its own
    ``ago`` in the page's language)."""
    now = node.now()
    with node.db.read() as session:
        rows = []
        for p in peering.all_peers(session):
            origin = session.get(Origin, p.id)
            state = p.state if not origin or origin.status == "active" else origin.status
            rows.append(
                {
                    "id": p.id,
                    "name": p.name,
                    "url": p.url,
                    "state": state,
                    "state_label": STATE_LABELS.get(state, state),
                    "last_sync": ago(p.last_success, now),
                    "lag": p.lag,
                    "failures": p.failures,
                    "next_try": ago(p.next_try, now) if p.state == "active" else "",
                    "last_error": p.last_error or "",
                }
            )
    return rows


def quarantined(node: Node, ago: formats.Ago = formats.ago) -> list[dict[str, Any]]:
    """Other origins proven to have forked (proofs against ourselves are
    ``node.feedcheck.alerts``: they are shown as a warning, not as a quarantined peer); ``ago``
    as for :func:`peer_rows`."""
    query = select(ForkProof).where(ForkProof.origin != node.node_id).order_by(ForkProof.found)
    with node.db.read() as session:
        return [
            {"origin": f.origin, "seq": f.seq, "found": ago(f.found, node.now())}
            for f in session.scalars(query)
        ]
