"""Outbound calls of this node: the safe peer client and the RFC 9421 request signer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from federation.transport.client import PeerClient
from node.keystore import current_key
from node.runtime import Node

if TYPE_CHECKING:
    import requests


def peer_client(node: Node, timeout: float | None = None) -> PeerClient:
    """A :class:`PeerClient` with the node's safety settings (and test routes, if any).

    ``timeout`` shortens the node's ``outbound_timeout`` for calls made while someone waits,
    such as checking a sender's descriptor inside an inbox request.
    """
    timeout = float(node.settings["outbound_timeout"] if timeout is None else timeout)
    client = PeerClient(
        allow_private=bool(node.settings["allow_private_peers"]),
        connect_timeout=min(timeout, 5.0),
        read_timeout=timeout,
        total_timeout=timeout * 3,
        max_response_bytes=int(node.settings["max_response_bytes"]),
    )
    for prefix, adapter in node.local_routes.items():
        client.mount_local(prefix, adapter)
    return client


def signer(node: Node) -> Callable[[requests.PreparedRequest], None]:
    """Signs each outgoing inbox request as this node, with the current key, at send time."""

    # Imported here: a sync (`spazi sync` among them) only reads peers and signs nothing.
    from federation.httpsig import sign_request

    def sign(request: requests.PreparedRequest) -> None:
        # The key may have been rotated by another process since this one started.
        with node.db.read() as session:
            key = current_key(session, node)
        sign_request(request, key, node.node_id, int(node.clock()))

    return sign
