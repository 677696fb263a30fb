"""The network as people see it: every known space and the events across it, with where each
came from (origin node) and how fresh our copy is."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from federation.keys import fingerprint
from node import published
from node.clock import aware, ms_to_dt
from node.models import Peer
from node.runtime import Node
from node.services.events import event_view


def node_url(session: Session, node: Node, origin: str) -> str | None:
    """Best known address of ``origin``: ourselves, a direct peer, or an announcement."""
    if origin == node.node_id:
        return node.url
    peer = session.get(Peer, origin)
    if peer is not None:
        return peer.url
    return published.address(session, origin)


def list_spaces(
    session: Session, node: Node, city: str | None = None, country: str | None = None
) -> list[dict[str, Any]]:
    """Every space whose profile we hold (ours first), with origin and freshness."""
    rows = []
    for space, origin in published.visible_spaces(session, city, country):
        rows.append(
            {
                "name": space.name,
                "city": space.city or "",
                "country": space.country or "",
                "amenities": space.profile.get("amenities", []),
                "url": node_url(session, node, space.origin) or "",
                "origin": space.origin,
                "fingerprint": fingerprint(space.origin),
                "is_self": origin.is_self,
                "profile_updated": ms_to_dt(space.ts).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated": aware(origin.updated).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    rows.sort(key=lambda r: (not r["is_self"], r["name"].lower()))
    return rows


def event_rows(
    session: Session,
    node: Node,
    start: date | None = None,
    end: date | None = None,
    tag: str | None = None,
    city: str | None = None,
    include_cancelled: bool = True,
) -> list[dict[str, Any]]:
    """Events across every origin we hold, each with its space and origin."""
    # Hidden origins (blocked, quarantined, muted) are left out as list_spaces leaves them out.
    found = published.query_events(
        session, None, start, end, tag, city, include_cancelled, visible_only=True
    )
    names = published.spaces(session, {event.origin for event in found})
    rows = []
    for event in found:
        view = event_view(event)
        space = names.get(event.origin)
        view["space"] = space.name if space else event.origin
        view["city"] = (space.city or "") if space else ""
        view["space_url"] = node_url(session, node, event.origin) or ""
        view["status"] = "CANCELLED" if event.cancelled else ""
        view["published"] = ms_to_dt(event.ts).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(view)
    return rows
