"""Peering flows that talk to the other node: invite codes, join, request, approve, reject."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from federation.descriptor import Descriptor, verify_descriptor
from federation.errors import ProtocolError
from federation.transport.client import PeerHTTPError
from node import published
from node.errors import Conflict, NodeError
from node.feedstore import own_key_entries
from node.messages import N_
from node.models import Peer
from node.network import invites, peering
from node.network.outbox import enqueue
from node.network.transport import peer_client, signer
from node.runtime import Node


class PeerUnreachable(NodeError):
    status = 502
    reason = "peer-unreachable"
    title = "Peer unreachable"


def _our_name(node: Node) -> str:
    with node.db.read() as session:
        space = published.space(session, node.node_id)
        return space.name if space is not None else ""


def discover(node: Node, url: str, expected_id: str | None = None) -> Descriptor:
    """Fetch and verify the descriptor at ``url`` (checking its id when we know it)."""
    client = peer_client(node)
    try:
        doc = client.get_descriptor(url)
        descriptor, _ = verify_descriptor(doc, expected_id, node.now_ms())
    except ProtocolError as exc:
        if exc.reason == "wrong-node-id":
            raise Conflict(
                N_(
                    "the node at %(url)s is not %(expected_id)s; the invite or URL is wrong",
                    url=url,
                    expected_id=expected_id,
                ),
                reason="wrong-node-id",
            ) from exc
        hint = (
            " (for nodes on a local network set SPAZI_ALLOW_PRIVATE_PEERS=true on both nodes)"
            if exc.reason == "private-address"
            else ""
        )
        raise PeerUnreachable(
            N_(
                "%(url)s: %(reason)s: %(detail)s%(hint)s",
                url=url,
                reason=exc.reason,
                detail=exc.detail,
                hint=hint,
            )
        ) from exc
    finally:
        client.close()
    if descriptor.id == node.node_id:
        raise Conflict(N_("that URL is this node itself"), reason="self-peer")
    return descriptor


def _send_request(node: Node, url: str, to: str, invite: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "peer.request",
        "from": node.node_id,
        "to": to,
        "url": node.url,
        "name": _our_name(node),
    }
    if invite is not None:
        message["invite"] = invite
    with node.db.read() as session:
        keys = own_key_entries(session, node.node_id)
    if keys:
        # Lets the other node check our signature without fetching anything first.
        message["keys"] = keys
    client = peer_client(node)
    try:
        answer = client.post_inbox(url, message, signer(node))
    except ProtocolError as exc:
        detail = exc.problem_detail if isinstance(exc, PeerHTTPError) else None
        raise PeerUnreachable(
            N_("%(url)s refused the request: %(value)s", url=url, value=detail or exc.detail),
            reason=_refusal_reason(exc),
        ) from exc
    finally:
        client.close()
    return answer if isinstance(answer, dict) else {}


def _refusal_reason(exc: ProtocolError) -> str:
    """Carry the other node's problem type (e.g. invite-used) through to our admin."""
    if isinstance(exc, PeerHTTPError) and exc.peer_reason:
        return exc.peer_reason
    return "peer-unreachable"


def create_invite(node: Node, ttl: timedelta) -> str:
    with node.db.write() as session:
        return invites.create_invite(session, node, ttl)


def join(node: Node, code: str) -> Peer:
    """Use an invite code: check the inviting node holds the invited id, then peer both ways."""
    invite = invites.parse_invite(code)
    if invite["exp"] <= int(node.clock()):
        raise Conflict(
            N_("this invite code has expired; ask for a new one"), reason="invite-expired"
        )
    descriptor = discover(node, invite["url"], invite["id"])
    answer = _send_request(node, invite["url"], descriptor.id, invite["secret"])
    if answer.get("state") != "active":
        raise Conflict(
            N_("the other node answered %(value)r", value=answer.get("state")), reason="join-failed"
        )
    with node.db.write() as session:
        return peering.apply(
            session,
            descriptor.id,
            "join",
            node.now(),
            url=descriptor.url,
            name=descriptor.name,
            node=node,
        )


def request(node: Node, descriptor: Descriptor) -> Peer:
    """Ask the node of ``descriptor`` to peer; its admin approves or rejects."""
    with node.db.read() as session:
        state = session.get(Peer, descriptor.id)
        peering.next_state(state.state if state else peering.NEW, "send_request")
    answer = _send_request(node, descriptor.url, descriptor.id)
    with node.db.write() as session:
        peer = peering.apply(
            session,
            descriptor.id,
            "send_request",
            node.now(),
            url=descriptor.url,
            name=descriptor.name,
            node=node,
        )
        if answer.get("state") == "active":  # they had asked us too
            peer = peering.apply(session, descriptor.id, "receive_accept", node.now(), node=node)
        return peer


def approve(node: Node, peer_id: str) -> Peer:
    with node.db.write() as session:
        peer = peering.apply(session, peer_id, "approve", node.now(), node=node)
        enqueue(session, node, peer, "peer.accept", {})
        return peer


def reject(node: Node, peer_id: str) -> Peer:
    with node.db.write() as session:
        peer = peering.apply(session, peer_id, "reject", node.now(), node=node)
        enqueue(session, node, peer, "peer.reject", {})
        return peer


def reject_all(node: Node) -> int:
    """Reject every pending peering request (each sender is told); how many there were.

    For a flood of unsolicited requests (node.network.floods): one transaction, so the admin
    clears them all or none.
    """
    with node.db.write() as session:
        pending = peering.pending_requests(session)
        for peer in pending:
            peering.apply(session, peer.id, "reject", node.now(), node=node)
            enqueue(session, node, peer, "peer.reject", {})
        return len(pending)
