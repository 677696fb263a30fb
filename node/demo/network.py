"""A small federated network on loopback: several ``spazi run`` processes, peered and twinned.

:class:`DemoNetwork` creates one node per :class:`~node.demo.spaces.DemoSpace` in its own data
dir (SQLite), starts each as a real ``spazi run`` process on its own port, peers them with
invite codes as two admins would, waits until every node has learnt every space through sync
and gossip, and then plays the twinning scenario (:mod:`node.demo.scenario`). The set-up steps
run in this process against the nodes' data dirs while the servers run, through the same
services the CLI uses; everything between nodes goes over HTTP.

A second run on the same directory (``--keep``) reuses the nodes, their ports and the admin
passwords it wrote to ``demo.json`` (0600) on the first run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from node.demo.spaces import DemoSpace, demo_spaces, event_day
from node.runtime import Node, open_node

Progress = Callable[[str], None]
READY_TIMEOUT_S = 60.0
SYNC_TIMEOUT_S = 90.0


class DemoError(Exception):
    """The demo cannot start or went wrong; the message says what to do."""


@dataclass
class DemoNode:
    """One space of the demo, as written to ``demo.json``."""

    slug: str
    name: str
    data_dir: str
    port: int
    admin_email: str
    admin_password: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` (so ``spazi run`` can take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def peers_of(index: int) -> int | None:
    """Which earlier space the space at ``index`` peers with: New York with London, Prato with
    London, then a tree, so most spaces learn of each other through gossip, not directly."""
    if index == 0:
        return None
    return index - 1 if index <= 2 else (index - 1) // 2


class DemoNetwork:
    """The demo's nodes under ``base``: created, started, connected, stopped."""

    def __init__(self, base: Path, count: int, base_port: int, progress: Progress) -> None:
        self.base, self.count, self.base_port = base, count, base_port
        self.progress = progress
        self.spaces = demo_spaces(count)
        self.nodes: list[DemoNode] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    # -- creating ---------------------------------------------------------------------------

    @property
    def record_path(self) -> Path:
        return self.base / "demo.json"

    def prepare(self) -> None:
        """Load the nodes of an earlier run, or create them; check their ports are free."""
        if self.record_path.exists():
            recorded = json.loads(self.record_path.read_text(encoding="utf-8"))
            self.nodes = [DemoNode(**item) for item in recorded["nodes"]]
            if len(self.nodes) < self.count:
                self._check_ports(range(len(self.nodes), self.count))
                self._create(range(len(self.nodes), self.count))
            self.nodes = self.nodes[: max(self.count, 3)]
        else:
            self._check_ports(range(self.count))
            self.base.mkdir(parents=True, exist_ok=True)
            self._create(range(self.count))
        self._check_ports(range(len(self.nodes)), known=True)

    def _check_ports(self, indexes: range, known: bool = False) -> None:
        for index in indexes:
            port = self.nodes[index].port if known else self.base_port + index
            if not port_free(port):
                raise DemoError(
                    f"port {port} on 127.0.0.1 is in use: stop what uses it, or start the "
                    "demo at another base port with --port"
                    + ("" if not known else " and a new --keep directory")
                )

    def _create(self, indexes: range) -> None:
        from node.bootstrap import init_node

        for index in indexes:
            space = self.spaces[index]
            port = self.base_port + index
            data_dir = self.base / space.slug
            self.progress(f"creating {space.name} ({space.city}) on port {port}")
            init_node(
                data_dir,
                space.name,
                f"http://127.0.0.1:{port}",
                timezone=space.timezone,
                profile=space.profile(),
                # Loopback peers are refused by default (an SSRF guard); the demo lives there.
                settings={"port": port, "allow_private_peers": True},
            )
            demo_node = DemoNode(
                slug=space.slug,
                name=space.name,
                data_dir=str(data_dir),
                port=port,
                admin_email=f"admin@{space.slug}.example",
                admin_password=_password(),
            )
            with opened(data_dir) as node:
                _fill(node, space, demo_node)
            self.nodes.append(demo_node)
            self._write_record()

    def _write_record(self) -> None:
        text = json.dumps({"nodes": [asdict(n) for n in self.nodes]}, indent=2)
        fd = os.open(self.record_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start every node as a ``spazi run`` process and wait until each answers."""
        self.progress(f"starting {len(self.nodes)} nodes")
        for demo_node in self.nodes:
            log = open(Path(demo_node.data_dir) / "process.log", "ab")  # noqa: SIM115
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "node.cli",
                        "--data-dir",
                        demo_node.data_dir,
                        "run",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(demo_node.port),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
            log.close()  # the child holds its own copy
        deadline = time.monotonic() + READY_TIMEOUT_S
        for demo_node, process in zip(self.nodes, self.processes, strict=True):
            while not _answers(demo_node.url):
                if process.poll() is not None:
                    raise DemoError(
                        f"{demo_node.name} stopped at start; its log is "
                        f"{Path(demo_node.data_dir) / 'process.log'}"
                    )
                if time.monotonic() > deadline:
                    raise DemoError(f"{demo_node.name} did not answer at {demo_node.url}")
                time.sleep(0.1)

    def connect(self) -> None:
        """Peer each space with the one :func:`peers_of` names, with an invite code (skipped
        when the two already peer, as on a second run)."""
        from node.network.joining import create_invite, join
        from node.network.peering import get_peer

        for index, demo_node in enumerate(self.nodes):
            other = peers_of(index)
            if other is None:
                continue
            inviter = self.nodes[other]
            with (
                opened(Path(inviter.data_dir)) as inviting,
                opened(Path(demo_node.data_dir)) as joining,
            ):
                with joining.db.read() as session:
                    try:
                        if get_peer(session, inviting.node_id).state == "active":
                            continue
                    except Exception:  # noqa: S110 - not peered yet: peer below
                        pass
                self.progress(f"peering {demo_node.name} with {inviter.name}")
                join(joining, create_invite(inviting, timedelta(hours=1)))

    def wait_converged(self) -> None:
        """Wait until every node holds every space's profile (sync and gossip at work)."""
        from node import published

        self.progress("waiting until every node has learnt the whole network")
        deadline = time.monotonic() + SYNC_TIMEOUT_S
        pending = list(self.nodes)
        while pending:
            still = []
            for demo_node in pending:
                with opened(Path(demo_node.data_dir)) as node, node.db.read() as session:
                    if len(published.visible_spaces(session)) < len(self.nodes):
                        still.append(demo_node)
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    names = ", ".join(n.name for n in pending)
                    raise DemoError(f"{names} did not learn the whole network in time")
                time.sleep(0.5)

    def alive(self) -> DemoNode | None:
        """The first node whose process has stopped, or None while all run."""
        for demo_node, process in zip(self.nodes, self.processes, strict=True):
            if process.poll() is not None:
                return demo_node
        return None

    def stop(self) -> None:
        """Stop every process this network started (politely, then for good)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []


def _password() -> str:
    import secrets

    return secrets.token_urlsafe(12)


@contextmanager
def opened(data_dir: Path) -> Iterator[Node]:
    """The demo space in ``data_dir`` opened beside its running process (as ``spazi`` does)."""
    node = open_node(str(data_dir))
    try:
        yield node
    finally:
        node.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _fill(node: Node, space: DemoSpace, demo_node: DemoNode) -> None:
    """The listing, events, members and admin user of a new demo space, as the CLI makes them."""
    from node.services.admin_auth import create_user
    from node.services.events import add_event
    from node.services.members import add_member
    from node.services.resources import add_resource

    today = date.today()
    with node.db.write() as session:
        for resource in space.resources():
            add_resource(session, node, resource)
        for event in space.events:
            day = event_day(space, event, today)
            body: dict[str, Any] = {
                "title": event.title,
                "start": f"{day}T{event.starts}",
                "end": f"{day}T{event.ends}",
                "tags": list(event.tags),
            }
            if event.price_minor is not None:
                body.update(price_minor=event.price_minor, currency=space.currency)
            add_event(session, node, body)
        for number, name in enumerate(space.members, start=1):
            add_member(session, node_member(name, f"member{number}@{space.slug}.example"))
        create_user(session, demo_node.admin_email, demo_node.admin_password)


def node_member(name: str, email: str) -> dict[str, Any]:
    """The member record a demo space keeps (private: never in a feed)."""
    return {"name": name, "email": email}
