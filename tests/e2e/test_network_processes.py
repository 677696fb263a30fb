"""Three real ``spazi run`` processes on loopback, peered with invite codes through the CLI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from federation.canonical import parse_strict
from federation.entries import Entry
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from tests.e2e.processes import (
    NodeProcess,
    NotYet,
    get_document,
    make_space,
    spazi,
    wait_for,
)

pytestmark = pytest.mark.e2e

ENV = {"SPAZI_ALLOW_PRIVATE_PEERS": "true", "SPAZI_SYNC_INTERVAL": "1"}


def heads(process: NodeProcess) -> dict:
    """The heads ``process`` serves; :class:`NotYet` while it does not answer with them."""
    return get_document(process.url + "/federation/v1/heads", timeout=5)["heads"]


def seq(process: NodeProcess, origin: str) -> int:
    """How far ``process`` holds the feed of ``origin`` (0 for nothing yet)."""
    return int(heads(process).get(origin, {}).get("seq", 0))


def full_feed(process: NodeProcess, origin: str) -> list[Entry]:
    """Every entry ``process`` holds of ``origin``, verified from seq 1 against origin keys.

    :class:`NotYet` while the node does not answer or holds no feed of ``origin`` (a 404
    problem document); an entry that fails verification is a real failure and is not retried.
    """
    entries: list[Entry] = []
    head, ring = Head(), Keyring()
    while True:
        page = get_document(f"{process.url}/federation/v1/feeds/{origin}?after={head.seq}")
        if "entries" not in page:
            raise NotYet(f"a feed page of {origin} without entries: {page!r}"[:500])
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
    (a_dir, a_port, a_id), (b_dir, b_port, b_id) = (
        make_space(tmp_path, name) for name in ("alpha", "beta")
    )
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
        wait_for(
            lambda: event_titles(processes["beta"], a_id),
            "beta to sync alpha's event",
            until=lambda titles: "Opening night" in titles,
        )

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
        total = seq(processes["alpha"], a_id)
        wait_for(
            lambda: seq(processes["beta"], a_id),
            f"beta to hold alpha's {total} entries",
            until=lambda held: held == total,
        )

        # gamma's port is picked only now: a free port picked at the start could meanwhile
        # have become the source port of one of the connections above.
        c_dir, c_port, c_id = make_space(tmp_path, "gamma")
        gamma_env = {**ENV, "SPAZI_FEED_PAGE_MAX": "2"}
        processes["gamma"] = NodeProcess(c_dir, c_port, gamma_env)
        code = spazi("peer", "invite", data_dir=b_dir, env=ENV).stdout.strip()
        spazi("peer", "join", code, data_dir=c_dir, env=gamma_env)
        wait_for(
            lambda: seq(processes["gamma"], a_id),
            "gamma to start syncing alpha's feed",
            until=lambda held: held > 20,
        )
        processes["gamma"].stop(kill=True)
        mirrored = len(full_feed_offline(c_dir, a_id))
        assert mirrored > 0, "gamma stored nothing before the crash"

        processes["gamma"] = NodeProcess(c_dir, c_port, gamma_env)
        wait_for(
            lambda: seq(processes["gamma"], a_id),
            f"gamma to hold alpha's {total} entries after the restart",
            until=lambda held: held == total,
            timeout=120,
        )
        for name in ("beta", "gamma"):
            seqs = [e.seq for e in full_feed(processes[name], a_id)]
            assert seqs == list(range(1, total + 1)), f"{name} serves alpha's feed with gaps"
        # beta backed off while gamma was down; it pulls gamma's own feed once it is due again
        wait_for(lambda: seq(processes["beta"], c_id), "beta to mirror gamma", timeout=90)
        # gamma reached alpha's head through beta; beta's own feed may come a round later
        wait_for(lambda: seq(processes["gamma"], b_id), "gamma to mirror beta", timeout=90)
        # the network as people see it, on gamma, lists all three spaces
        wait_for(
            lambda: listed_spaces(c_dir),
            "gamma to list all three spaces",
            until=lambda names: {"alpha", "beta", "gamma"} <= names,
        )
    finally:
        for process in processes.values():
            process.stop()


def listed_spaces(data_dir: Path) -> set[str]:
    """Names ``spazi network spaces`` lists on a running node; :class:`NotYet` if it fails."""
    done = spazi("network", "spaces", "--json", data_dir=data_dir, env=ENV, check=False)
    if done.returncode != 0:
        raise NotYet(f"spazi network spaces exited {done.returncode}: {done.stderr[-500:]}")
    return {space["name"] for space in parse_strict(done.stdout)}


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
