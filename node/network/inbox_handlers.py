"""The node's handlers for the peering and push-hint messages of protocol.md §Inbox.

Each runs after the inbox's checks (shape, block, signature, sender binding, replay, and the
peering its type needs, see :attr:`federation.messages.MessageType.needs_peer`), inside the
inbox's write transaction. :func:`register_core_handlers` registers them; the twinning
feature registers the agreement messages (node/twinning/handlers.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from federation.descriptor import verify_descriptor
from federation.errors import ProtocolError
from federation.keyring import Keyring
from node.errors import Conflict
from node.models import Peer
from node.network import floods, invites, peering
from node.network.handlers import Handle, InboxHandlers, Message, Prepare
from node.network.transport import peer_client
from node.runtime import Node

INBOX_FETCH_TIMEOUT = 3.0  # seconds: the sender is waiting for our answer, keep it short


def confirm_descriptor(node: Node, url: str, expected_id: str) -> Keyring:
    """The keys of the node at ``url``, after checking its descriptor proves ``expected_id``."""
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


def their_view(state: str) -> str:
    """Our state as the sender sees it: our ``pending`` is their ``requested``."""
    return {"pending": "requested", "requested": "pending"}.get(state, state)


def confirm_request_url(node: Node, message: Message) -> None:
    """Before the write: the invite code, then the URL the sender gives (fetched last)."""
    if message.get("invite") is not None:
        # A wrong code is refused before anything is fetched (node.network.floods counts it).
        with node.db.read() as session:
            invites.check(session, message["invite"], node.now())
    # Authenticated by now; make sure the URL the sender gives really serves the sender's id
    # before we ever sync from it (otherwise anyone could point us at someone else's node).
    confirm_descriptor(node, message["url"], message["from"])


def peer_request(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """Asks to peer: active at once with a valid invite, else pending our admin's answer."""
    sender, now = message["from"], node.now()
    event = "receive_request"
    if message.get("invite") is not None:
        invites.redeem(session, message["invite"], sender, now)
        event = "invite_used"
    else:
        floods.check_pending_room(session, node, sender)  # again, now under the write lock
    peer = peering.apply(
        session, sender, event, now, url=message["url"], name=message.get("name"), node=node
    )
    return {"state": their_view(peer.state)}


def peer_accept(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """Their admin approved our request (the state machine refuses it otherwise)."""
    peer = peering.apply(session, message["from"], "receive_accept", node.now(), node=node)
    return {"state": their_view(peer.state)}


def peer_reject(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """Their admin turned our request down."""
    peer = peering.apply(session, message["from"], "receive_reject", node.now(), node=node)
    return {"state": their_view(peer.state)}


def heads_changed(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """Push hint: pull from the sender soon. Its heads are never trusted as data (§Sync)."""
    peer = session.get(Peer, message["from"])
    assert peer is not None  # the inbox checked the active peering (needs_peer)
    # Pull soon, but leave the failure count alone: a peer that can send us hints may still
    # fail to serve its feed (protocol.md §Security considerations 10).
    if peer.next_try is None or peer.failures == 0:
        peer.next_try = node.now()
    return {"state": their_view(peer.state)}


HANDLERS: tuple[tuple[str, Handle, Prepare | None], ...] = (
    ("peer.request", peer_request, confirm_request_url),
    ("peer.accept", peer_accept, None),
    ("peer.reject", peer_reject, None),
    ("heads.changed", heads_changed, None),
)
"""(type, handle, prepare) for each message type this module handles."""


def register_core_handlers(registry: InboxHandlers) -> None:
    """Register the peering and push-hint handlers (the twinning feature registers its own)."""
    for kind, handle, prepare in HANDLERS:
        registry.register(kind, handle, prepare=prepare)
