"""Shared set-up of the twinning tests: two (or three) in-process spaces, a member, and an
agreement proposed and accepted through the real inbox and outbox."""

from __future__ import annotations

from typing import Any

from node.services import members
from node.twinning import agreements
from node.twinning.agreements import Terms
from tests.network import Network

VALID_FROM = "2026-11-01"
VALID_UNTIL = "2027-11-01"
HOT = ("hot_desk",)


def add_member(net: Network, name: str, person: str = "Ada Lovelace", email: str = "") -> int:
    """A member of space ``name``; their id."""
    with net[name].node.db.write() as session:
        row = members.add_member(
            session, {"name": person, "email": email or f"{person.split()[0].lower()}@{name}.test"}
        )
        return row.id


def add_resources(net: Network, name: str, *items: tuple[str, str, str, int]) -> None:
    """Publish desks and rooms at space ``name``: (id, kind, name, capacity) each."""
    from node.services import resources

    node = net[name].node
    with node.db.write() as session:
        for resource_id, kind, title, capacity in items:
            resources.add_resource(
                session, node, {"id": resource_id, "kind": kind, "name": title,
                                "capacity": capacity}
            )  # fmt: skip


def propose(
    net: Network,
    proposer: str,
    partner: str,
    ours: Terms | None = None,
    theirs: Terms | None = None,
    **dates: Any,
) -> str:
    """``proposer`` proposes to ``partner``; the id (nothing delivered yet)."""
    ours = ours or Terms(2, 3, ("hot_desk", "meeting_room"))
    with net[proposer].node.db.write() as session:
        row = agreements.propose(
            session,
            net[proposer].node,
            net[partner].id,
            ours,
            theirs or ours,
            dates.get("valid_from", VALID_FROM),
            dates.get("valid_until", VALID_UNTIL),
        )
        return row.id


def twin(net: Network, proposer: str, partner: str, **terms: Any) -> str:
    """A proposal delivered, accepted by ``partner`` and settled across the network."""
    agreement = propose(net, proposer, partner, **terms)
    net.deliver()
    with net[partner].node.db.write() as session:
        agreements.accept(session, net[partner].node, agreement)
    net.settle()
    return agreement


def state(net: Network, name: str, agreement: str) -> str:
    """The agreement's state as ``name``'s admin sees it."""
    node = net[name].node
    with node.db.read() as session:
        return agreements.view(session, node, agreements.get(session, agreement)).state
