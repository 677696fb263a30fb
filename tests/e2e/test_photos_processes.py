"""A photo crosses two hops between real ``spazi run`` processes, and a tampered one does not.

A peers with B, B with C. A's admin adds a photo of the space and one of an event from the
command line; B fetches and checks both. Then A stops for good, so C never reaches it: C learns
of A's photos from A's feed relayed by B, and can only get the bytes from B. One of B's cached
files is altered on disk, so B now serves bytes that do not match A's signed hash: C shows the
space's photo, whose bytes match, and refuses the event's, which it neither stores nor serves.
"""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from tests.e2e.processes import NodeProcess, NotYet, make_space, spazi, wait_for
from tests.e2e.test_network_processes import full_feed

pytestmark = pytest.mark.e2e

ENV = {"SPAZI_ALLOW_PRIVATE_PEERS": "true", "SPAZI_SYNC_INTERVAL": "1"}


def picture(path: Path, color: str, size: tuple[int, int]) -> Path:
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 28.0, 0.0)}  # a GPS position that must not travel
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def latest_photos(process: NodeProcess, origin: str) -> dict[str, list[dict[str, Any]]]:
    """The files of the latest profile's and the event's photos in ``origin``'s feed."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in full_feed(process, origin):
        if entry.type in ("space.profile", "event.put"):
            key = "space" if entry.type == "space.profile" else entry.body["id"]
            found[key] = [f for p in entry.body.get("photos", []) for f in p["files"]]
    return found


def fetch(process: NodeProcess, path: str) -> requests.Response:
    try:
        return requests.get(process.url + path, timeout=5)
    except requests.RequestException as exc:
        raise NotYet(f"GET {path}: {exc}") from exc


def holds(process: NodeProcess, files: list[dict[str, Any]]) -> bool:
    """Whether ``process`` serves every one of ``files`` with its exact bytes."""
    for descriptor in files:
        answer = fetch(process, f"/federation/v1/photos/{descriptor['hash']}")
        if answer.status_code != 200:
            return False
        assert hashlib.sha256(answer.content).hexdigest() == descriptor["hash"]
        assert answer.headers["Content-Type"] == "image/jpeg"
    return True


def fetch_state(data_dir: Path, digest: str) -> tuple[int, int, str] | None:
    """C's own record of a file: (stored, tries, last error), read from its database."""
    with sqlite3.connect(data_dir / "spazi.db") as db:
        row = db.execute(
            "SELECT stored, tries, last_error FROM photo_files WHERE hash = ?", (digest,)
        ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2] or ""))


def test_a_photo_reaches_a_space_two_hops_away_and_a_tampered_one_is_refused(
    tmp_path: Path,
) -> None:
    spaces = {name: make_space(tmp_path, name) for name in ("alpha", "beta", "gamma")}
    (a_dir, a_port, a_id), (b_dir, b_port, _), (c_dir, c_port, _) = spaces.values()
    a = NodeProcess(a_dir, a_port, ENV)
    b = NodeProcess(b_dir, b_port, ENV)
    c = NodeProcess(c_dir, c_port, ENV)
    try:
        code = spazi("peer", "invite", "--expires", "1h", data_dir=a_dir, env=ENV).stdout.strip()
        spazi("peer", "join", code, data_dir=b_dir, env=ENV)

        room = picture(tmp_path / "room.jpg", "orange", (1200, 800))
        party = picture(tmp_path / "party.jpg", "purple", (700, 500))
        spazi("space", "photo", "add", str(room), "--alt", "The big room", data_dir=a_dir, env=ENV)
        spazi(
            "event", "add", "--id", "party", "--title", "Photo night",
            "--start", "2031-05-01T19:00", "--end", "2031-05-01T22:00",
            data_dir=a_dir, env=ENV,
        )  # fmt: skip
        spazi("event", "photo", "add", "party", str(party), "--alt", "Dancing", data_dir=a_dir)
        photos = latest_photos(a, a_id)
        space_files, event_files = photos["space"], photos["party"]
        assert [f["width"] for f in space_files] == [480, 960, 1200]
        assert [f["width"] for f in event_files] == [480, 700]
        for descriptor in space_files:  # what A serves has no GPS position left
            assert b"GPS" not in fetch(a, f"/photos/{descriptor['hash']}").content

        # B mirrors A's feed, then fetches and checks the files.
        wait_for(lambda: holds(b, space_files + event_files), "B to hold A's photo files")

        # A leaves for good: from now on only B has the bytes.
        a.stop()
        # B's cached copy of the event's widest file is altered on disk (same length).
        victim = event_files[-1]["hash"]
        path = b_dir / "photos" / victim[:2] / victim
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        assert hashlib.sha256(fetch(b, f"/federation/v1/photos/{victim}").content).hexdigest() != (
            victim
        )

        code = spazi("peer", "invite", "--expires", "1h", data_dir=b_dir, env=ENV).stdout.strip()
        spazi("peer", "join", code, data_dir=c_dir, env=ENV)

        # C shows A's space photo on its network page, served from C itself: at first with
        # the files fetched so far, then with all three (the widest as the fallback src).
        def c_cover() -> str:
            answer = fetch(c, "/network")
            shown = re.search(r'<img class="cover" src="/photos/([0-9a-f]{64})"', answer.text)
            if answer.status_code != 200 or shown is None:
                raise NotYet("C's network page shows no photo of alpha yet")
            assert 'alt="The big room"' in answer.text
            return shown.group(1)

        wait_for(c_cover, "C to show alpha's widest file", lambda h: h == space_files[-1]["hash"])
        wait_for(lambda: holds(c, space_files), "C to hold every file of alpha's space photo")

        # The altered file is refused: never stored, never served, the reason recorded.
        state = wait_for(
            lambda: fetch_state(c_dir, victim),
            "C to try the altered file",
            until=lambda s: s is not None and s[1] >= 1,
        )
        assert state is not None and state[0] == 0 and "refused" in state[2]
        assert fetch(c, f"/federation/v1/photos/{victim}").status_code == 404
        assert not (c_dir / "photos" / victim[:2] / victim).exists()
        assert "refused" in c.read_log()
        # The event's narrower file matched and is there; the page of the event is A's, gone.
        assert holds(c, event_files[:1])
    finally:
        for process in (a, b, c):
            process.stop()
