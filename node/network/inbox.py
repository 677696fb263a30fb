"""Handling signed inbox messages from other nodes (protocol.md §Inbox).

Order of checks, cheapest and safest first: size (before parsing, by the HTTP layer), strict JSON,
message shape, sender not blocked, RFC 9421 signature with a key bound to the sender's id and a
replay check, ``from``/``to`` matching the signature, then the message's own rules. Outbound work
(fetching a sender's descriptor) happens before the write transaction so no lock is held across
the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from federation.canonical import parse_strict
from federation.descriptor import verify_descriptor
from federation.errors import HttpSignatureError, ProtocolError
from federation.httpsig import check_sender, verify_request_details
from federation.keyring import Keyring
from federation.keys import is_node_id
from node.errors import Conflict, Forbidden, InvalidInput, NodeError
from node.feedstore import keyring as stored_keyring
from node.models import Block, Peer, SeenSignature
from node.network import invites, peering
from node.network.transport import peer_client
from node.runtime import Node

MESSAGE_TYPES = frozenset({"peer.request", "peer.accept", "peer.reject", "heads.changed"})
MAX_MESSAGE_BYTES = 64 * 1024


class SignatureRefused(NodeError):
    status = 401
    reason = "bad-http-signature"
    title = "Signature refused"


@dataclass
class Delivery:
    """A received request as the HTTP layer saw it."""

    method: str
    url: str  # our public URL + path: what the sender signed as @target-uri
    headers: list[tuple[str, str]]
    body: bytes


def _check_shape(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise InvalidInput("an inbox message is a JSON object", reason="bad-message")
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        raise InvalidInput(f"unknown message type {kind!r}", reason="unknown-message-type")
    if not is_node_id(message.get("from")) or not is_node_id(message.get("to")):
        raise InvalidInput("from and to must be node ids", reason="bad-message")
    allowed = {"type", "from", "to", "url", "name", "invite", "heads"}
    if set(message) - allowed:
        raise InvalidInput(f"unknown fields {sorted(set(message) - allowed)}", reason="bad-message")
    url = message.get("url")
    if url is not None and not (
        isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) <= 2000
    ):
        raise InvalidInput("url must be an http(s) URL", reason="bad-message")
    name = message.get("name")
    if name is not None and not (isinstance(name, str) and len(name) <= 200):
        raise InvalidInput("name must be a string of at most 200 characters", reason="bad-message")
    if kind == "peer.request" and url is None:
        raise InvalidInput("a peering request carries the sender's url", reason="bad-message")
    if kind == "heads.changed" and not _heads_shape(message.get("heads")):
        raise InvalidInput("heads must map node ids to {seq, hash}", reason="bad-message")
    return message


def _heads_shape(heads: Any) -> bool:
    if not isinstance(heads, dict) or len(heads) > 1000:
        return False
    for origin, head in heads.items():
        if not is_node_id(origin) or not isinstance(head, dict) or set(head) != {"seq", "hash"}:
            return False
        if not isinstance(head["seq"], int) or not isinstance(head["hash"], str):
            return False
    return True


def _verify(node: Node, delivery: Delivery, ring: Keyring) -> tuple[str, str, int]:
    """Verify the signature; return (sender, signature id, expiry) without recording it yet."""
    with node.db.read() as session:

        def seen(signature_id: str, _expires: int) -> bool:
            return session.get(SeenSignature, signature_id) is not None

        try:
            verified = verify_request_details(
                delivery.method,
                delivery.url,
                delivery.headers,
                delivery.body,
                ring,
                int(node.clock()),
                seen=seen,
            )
        except HttpSignatureError as exc:
            raise SignatureRefused(exc.detail, reason=exc.reason) from exc
    return verified.node_id, verified.signature_id, verified.expires


def receive(node: Node, delivery: Delivery) -> dict[str, Any]:
    """Verify and act on one inbox message; return the JSON answer for the sender."""
    try:
        message = _check_shape(parse_strict(delivery.body, MAX_MESSAGE_BYTES))
    except ProtocolError as exc:
        raise InvalidInput(f"malformed message: {exc.detail}", reason="malformed-json") from exc
    sender = message["from"]
    with node.db.read() as session:
        if session.get(Block, sender) is not None:
            raise Forbidden("this node does not accept messages from you", reason="blocked")
        ring = stored_keyring(session)
    descriptor_ring: Keyring | None = None
    checked_url: str | None = None
    try:
        signed_by, signature_id, expires = _verify(node, delivery, ring)
    except SignatureRefused as exc:
        # The sender signed with a key we have not seen: a newcomer that rotated since genesis,
        # or a peer that rotated moments ago (its hint arrives before we synced the rotation).
        # Learn its keys from its own descriptor, which proves them from the id itself, then
        # check again. The URL is the peer's stored one, or for a first request the one in the
        # message; nothing from it is trusted that the id does not vouch for (DESIGN §3.2).
        url = _known_url(node, sender) or (
            message.get("url") if message["type"] == "peer.request" else None
        )
        if exc.reason != "unknown-key" or url is None:
            raise
        descriptor_ring, checked_url = _descriptor_keyring(node, url, sender), url
        signed_by, signature_id, expires = _verify(node, delivery, descriptor_ring)
    try:
        check_sender(message, signed_by, node.node_id)
    except HttpSignatureError as exc:
        raise SignatureRefused(exc.detail, reason=exc.reason) from exc
    if message["type"] == "peer.request" and checked_url != message["url"]:
        # Make sure the URL the sender gives really serves the sender's id before we ever
        # sync from it (otherwise anyone could point us at someone else's node).
        _descriptor_keyring(node, message["url"], sender)
    with node.db.write() as session:
        if session.get(SeenSignature, signature_id) is not None:
            raise SignatureRefused("this request was already received", reason="replayed")
        session.add(SeenSignature(id=signature_id, expires=expires))
        return _dispatch(session, node, message)


def _known_url(node: Node, node_id: str) -> str | None:
    with node.db.read() as session:
        peer = session.get(Peer, node_id)
        return peer.url if peer is not None and peer.state != "blocked" else None


def _descriptor_keyring(node: Node, url: str, expected_id: str) -> Keyring:
    client = peer_client(node)
    try:
        doc = client.get_descriptor(url)
        _, ring = verify_descriptor(doc, expected_id, node.now_ms())
    except ProtocolError as exc:
        raise Conflict(
            f"could not confirm that {url} is node {expected_id}: {exc.reason}",
            reason="peer-unverified",
        ) from exc
    finally:
        client.close()
    return ring


def _dispatch(session: Session, node: Node, message: Mapping[str, Any]) -> dict[str, Any]:
    kind, sender, now = message["type"], message["from"], node.now()
    if kind == "peer.request":
        if message.get("invite") is not None:
            invites.redeem(session, message["invite"], sender, now)
            peer = peering.apply(
                session,
                sender,
                "invite_used",
                now,
                url=message["url"],
                name=message.get("name"),
                node=node,
            )
        else:
            peer = peering.apply(
                session,
                sender,
                "receive_request",
                now,
                url=message["url"],
                name=message.get("name"),
                node=node,
            )
        return {"state": _their_view(peer.state)}
    known = session.get(Peer, sender)
    if known is None:
        raise Forbidden("we are not peered with you", reason="not-a-peer")
    peer = known
    if kind == "peer.accept":
        peering.apply(session, sender, "receive_accept", now, node=node)
    elif kind == "peer.reject":
        peering.apply(session, sender, "receive_reject", now, node=node)
    elif kind == "heads.changed":
        if peer.state != "active":
            raise Forbidden("we are not peered with you", reason="not-a-peer")
        # Pull soon, but leave the failure count alone: a peer that can send us hints may
        # still fail to serve its feed (DESIGN §3.10).
        if peer.next_try is None or peer.failures == 0:
            peer.next_try = now
    return {"state": _their_view(peer.state)}


def _their_view(state: str) -> str:
    """Our state as the sender sees it: our ``pending`` is their ``requested``."""
    return {"pending": "requested", "requested": "pending"}.get(state, state)
