"""In-process networks: several nodes whose peer URLs are routed to their Flask apps.

``FlaskAdapter`` is a ``requests`` transport adapter that answers requests for ``http://b.test``
by calling node B's WSGI app directly: real requests, real signatures, real storage, no sockets.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from node.network.outbox import drain
from node.network.syncing import sync_due
from tests.support import FakeClock, SpaceNode, make_node


class FlaskAdapter(BaseAdapter):
    """Send ``requests`` to a Flask app in process (one adapter per node)."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app
        self.down = False  # a test can take the node "offline"
        self.calls = 0

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        if self.down:
            raise requests.ConnectionError(f"{request.url}: node is down")
        self.calls += 1
        parts = urlsplit(request.url or "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        with self.app.test_client() as client:
            answer = client.open(
                path=parts.path,
                query_string=parts.query,
                method=request.method,
                headers=dict(request.headers),
                data=body or b"",
                base_url=f"{parts.scheme}://{parts.netloc}",
            )
            data = answer.get_data()
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.status
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.raw = io.BytesIO(data)
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""


class Network:
    """Nodes named ``a``, ``b``… at ``http://a.test``…, all routed to each other."""

    def __init__(self, base: Path, clock: FakeClock, settings: dict[str, Any] | None = None):
        self.base, self.clock = base, clock
        self.settings = {"allow_private_peers": False, **(settings or {})}
        self.nodes: dict[str, SpaceNode] = {}
        self.adapters: dict[str, FlaskAdapter] = {}

    def add(
        self,
        name: str,
        *,
        database_url: str | None = None,
        template_db: Path | None = None,
        **profile: Any,
    ) -> SpaceNode:
        """A node at ``http://<name>.test``, on SQLite unless ``database_url`` names another
        (``template_db``: see ``tests.support.make_node``)."""
        url = f"http://{name}.test"
        node = make_node(
            self.base,
            name=profile.pop("title", name.upper()),
            url=url,
            database_url=database_url,
            clock=self.clock,
            settings=self.settings,
            profile=profile or None,
            template_db=template_db,
        )
        self.nodes[name] = node
        self.adapters[url] = FlaskAdapter(node.app)
        node.node.local_routes = self.adapters  # one dict shared by all: everyone reaches everyone
        return node

    def __getitem__(self, name: str) -> SpaceNode:
        return self.nodes[name]

    def peer(self, a: str, b: str) -> None:
        """Peer ``a`` and ``b`` with an invite code, as two admins would."""
        from node.network.joining import create_invite, join

        code = create_invite(self[a].node, __import__("datetime").timedelta(days=1))
        join(self[b].node, code)

    def chain(self, names: str, settle: bool = True) -> None:
        """Add nodes ``names`` ("abc" → a, b, c), peer each with the next, and settle."""
        for name in names:
            self.add(name)
        for left, right in itertools.pairwise(names):
            self.peer(left, right)
        if settle:
            self.settle()

    def deliver(self) -> int:
        """Drain every outbox once (push hints, accepts); returns messages sent."""
        return sum(drain(n.node).sent for n in self.nodes.values())

    def sync_round(self, force: bool = False) -> int:
        """Every node syncs with its due peers once; returns entries stored network-wide."""
        return sum(sync_due(n.node, force=force).stored for n in self.nodes.values())

    def settle(self, max_rounds: int = 20) -> int:
        """Deliver hints and sync until nothing moves; returns the rounds it took."""
        for round_number in range(1, max_rounds + 1):
            moved = self.deliver() + self.sync_round(force=True)
            if moved == 0:
                return round_number
        raise AssertionError(f"network did not settle in {max_rounds} rounds")

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()


@contextmanager
def network(base: Path, clock: FakeClock, **settings: Any) -> Iterator[Network]:
    net = Network(base, clock, settings)
    try:
        yield net
    finally:
        net.close()


def signed_inbox_post(
    net: Network,
    sender: str,
    recipient: str,
    message: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Any:
    """``message`` signed with ``sender``'s key (RFC 9421, as its outbox signs) and posted to
    ``recipient``'s inbox, with ``headers`` added (unsigned); the test client's response."""
    from federation.canonical import canonicalize
    from node.network.transport import signer

    request = requests.Request(
        "POST",
        f"http://{recipient}.test/federation/v1/inbox",
        data=canonicalize(message),
        headers={"Content-Type": "application/json"},
    ).prepare()
    signer(net[sender].node)(request)
    return net[recipient].client.post(
        "/federation/v1/inbox", data=request.body, headers={**request.headers, **(headers or {})}
    )
