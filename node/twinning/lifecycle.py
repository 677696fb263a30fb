"""An agreement's life on this node as an explicit state table, like peering's
(node/network/peering.py): a row moves only through :data:`TRANSITIONS`, so the CLI, the admin
pages, the API and the inbox obey the same rules, and anything else is refused with a message
that names the state it is in.

States
    ``proposed``    we proposed it and wait for the partner's answer
    ``awaiting``    the partner proposed it and waits for ours
    ``active``      both signed; each party published it in its feed
    ``rejected``    one side turned the proposal down
    ``terminated``  one side ended it (``agreement.terminate`` in its feed)

"Expired" is not a state: an active agreement whose ``valid_until`` has passed shows as expired
(:func:`shown_state`), and a termination published by the partner shows as terminated, because
where an agreement stands across the network is read from the published state
(protocol.md §Published state), not from this table.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from node.errors import Conflict
from node.messages import N_

NEW: Final = "new"  # no row yet

# (state, event) -> next state
TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (NEW, "propose"): "proposed",
    (NEW, "receive_proposal"): "awaiting",
    ("awaiting", "receive_proposal"): "awaiting",  # the same proposal delivered again
    ("awaiting", "accept"): "active",
    ("awaiting", "reject"): "rejected",
    ("proposed", "receive_accept"): "active",
    ("proposed", "receive_reject"): "rejected",
    ("active", "terminate"): "terminated",
    ("active", "receive_terminate"): "terminated",
}

# What people read for each state.
LABELS: Final[dict[str, str]] = {
    "proposed": N_("proposed by us"),
    "awaiting": N_("awaiting our answer"),
    "active": N_("active"),
    "rejected": N_("rejected"),
    "terminated": N_("terminated"),
    "expired": N_("expired"),
}


def next_state(state: str, event: str) -> str:
    """The state after ``event``; :class:`Conflict` (``bad-peer-state``) if not allowed."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        action = event.replace("receive_", "receive an ").replace("_", " ")
        raise Conflict(
            N_(
                "cannot %(action)s for an agreement that is %(value)s",
                action=action,
                value=LABELS.get(state, state),
            ),
            reason="bad-peer-state",
        ) from None


def shown_state(state: str, terminated: bool, valid_until: str, today: date) -> str:
    """The state people see: a published termination and the end of validity win."""
    if state == "active" and terminated:
        return "terminated"
    if state == "active" and date.fromisoformat(valid_until) <= today:
        return "expired"
    return state
