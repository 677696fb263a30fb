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
from federation.descriptor import rebuild_keyring, verify_descriptor
from federation.errors import HttpSignatureError, ProtocolError
from federation.httpsig import check_sender, verify_request_details
from federation.keyring import KeyPeriod, Keyring
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


class MessageTooLarge(NodeError):
    status = 413
    reason = "body-too-large"
    title = "Message too large"


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
    allowed = {"type", "from", "to", "url", "name", "invite", "heads", "keys"}
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
    keys = message.get("keys")
    if keys is not None and not (
        kind == "peer.request" and isinstance(keys, list) and len(keys) <= 256
    ):
        raise InvalidInput("keys: a list of key.rotate entries, in peer.request", "bad-message")
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
    keep: list[int] = []
    with node.db.read() as session:

        def seen(signature_id: str, keep_until: int) -> bool:
            # Recorded for real in the write transaction below; kept until the end of the
            # window the verifier accepts the signature in (its expiry plus clock skew).
            keep.append(keep_until)
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
    return verified.node_id, verified.signature_id, keep[-1] if keep else verified.expires


def receive(node: Node, delivery: Delivery) -> dict[str, Any]:
    """Verify and act on one inbox message; return the JSON answer for the sender."""
    if len(delivery.body) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"an inbox message is at most {MAX_MESSAGE_BYTES} bytes")
    try:
        message = _check_shape(parse_strict(delivery.body))
    except ProtocolError as exc:
        raise InvalidInput(f"malformed message: {exc.detail}", reason="malformed-json") from exc
    sender = message["from"]
    with node.db.read() as session:
        if session.get(Block, sender) is not None:
            raise Forbidden("this node does not accept messages from you", reason="blocked")
        ring = stored_keyring(session)
    try:
        signed_by, signature_id, keep_until = _verify(node, delivery, ring)
    except SignatureRefused as exc:
        if exc.reason != "unknown-key":
            raise
        # Signed with a key we have not seen. Learn the sender's keys only from sources bound to
        # its id, never from a URL the unauthenticated request names (protocol.md §Inbox): a peer's
        # descriptor at the URL we stored when peering (it rotated moments ago and its hint
        # arrived before we synced the rotation), or the key.rotate entries a first request
        # carries. Either must extend what we already know of its keys.
        learned = _learn_keys(node, sender, message)
        if learned is None:
            raise
        signed_by, signature_id, keep_until = _verify(node, delivery, learned)
    try:
        check_sender(message, signed_by, node.node_id)
    except HttpSignatureError as exc:
        raise Forbidden(exc.detail, reason=exc.reason) from exc
    if message["type"] == "peer.request":
        # Authenticated now; make sure the URL the sender gives really serves the sender's id
        # before we ever sync from it (otherwise anyone could point us at someone else's node).
        _descriptor_keyring(node, message["url"], sender)
    with node.db.write() as session:
        if session.get(SeenSignature, signature_id) is not None:
            raise SignatureRefused("this request was already received", reason="replayed")
        session.add(SeenSignature(id=signature_id, expires=keep_until))
        return _dispatch(session, node, message)


def _learn_keys(node: Node, sender: str, message: Mapping[str, Any]) -> Keyring | None:
    """The sender's keys from a source bound to its id, if they extend what we know; else None."""
    url = _known_url(node, sender)
    if url is not None:
        learned = _descriptor_keyring(node, url, sender)
    elif message["type"] == "peer.request" and message.get("keys"):
        try:
            learned, _ = rebuild_keyring(sender, message["keys"], node.now_ms())
        except ProtocolError as exc:
            raise SignatureRefused(f"keys: {exc.detail}", reason="bad-key-entry") from exc
    else:
        return None
    with node.db.read() as session:
        known = stored_keyring(session).periods(sender)
    if not _extends(known, learned.periods(sender)):
        # A chain that forgets a rotation we followed (for instance one marking the old key
        # compromised) is a downgrade attempt, not news.
        raise SignatureRefused("those keys contradict the rotations we know", "unknown-key")
    return learned


def _extends(known: list[KeyPeriod], learned: list[KeyPeriod]) -> bool:
    """True when ``learned`` is ``known`` plus later rotations (same keys, same spans)."""
    if len(learned) < len(known):
        return False
    for index, old in enumerate(known):
        new = learned[index]
        if (old.kid, old.from_seq) != (new.kid, new.from_seq):
            return False
        if old.until_seq is not None and (old.until_seq, old.until_ts) != (
            new.until_seq,
            new.until_ts,
        ):
            return False
    return True


def _known_url(node: Node, node_id: str) -> str | None:
    with node.db.read() as session:
        peer = session.get(Peer, node_id)
        return peer.url if peer is not None and peer.state != "blocked" else None


INBOX_FETCH_TIMEOUT = 3.0  # seconds: the sender is waiting for our answer, keep it short


def _descriptor_keyring(node: Node, url: str, expected_id: str) -> Keyring:
    client = peer_client(node, timeout=min(INBOX_FETCH_TIMEOUT, node.settings["outbound_timeout"]))
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
        # still fail to serve its feed (protocol.md §Sync).
        if peer.next_try is None or peer.failures == 0:
            peer.next_try = now
    return {"state": _their_view(peer.state)}


def _their_view(state: str) -> str:
    """Our state as the sender sees it: our ``pending`` is their ``requested``."""
    return {"pending": "requested", "requested": "pending"}.get(state, state)
