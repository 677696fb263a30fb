"""``spazi demo``: the README's first command starts a federated network of real processes,
prints where to look, serves what it printed until Ctrl-C, then stops everything it started."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from node.demo.spaces import demo_spaces
from node.runtime import open_node
from node.twinning.models import GuestPass
from tests.e2e.demo_run import Demo, free_base, printed_spaces, printed_tour

pytestmark = pytest.mark.e2e


def _logs_in(home: str, email: str, password: str) -> bool:
    session = _admin_session(home, email, password)
    return session.get(home + "admin", timeout=10).ok


def _admin_session(home: str, email: str, password: str) -> requests.Session:
    """A browser-like session logged in to the admin pages of ``home``."""
    session = requests.Session()
    form = session.get(home + "admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form[:500]
    answer = session.post(
        home + "admin/login",
        data={"email": email, "password": password, "csrf_token": token[1]},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def test_the_demo_serves_what_it_prints_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    base = free_base(4)
    demo = Demo("--port", str(base), "--nodes", "4", cwd=tmp_path)
    try:
        demo.wait_for_err("runs until Ctrl-C")
        rows = printed_spaces(demo.out)
        spaces = demo_spaces(4)
        assert list(rows) == [s.name for s in spaces], "".join(demo.out)
        for space, row in zip(spaces, rows.values(), strict=True):
            page = requests.get(row["home"], timeout=10)
            assert page.status_code == 200 and space.name in page.text
            assert _logs_in(row["home"], row["login"], row["password"])
        tour = printed_tour(demo.out)
        network = requests.get(tour["network page"], timeout=10).text
        for space in spaces:  # every space, learnt directly or through gossip
            assert space.name in network
        events = requests.get(tour["events across the network"], timeout=10).text
        assert "Founders breakfast" in events and "Aperitivo dei mestieri" in events
        # Grouped by city and district, drawn on a map; Prato's events in its widget.
        assert "Clerkenwell" in network and "Centro storico" in network and "<svg" in network
        widget = requests.get(tour["events widget for Prato's website"], timeout=10).text
        assert "Aperitivo dei mestieri" in widget and "Founders breakfast" not in widget
        # The twinning it set up: NYC ⇄ The Cube ⇄ Prato, a pass checked in at The Cube.
        assert "The Cube ⇄ WeCreate NYC" in network and "Prato Hub ⇄ The Cube" in network
        # The joint event: The Cube's, co-hosted by Prato Hub, on both calendars.
        prato_events = tour["Prato Hub's events, with one it co-hosts with The Cube"]
        assert "Crafts and code" in requests.get(prato_events, timeout=10).text
        prato_ics = requests.get(prato_events.removesuffix("/events") + "/events.ics", timeout=10)
        assert "Crafts and code" in prato_ics.text
        assert "Crafts and code" in requests.get(rows["The Cube"]["home"], timeout=10).text
        member = next(label for label in tour if label.startswith("guest passes of "))
        pass_page = requests.get(tour[member], timeout=10)
        assert pass_page.status_code == 200 and "The Cube" in pass_page.text
        assert "<svg" in pass_page.text
        cube = rows["The Cube"]
        desk = _admin_session(cube["home"], cube["login"], cube["password"])
        desk_page = desk.get(tour["front desk of The Cube (admin)"], timeout=10).text
        name = member.removeprefix("guest passes of ").split(",")[0]
        assert name in desk_page[desk_page.index("Today's guests") :]
        # Another NYC member booked a hot desk at The Cube on its next open day.
        booker = next(line for line in demo.err if "books a desk at The Cube" in line)
        booker_name = booker.split("… ", 1)[-1].split(" of WeCreate NYC")[0].strip()
        bookings = desk.get(tour["bookings at The Cube this week (admin)"], timeout=10).text
        assert booker_name and booker_name in bookings and "Hot desks" in bookings
        # Profiles of two spaces' members are found from a third; The Cube's call reaches
        # Prato, and its admin sees who in the network lists the skills it seeks.
        people = requests.get(tour["people across the network, by skill"], timeout=10).text
        assert "Giulia Rossi" in people and "Margaret Hamilton" in people
        calls = requests.get(tour["calls for collaboration across the network"], timeout=10)
        assert "Maker week" in calls.text
        admin_calls = desk.get(tour["calls of The Cube, with the people who match (admin)"])
        assert "1 person lists restauro mobili" in admin_calls.text
        profile_page = next(url for label, url in tour.items() if label.startswith("network pro"))
        assert "restauro mobili" in requests.get(profile_page, timeout=10).text
        data_dirs = list(tmp_path.glob("spazi-demo-*"))
        assert len(data_dirs) == 1
    finally:
        demo.process.send_signal(signal.SIGINT)
        assert demo.process.wait(timeout=60) == 0, "".join(demo.err)
    for row in rows.values():  # every node it started has stopped
        with pytest.raises(requests.ConnectionError):
            requests.get(row["home"], timeout=5)
    assert list(tmp_path.glob("spazi-demo-*")) == []  # and its temporary data is gone


def test_sigterm_stops_the_nodes_and_removes_the_folder_as_ctrl_c_does(tmp_path: Path) -> None:
    base = free_base(3)
    demo = Demo("--port", str(base), cwd=tmp_path)
    try:
        demo.wait_for_err("runs until Ctrl-C")
        rows = printed_spaces(demo.out)
        (folder,) = tmp_path.glob("spazi-demo-*")
        assert len(rows) == 3
        # Where the data is, and a command to try on it, are printed and work.
        printed = "".join(demo.out)
        assert f"data: {folder}" in printed, printed
        example = next(line for line in demo.out if line.startswith("  spazi --data-dir "))
        argv = example.split()[1:]
        assert argv[1] == str(folder / "the-cube") and argv[2:] == ["peer", "list"], example
        listed = subprocess.run(
            [sys.executable, "-m", "node.cli", *argv], capture_output=True, text=True, timeout=60
        )
        assert listed.returncode == 0 and "Prato Hub" in listed.stdout, listed.stderr
        # The desk booked at The Cube came with one pass, for the day booked (none for the
        # closed days before it), and the Friday event is on a Friday.
        nyc = open_node(str(folder / "wecreate-nyc"))
        try:
            with nyc.db.read() as session:
                days = session.scalars(select(GuestPass.day).where(GuestPass.day.is_not(None)))
                assert len(list(days)) == 1
        finally:
            nyc.close()
        cube_events = requests.get(rows["The Cube"]["home"] + "events.ics", timeout=10).text
        (friday,) = [e for e in cube_events.split("BEGIN:VEVENT") if "SUMMARY:Friday demo" in e]
        start = re.search(r"DTSTART[^:]*:(\d{8})", friday)
        assert start and date.fromisoformat(start[1]).strftime("%A") == "Friday", friday
    finally:
        demo.process.send_signal(signal.SIGTERM)
        assert demo.process.wait(timeout=60) == 0, "".join(demo.err)
    for row in rows.values():
        with pytest.raises(requests.ConnectionError):
            requests.get(row["home"], timeout=5)
    assert list(tmp_path.glob("spazi-demo-*")) == []


def test_keep_reuses_the_network_and_a_busy_port_is_one_line(tmp_path: Path) -> None:
    base = free_base(3)
    keep = tmp_path / "kept"
    first = subprocess.run(
        [
            sys.executable,
            "-m",
            "node.cli",
            "demo",
            "--once",
            "--keep",
            str(keep),
            "--port",
            str(base),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert first.returncode == 0, first.stderr
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "node.cli",
            "demo",
            "--once",
            "--keep",
            str(keep),
            "--port",
            str(base),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert second.returncode == 0, second.stderr
    assert "creating" not in second.stderr and "peering" not in second.stderr
    assert printed_spaces(first.stdout.splitlines()) == printed_spaces(second.stdout.splitlines())

    with socket.socket() as busy:
        # The runs above leave the port in TIME_WAIT; a listening socket still makes it busy.
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", base + 1))
        busy.listen()
        fresh = tmp_path / "fresh"
        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "node.cli",
                "demo",
                "--once",
                "--keep",
                str(fresh),
                "--port",
                str(base),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and f"port {base + 1}" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stdout == ""
    assert not fresh.exists() or not any(fresh.iterdir())  # nothing made before the refusal
