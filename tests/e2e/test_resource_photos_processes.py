"""A desk's photo crosses between real ``spazi run`` processes, and leaves with the desk.

A peers with B. A's admin adds a meeting room and a photo of it from the command line; B mirrors
A's feed, then fetches and checks the files and serves them. A removes the room: B, syncing the
``resource.remove``, keeps no record naming those files (they become evictable from its cache).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.processes import NodeProcess, NotYet, make_space, spazi, wait_for
from tests.e2e.test_network_processes import full_feed
from tests.e2e.test_photos_processes import ENV, holds, picture

pytestmark = pytest.mark.e2e


def refs_of(data_dir: Path, origin: str, item: str) -> int:
    """How many rows of B's ``photo_refs`` name files of ``origin``'s record ``item``."""
    try:
        with sqlite3.connect(data_dir / "spazi.db", timeout=5) as db:
            row = db.execute(
                "SELECT COUNT(*) FROM photo_refs WHERE origin = ? AND item = ?", (origin, item)
            ).fetchone()
    except sqlite3.OperationalError as exc:  # B is writing: ask again
        raise NotYet(f"B's database: {exc}") from exc
    return int(row[0])


def test_a_room_photo_is_fetched_by_a_peer_and_dropped_with_the_room(tmp_path: Path) -> None:
    (a_dir, a_port, a_id), (b_dir, b_port, _) = (
        make_space(tmp_path, name) for name in ("alpha", "beta")
    )
    a = NodeProcess(a_dir, a_port, ENV)
    b = NodeProcess(b_dir, b_port, ENV)
    try:
        code = spazi("peer", "invite", "--expires", "1h", data_dir=a_dir, env=ENV).stdout.strip()
        spazi("peer", "join", code, data_dir=b_dir, env=ENV)
        spazi(
            "resource", "add", "--id", "sala", "--kind", "meeting_room", "--name", "Sala",
            "--capacity", "8", data_dir=a_dir, env=ENV,
        )  # fmt: skip
        table = picture(tmp_path / "table.jpg", "teal", (900, 600))
        added = spazi(
            "resource", "photo", "add", "sala", str(table), "--alt", "The table",
            data_dir=a_dir, env=ENV,
        )  # fmt: skip
        assert "added photo 1" in added.stdout
        (put,) = [e for e in full_feed(a, a_id) if e.type == "resource.put" and "photos" in e.body]
        files = put.body["photos"][0]["files"]
        assert [f["width"] for f in files] == [480, 900]

        wait_for(lambda: holds(b, files), "B to hold the room's photo files")
        count = wait_for(lambda: refs_of(b_dir, a_id, "resource:sala"), "B's refs of the room")
        assert count == len(files)

        spazi("resource", "remove", "sala", data_dir=a_dir, env=ENV)
        wait_for(
            lambda: refs_of(b_dir, a_id, "resource:sala"),
            "B to drop the removed room's refs",
            until=lambda count: count == 0,
        )
    finally:
        for process in (a, b):
            process.stop()
