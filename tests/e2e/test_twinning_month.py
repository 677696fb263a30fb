"""A month of twinning between two real ``spazi run`` processes on a clock the test moves
(tests/e2e/clocked.py): WeCreate NYC's members book and check in at The Cube through the CLI,
the JSON API and the web form, one booking is cancelled, NYC is down for a week in the middle
(The Cube's desk goes on offline and its receipts wait in the outbox), London leaves summer time
on the way, and at the end of October both spaces' reports agree row by row. A receipt replayed
is not counted twice; receipts for an unknown pass, for nobody's member, or from a node without
an agreement are refused and change nothing. A joint event is on both calendars once the co-host
confirms it."""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from federation import passes as tokens
from federation.canonical import canonicalize
from federation.httpsig import sign_request
from federation.keys import NodeKey
from node.runtime import open_node
from tests.e2e.clocked import CLOCK_ENV, MODULE, set_clock
from tests.e2e.processes import NodeProcess, NotYet, make_space, spazi, wait_for

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo("Europe/London")
ENV = {"SPAZI_ALLOW_PRIVATE_PEERS": "true", "SPAZI_SYNC_INTERVAL": "1"}
HOSTED_TOTAL, ABROAD = "hosted", "abroad"


class Month:
    """The two spaces, their processes and the clock they share."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock_file = tmp_path / "clock"
        self.env = {**ENV, CLOCK_ENV: str(self.clock_file)}
        self.at("2026-09-28", "09:00")
        self.nyc_dir, self.nyc_port, self.nyc_id = make_space(
            tmp_path, "WeCreate NYC", "America/New_York", env=self.env, module=MODULE
        )
        self.cube_dir, self.cube_port, self.cube_id = make_space(
            tmp_path, "The Cube", "Europe/London", env=self.env, module=MODULE
        )
        self.nyc = self.start(self.nyc_dir, self.nyc_port)
        self.cube = self.start(self.cube_dir, self.cube_port)

    def start(self, data_dir: Path, port: int) -> NodeProcess:
        return NodeProcess(data_dir, port, self.env, module=MODULE)

    def at(self, day: str, clock: str = "10:00") -> None:
        """Move both spaces to ``clock`` on ``day``, London time."""
        set_clock(self.clock_file, datetime.fromisoformat(f"{day}T{clock}").replace(
            tzinfo=LONDON).timestamp())  # fmt: skip

    def now(self) -> int:
        """The shared clock, as the processes read it."""
        return int(time.time() + float(self.clock_file.read_text()))

    def nyc_cli(self, *argv: str, check: bool = True) -> Any:
        return spazi(*argv, data_dir=self.nyc_dir, env=self.env, module=MODULE, check=check)

    def cube_cli(self, *argv: str, check: bool = True) -> Any:
        return spazi(*argv, data_dir=self.cube_dir, env=self.env, module=MODULE, check=check)

    def day_pass(self, member: str, day: str) -> str:
        out = self.nyc_cli("pass", "issue", "--member", member, "--partner", "The Cube",
                           "--day", day).stdout  # fmt: skip
        return next(line for line in out.splitlines() if line.count(".") == 2 and len(line) > 300)

    def checkin(self, token: str) -> tuple[int, str]:
        result = self.cube_cli("checkin", token, check=False)
        return result.returncode, result.stdout + result.stderr

    def report(self, data_dir: Path) -> list[dict[str, str]]:
        out = spazi("report", "visits", "--month", "2026-10", "--csv", data_dir=data_dir,
                    env=self.env, module=MODULE).stdout  # fmt: skip
        return list(csv.DictReader(io.StringIO(out)))

    def stop(self) -> None:
        self.nyc.stop()
        self.cube.stop()


def _days(rows: list[dict[str, str]], direction: str) -> dict[str, int]:
    return {r["member"]: int(r["days"]) for r in rows if r["direction"] == direction}


def _abroad(month: Month) -> dict[str, int]:
    return _days(month.report(month.nyc_dir), ABROAD)


def test_a_month_of_exchange_ends_in_two_reports_that_agree(tmp_path: Path) -> None:
    month = Month(tmp_path)
    try:
        _run_the_month(month)
    finally:
        month.stop()


def _run_the_month(month: Month) -> None:
    # September: the two spaces peer and twin; The Cube lists a desk room and a meeting room.
    code = month.cube_cli("peer", "invite").stdout.strip()
    month.nyc_cli("peer", "join", code)
    month.cube_cli("space", "set", "--hours", "Mon-Fri 08:00-20:00")
    month.cube_cli("resource", "add", "--id", "desks", "--kind", "hot_desk", "--name",
                   "Hot desks", "--capacity", "4")  # fmt: skip
    month.cube_cli("resource", "add", "--id", "sala", "--kind", "meeting_room", "--name",
                   "Sala", "--capacity", "8")  # fmt: skip
    wait_for(lambda: "The Cube" in month.nyc_cli("network", "spaces").stdout,
             "NYC to hold The Cube's listing")  # fmt: skip
    month.nyc_cli("agreement", "propose", "The Cube", "--guest-days-per-member", "3",
                  "--guest-days-total", "10", "--resources", "hot_desk,meeting_room",
                  "--from", "2026-09-01", "--until", "2027-09-01")  # fmt: skip
    agreement = wait_for(
        lambda: [a for a in _agreements(month.cube_dir, month) if a["state"] == "awaiting"],
        "the proposal to reach The Cube",
    )[0]["id"]
    month.cube_cli("agreement", "accept", agreement[:12])
    wait_for(
        lambda: [a["state"] for a in _agreements(month.nyc_dir, month)] == ["active"],
        "NYC to see the agreement in force",
    )
    ada, bob, cy = (
        month.nyc_cli("member", "add", "--name", name, "--email", email).stdout.split()[-1]
        for name, email in (("Ada Lovelace", "ada@nyc.example"), ("Bob Noyce", "bob@nyc.example"),
                            ("Cy Young", "cy@nyc.example"))
    )  # fmt: skip
    pseudonyms: dict[str, str] = {}

    def remember(token: str) -> str:
        claims = tokens.read_unverified(token)[1]
        pseudonyms[claims["sub"]] = claims["name"]
        return token

    # 1 October: Ada books a desk for the 2nd from The Cube's terminal; she comes that day.
    month.at("2026-10-01")
    ada_2 = remember(month.day_pass(ada, "2026-10-02"))
    wait_for(lambda: _synced(month), "The Cube to hold NYC's keys")
    out = month.cube_cli("booking", "add", ada_2, "--resource", "desks", "--day",
                         "2026-10-02").stdout  # fmt: skip
    assert "booked Hot desks" in out
    month.at("2026-10-02", "09:30")
    status, text = month.checkin(ada_2)
    assert status == 0 and "already checked in today" in text  # the booking counted the day

    # 5 October: Bob walks in with a 24-hour pass.
    month.at("2026-10-05", "11:00")
    bob_pass = remember(_pass_now(month, bob))
    status, text = month.checkin(bob_pass)
    assert status == 0 and "day 1 of 3 this month" in text

    # 6 October: Bob books the meeting room for the 8th through the JSON API, Cy a desk for the
    # 9th through the web form; on the 7th Cy cancels, and the day is hers again.
    month.at("2026-10-06")
    bob_8 = remember(month.day_pass(bob, "2026-10-08"))
    cy_9 = remember(month.day_pass(cy, "2026-10-09"))
    wait_for(lambda: _synced(month), "The Cube to hold NYC's keys")
    made = requests.post(
        month.cube.url + "/api/v1/bookings",
        json={"pass": bob_8, "resource": "sala", "day": "2026-10-08", "start": "14:00",
              "end": "16:00"},
        timeout=10,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    browser = requests.Session()  # Cy's browser keeps the page's cookie, as a browser would
    form = browser.post(
        month.cube.url + "/book",
        data={"pass": cy_9, "resource": "desks", "day": "2026-10-09"},
        allow_redirects=False,
        timeout=10,
    )
    assert form.status_code == 303, form.text
    cy_link = month.cube.url + form.headers["Location"]
    month.at("2026-10-07")
    cancelled = browser.post(cy_link + "/cancel", allow_redirects=False, timeout=10)
    assert cancelled.status_code == 303
    assert "the guest day is yours again" in browser.get(cy_link, timeout=10).text
    month.at("2026-10-08", "13:50")
    status, text = month.checkin(bob_8)
    assert status == 0 and "already checked in today" in text

    # 11 October: passes for next week; on the 12th NYC goes down for a week.
    month.at("2026-10-11")
    ada_13, cy_15, bob_16 = (
        remember(month.day_pass(member, day))
        for member, day in ((ada, "2026-10-13"), (cy, "2026-10-15"), (bob, "2026-10-16"))
    )
    wait_for(lambda: _synced(month), "The Cube to hold NYC's keys")
    wait_for(lambda: _abroad(month), "NYC to hear of the days so far",
             until=lambda got: got == {"Ada Lovelace": 1, "Bob Noyce": 2})  # fmt: skip
    month.at("2026-10-12", "08:00")
    month.nyc.stop()
    month.at("2026-10-13")
    assert month.checkin(ada_13)[0] == 0
    month.at("2026-10-14")
    out = month.cube_cli("booking", "add", bob_16, "--resource", "desks", "--day",
                         "2026-10-16").stdout  # fmt: skip
    assert "booked Hot desks" in out
    month.at("2026-10-15")
    assert month.checkin(cy_15)[0] == 0
    month.at("2026-10-16")
    assert month.checkin(bob_16)[0] == 0
    during = month.report(month.cube_dir)
    assert sum(int(r["unconfirmed"]) for r in during) == 3  # queued for NYC

    # 19 October: NYC is back; the outbox delivers what waited.
    month.at("2026-10-19")
    month.nyc = month.start(month.nyc_dir, month.nyc_port)
    so_far = {"Ada Lovelace": 2, "Bob Noyce": 3, "Cy Young": 1}
    wait_for(lambda: _abroad(month), "NYC to receive the week's receipts", until=so_far.__eq__)
    month.at("2026-10-20")
    status, text = month.checkin(remember(_pass_now(month, bob)))
    assert status == 1 and "used all their guest days" in text  # 3 a month each

    # After London left summer time (25 October): Ada books the 27th and comes; Cy on the 29th.
    month.at("2026-10-26")
    ada_27 = remember(month.day_pass(ada, "2026-10-27"))
    wait_for(lambda: _synced(month), "The Cube to hold NYC's keys")
    month.cube_cli("booking", "add", ada_27, "--resource", "desks", "--day", "2026-10-27")
    link = next(
        word for word in month.nyc_cli("member", "link", ada).stdout.split() if "/m/" in word
    )
    wait_for(
        lambda: requests.get(link, timeout=10).text,
        "Ada's page at home to list her booking",
        until=lambda page: "2026-10-27" in page and "Hot desks" in page,
    )
    month.at("2026-10-27", "08:05")
    assert month.checkin(ada_27)[0] == 0
    month.at("2026-10-29")
    cy_pass = remember(_pass_now(month, cy))
    assert month.checkin(cy_pass)[0] == 0

    # 28 October: The Cube announces an evening co-hosted with NYC; once NYC confirms, the
    # event is on both spaces' calendars.
    month.at("2026-10-28")
    month.cube_cli("event", "add", "--id", "twin-night", "--title", "Twin night: NYC × London",
                   "--start", "2026-10-30T18:00", "--end", "2026-10-30T20:00",
                   "--cohost", "WeCreate NYC")  # fmt: skip
    wait_for(lambda: month.nyc_cli("event", "cohost-requests").stdout,
             "NYC to see the co-host request", until=lambda out: "twin-night" in out)  # fmt: skip
    assert "Twin night" not in requests.get(month.nyc.url + "/events.ics", timeout=10).text
    month.nyc_cli("event", "cohost-confirm", "The Cube", "twin-night")
    for node in (month.cube, month.nyc):
        wait_for(
            lambda node=node: requests.get(node.url + "/events.ics", timeout=10).text,
            f"the joint event on {node.url}'s calendar",
            until=lambda ics: "Twin night: NYC × London" in ics,
        )

    # 2 November: both reports of October, row by row.
    month.at("2026-11-02")
    hosted = wait_for(
        lambda: month.report(month.cube_dir),
        "every receipt to be confirmed",
        until=lambda rows: rows and all(r["unconfirmed"] == "0" for r in rows),
    )
    abroad = wait_for(lambda: _abroad(month), "NYC's report", until=lambda got: len(got) == 3)
    by_name = {pseudonyms[p]: days for p, days in _days(hosted, HOSTED_TOTAL).items()}
    assert by_name == abroad == {"Ada Lovelace": 3, "Bob Noyce": 3, "Cy Young": 2}
    assert all(r["disputed"] == "0" for r in hosted)

    _replays_and_forgeries_change_nothing(month, agreement, ada_2, abroad)


def _replays_and_forgeries_change_nothing(
    month: Month, agreement: str, ada_pass: str, before: dict[str, int]
) -> None:
    cube = open_node(str(month.cube_dir), environ={})
    claims = tokens.read_unverified(ada_pass)[1]
    report = {"type": "visit.report", "from": month.cube_id, "to": month.nyc_id,
              "agreement": agreement, "member": claims["sub"], "day": "2026-10-02",
              "jti": claims["jti"]}  # fmt: skip
    again = _post(month, cube.key, month.cube_id, report)
    assert again.status_code == 202 and again.json()["state"] == "known"
    unknown_pass = _post(month, cube.key, month.cube_id,
                         {**report, "jti": secrets.token_urlsafe(16)})  # fmt: skip
    assert unknown_pass.status_code == 409 and unknown_pass.json()["type"].endswith("unknown-pass")
    nobody = _post(month, cube.key, month.cube_id, {**report, "member": "m-nobody-here"})
    assert nobody.status_code == 409 and nobody.json()["type"].endswith("unknown-member")
    stranger = NodeKey.generate()
    forged = _post(month, stranger, stranger.did, {**report, "from": stranger.did})
    assert forged.status_code == 409 and forged.json()["type"].endswith("bad-peer-state")
    assert _abroad(month) == before


def _post(month: Month, key: NodeKey, sender: str, message: dict[str, Any]) -> requests.Response:
    request = requests.Request(
        "POST",
        month.nyc.url + "/federation/v1/inbox",
        data=canonicalize(message),
        headers={"Content-Type": "application/json"},
    ).prepare()
    sign_request(request, key, sender, month.now())
    with requests.Session() as session:
        return session.send(request, timeout=10)


def _agreements(data_dir: Path, month: Month) -> list[dict[str, Any]]:
    out = spazi("agreement", "list", "--json", data_dir=data_dir, env=month.env, module=MODULE)
    return list(json.loads(out.stdout))


def _pass_now(month: Month, member: str) -> str:
    out = month.nyc_cli("pass", "issue", "--member", member, "--partner", "The Cube").stdout
    return next(line for line in out.splitlines() if line.count(".") == 2 and len(line) > 300)


def _synced(month: Month) -> bool:
    """The Cube holds NYC's head as NYC serves it (passes need NYC's keys and revocations)."""
    try:
        theirs = requests.get(month.nyc.url + "/federation/v1/heads", timeout=5).json()
        ours = requests.get(month.cube.url + "/federation/v1/heads", timeout=5).json()
    except (requests.RequestException, ValueError) as exc:
        raise NotYet(str(exc)) from exc
    return bool(theirs) and _head(theirs, month.nyc_id) == _head(ours, month.nyc_id)


def _head(heads: Any, origin: str) -> Any:
    return heads.get("heads", {}).get(origin) if isinstance(heads, dict) else None
