"""Three real ``spazi run`` processes on loopback, peered with invite codes through the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from federation.canonical import parse_strict
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from tests.e2e.processes import NodeProcess, free_port, spazi

pytestmark = pytest.mark.e2e

ENV = {"SPAZI_ALLOW_PRIVATE_PEERS": "true", "SPAZI_SYNC_INTERVAL": "1"}


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll real processes until ``check`` holds (they sync on their own schedule)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def make_space(tmp_path: Path, name: str) -> tuple[Path, int, str]:
    data, port = tmp_path / name, free_port()
    out = spazi(
        "init",
        str(data),
        "--name",
        name,
        "--url",
        f"http://127.0.0.1:{port}",
        "--timezone",
        "Europe/Rome",
    ).stdout
    node_id = next(w for w in out.split() if w.startswith("did:key:"))
    return data, port, node_id


def heads(process: NodeProcess) -> dict:
    return parse_strict(requests.get(process.url + "/federation/v1/heads", timeout=5).content)[
        "heads"
    ]


def full_feed(process: NodeProcess, origin: str) -> list:
    """Every entry ``process`` holds of ``origin``, verified from seq 1 against origin keys."""
    entries, head, ring = [], Head(), Keyring()
    while True:
        page = parse_strict(
            requests.get(
                f"{process.url}/federation/v1/feeds/{origin}?after={head.seq}",
                timeout=10,
            ).content
        )
        if not page["entries"]:
            return entries
        verified = verify_page(
            origin, head, page["entries"], ring, int(time.time() * 1000) + 1, checked=True
        )
        entries.extend(verified)
        head = Head(verified[-1].seq, verified[-1].hash)


def event_titles(process: NodeProcess, origin: str) -> set[str]:
    return {e.body["title"] for e in full_feed(process, origin) if e.type == "event.put"}


def test_three_spaces_peer_sync_and_survive_a_crash(tmp_path: Path) -> None:
    spaces = {name: make_space(tmp_path, name) for name in ("alpha", "beta", "gamma")}
    (a_dir, a_port, a_id), (b_dir, b_port, b_id), (c_dir, c_port, c_id) = spaces.values()
    token = spazi("admin", "token", "create", data_dir=a_dir).stdout.strip()
    processes = {
        "alpha": NodeProcess(a_dir, a_port, ENV),
        "beta": NodeProcess(b_dir, b_port, ENV),
    }
    try:
        # alpha invites beta; the code travels by hand between admins
        code = spazi("peer", "invite", "--expires", "1h", data_dir=a_dir, env=ENV).stdout.strip()
        joined = spazi("peer", "join", code, data_dir=b_dir, env=ENV)
        assert "peered with alpha" in joined.stdout
        reused = spazi("peer", "join", code, data_dir=b_dir, env=ENV, check=False)
        assert reused.returncode == 1 and "already used" in reused.stderr

        # an event on alpha reaches beta through sync (push hint + pull)
        created = requests.post(
            processes["alpha"].url + "/api/v1/events",
            json={"title": "Opening night", "start": "2026-12-12T19:00", "end": "2026-12-12T23:00"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert created.status_code == 201
        wait_for(lambda: "Opening night" in event_titles(processes["beta"], a_id), "beta to sync")

        # many more entries, then gamma joins beta with a tiny page size and is killed mid-sync
        session = requests.Session()
        for number in range(150):
            response = session.post(
                processes["alpha"].url + "/api/v1/events",
                json={
                    "title": f"Session {number}",
                    "start": "2026-12-13T09:00",
                    "end": "2026-12-13T10:00",
                },
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 201
        total = heads(processes["alpha"])[a_id]["seq"]
        wait_for(lambda: heads(processes["beta"]).get(a_id, {}).get("seq") == total, "beta")

        gamma_env = {**ENV, "SPAZI_FEED_PAGE_MAX": "2"}
        processes["gamma"] = NodeProcess(c_dir, c_port, gamma_env)
        code = spazi("peer", "invite", data_dir=b_dir, env=ENV).stdout.strip()
        spazi("peer", "join", code, data_dir=c_dir, env=gamma_env)
        wait_for(
            lambda: heads(processes["gamma"]).get(a_id, {}).get("seq", 0) > 20,
            "gamma to start syncing",
        )
        processes["gamma"].stop(kill=True)
        mirrored = len(full_feed_offline(c_dir, a_id))
        assert mirrored > 0, "gamma stored nothing before the crash"

        processes["gamma"] = NodeProcess(c_dir, c_port, gamma_env)
        wait_for(
            lambda: heads(processes["gamma"]).get(a_id, {}).get("seq") == total,
            "gamma to converge after the restart",
            timeout=120,
        )
        for name in ("beta", "gamma"):
            feed = full_feed(processes[name], a_id)
            assert [e.seq for e in feed] == list(range(1, total + 1))
        # beta backed off while gamma was down; it pulls gamma's own feed once it is due again
        wait_for(lambda: c_id in heads(processes["beta"]), "beta to mirror gamma", timeout=90)
        assert b_id in heads(processes["gamma"])
        # the network as people see it, on gamma, lists all three spaces
        listed = spazi("network", "spaces", "--json", data_dir=c_dir, env=ENV).stdout
        assert {"alpha", "beta", "gamma"} <= {s["name"] for s in parse_strict(listed)}
    finally:
        for process in processes.values():
            process.stop()


def full_feed_offline(data_dir: Path, origin: str) -> list[str]:
    """What a stopped node holds of ``origin`` (read through the CLI-free node API)."""
    from sqlalchemy import select

    from node.models import FeedEntry
    from node.runtime import open_node

    node = open_node(str(data_dir), environ={})
    try:
        with node.db.read() as session:
            return list(session.scalars(select(FeedEntry.hash).where(FeedEntry.origin == origin)))
    finally:
        node.close()
