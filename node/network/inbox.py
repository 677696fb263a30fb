"""Handling signed inbox messages from other nodes (protocol.md §Inbox).

Order of checks, cheapest and safest first: size (before parsing, by the HTTP layer), strict JSON,
message envelope and type (the types are data in :mod:`federation.messages`; a type this node has
no handler for is refused here), the type's members, the flood bounds of a ``peer.request``
(:mod:`node.network.floods`), sender not blocked, RFC 9421 signature with a
key bound to the sender's id and a replay check, ``from``/``to`` matching the signature, the
peering the type needs, then the type's handler (:mod:`node.network.handlers`). Outbound work
(fetching a sender's descriptor, a handler's ``prepare``) happens before the write transaction so
no lock is held across the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from federation.canonical import parse_strict
from federation.descriptor import rebuild_keyring
from federation.errors import HttpSignatureError, MessageError, ProtocolError
from federation.httpsig import check_sender, verify_request_details
from federation.keyring import KeyPeriod, Keyring
from federation.messages import MAX_MESSAGE_BYTES, MessageType
from node.errors import Forbidden, InvalidInput, NodeError
from node.features import inbox_registrations
from node.feedstore import keyring as stored_keyring
from node.models import Block, Peer, SeenSignature
from node.network import floods
from node.network.handlers import Handler, InboxHandlers, check_handlers
from node.network.inbox_handlers import confirm_descriptor
from node.runtime import Node


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
    remote: str | None = None  # the address the request came from, for rate limits


@cache
def default_handlers() -> InboxHandlers:
    """Every feature's handlers (``node.features``), checked to cover every message type and
    frozen (built once)."""
    registry = InboxHandlers()
    for register in inbox_registrations():
        register(registry)
    check_handlers(registry)
    registry.freeze()
    return registry


def _parse(body: bytes, handlers: InboxHandlers) -> tuple[dict[str, Any], MessageType, Handler]:
    """The message, its type and its handler, or a refusal; nothing is verified or stored yet."""
    try:
        message = parse_strict(body)
    except ProtocolError as exc:
        raise InvalidInput(f"malformed message: {exc.detail}", reason="malformed-json") from exc
    try:
        message_type = handlers.types.message_type(message)
        handler = handlers.handler_for(message_type.name)
        if handler is None:
            # Specified but not handled here (protocol.md §Inbox): refused like an unknown
            # type, before its members or its signature are looked at.
            raise MessageError(
                "unknown-message-type", f"this node does not handle {message_type.name}"
            )
        message_type.check(message)
    except MessageError as exc:
        raise InvalidInput(exc.detail, reason=exc.reason) from exc
    return message, message_type, handler


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


def receive(
    node: Node, delivery: Delivery, handlers: InboxHandlers | None = None
) -> dict[str, Any]:
    """Verify and act on one inbox message; return the JSON answer for the sender.

    ``handlers`` defaults to :func:`default_handlers` (the core handlers).
    """
    if len(delivery.body) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"an inbox message is at most {MAX_MESSAGE_BYTES} bytes")
    registry = handlers if handlers is not None else default_handlers()
    message, message_type, handler = _parse(delivery.body, registry)
    sender = message["from"]
    peer_request = message_type.name == "peer.request"
    if peer_request:
        # Floods of unsolicited requests are refused before any signature check or fetch.
        floods.admit_peer_request(node, message, delivery.remote)
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
        # its id and never from a URL the unauthenticated request names (protocol.md §Inbox,
        # Unknown keys; §Security considerations 2): a peer's descriptor at the URL we stored
        # when peering (it rotated moments ago and its hint arrived before we synced the
        # rotation), or the key.rotate entries a first request carries. Either must extend what
        # we already know of its keys.
        learned = _learn_keys(node, sender, message)
        if learned is None:
            raise
        signed_by, signature_id, keep_until = _verify(node, delivery, learned)
    try:
        check_sender(message, signed_by, node.node_id)
    except HttpSignatureError as exc:
        raise Forbidden(exc.detail, reason=exc.reason) from exc
    try:
        if handler.prepare is not None:
            handler.prepare(node, message)
        with node.db.write() as session:
            if session.get(SeenSignature, signature_id) is not None:
                raise SignatureRefused("this request was already received", reason="replayed")
            session.add(SeenSignature(id=signature_id, expires=keep_until))
            _check_peering(session, message_type, sender)
            return handler.handle(session, node, message)
    except Forbidden as exc:
        if peer_request and exc.reason == "invite-unknown":
            floods.invite_failed(node, message, delivery.remote)
        raise


def _check_peering(session: Session, message_type: MessageType, sender: str) -> None:
    """Refuse (``not-a-peer``) a message whose type needs a peering the sender does not have."""
    if message_type.needs_peer == "none":
        return
    peer = session.get(Peer, sender)
    if peer is None or (message_type.needs_peer == "active" and peer.state != "active"):
        raise Forbidden("we are not peered with you", reason="not-a-peer")


def _learn_keys(node: Node, sender: str, message: Mapping[str, Any]) -> Keyring | None:
    """The sender's keys from a source bound to its id, if they extend what we know; else None."""
    url = _known_url(node, sender)
    if url is not None:
        learned = confirm_descriptor(node, url, sender)
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
