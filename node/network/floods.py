"""Bounds on unsolicited peering requests (protocol.md §Inbox, ``too-many-requests``).

Anyone may sign a ``peer.request`` with a fresh key, and each one makes the node fetch the
sender's descriptor and keep a pending row. Three limits keep that bounded, all checked before
the signature is verified or anything is fetched:

- at most ``max_pending_requests`` requests wait for an admin; beyond it a request without an
  invite code that would add one more is refused (checked again in the write transaction);
- each source address (an IPv6 one by its /64) may send ``peer_requests_per_minute`` requests a
  minute (a token bucket, in memory per process: :mod:`node.ratelimit`);
- after :data:`INVITE_FAILURES` unknown invite secrets within :data:`INVITE_WINDOW_S` from one
  address, or for one sender, its requests with an invite are refused without looking at them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from node.errors import NodeError
from node.models import Peer
from node.network import peering
from node.ratelimit import address_key
from node.runtime import Node

INVITE_FAILURES = 5
INVITE_WINDOW_S = 10 * 60
# A full queue of requests empties only when an admin looks at it: ask again in an hour.
PENDING_RETRY_S = 3600
# States from which a request adds a pending row (peering.TRANSITIONS: receive_request).
_ADDS_PENDING = frozenset({None, "rejected"})


class TooManyRequests(NodeError):
    """A refused request with the seconds to wait before trying again (``Retry-After``)."""

    status = 429
    reason = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def admit_peer_request(node: Node, message: Mapping[str, Any], remote: str | None) -> None:
    """Refuse a ``peer.request`` over a limit (:class:`TooManyRequests`); cheap, no crypto."""
    limits, now = node.rate_limits, node.monotonic()
    per_minute = int(node.settings["peer_requests_per_minute"])
    if remote and not limits.peer_requests.take(
        address_key(remote), per_minute, per_minute / 60, now
    ):
        raise TooManyRequests(
            f"more than {per_minute} peering requests a minute from your address; try again later",
            retry_after=math.ceil(60 / per_minute),  # when the bucket holds a token again
        )
    sender = str(message["from"])
    if message.get("invite") is not None:
        failures = limits.invite_failures
        if any(
            failures.count(key, INVITE_WINDOW_S, now) >= INVITE_FAILURES
            for key in _invite_keys(remote, sender)
        ):
            raise TooManyRequests(
                "too many unknown invite codes; check the code with the other admin and try "
                f"again in {INVITE_WINDOW_S // 60} minutes",
                retry_after=INVITE_WINDOW_S,
            )
        return
    with node.db.read() as session:
        check_pending_room(session, node, sender)


def check_pending_room(session: Session, node: Node, sender: str) -> None:
    """Refuse a request without an invite that would add a pending row beyond the cap."""
    row = session.get(Peer, sender)
    if (row.state if row is not None else None) not in _ADDS_PENDING:
        return  # already pending, or asking back: no new row
    if peering.count_pending(session) >= int(node.settings["max_pending_requests"]):
        raise TooManyRequests(
            "this node has too many peering requests waiting for its admin; ask the admin for an "
            "invite code, or try again later",
            retry_after=PENDING_RETRY_S,
        )


def invite_failed(node: Node, message: Mapping[str, Any], remote: str | None) -> None:
    """Count an unknown invite secret against the sender and its address."""
    for key in _invite_keys(remote, str(message["from"])):
        node.rate_limits.invite_failures.add(key, node.monotonic())


def _invite_keys(remote: str | None, sender: str) -> list[str]:
    return [f"sender:{sender}"] + ([f"address:{address_key(remote)}"] if remote else [])
