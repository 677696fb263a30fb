"""Twinning between two real ``spazi run`` processes over loopback HTTP, driven through the CLI
as two admins and a receptionist would: propose while the partner is down (the outbox delivers
it later), accept, issue passes, check in at the partner with the home node stopped, the
partner quota reached, a revocation and a termination reaching the desk by sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.processes import NodeProcess, NotYet, make_space, spazi, wait_for

ENV = {"SPAZI_ALLOW_PRIVATE_PEERS": "true", "SPAZI_SYNC_INTERVAL": "1"}

pytestmark = pytest.mark.e2e


def agreements(data_dir: Path) -> list[dict]:
    return json.loads(spazi("agreement", "list", "--json", data_dir=data_dir, env=ENV).stdout)


def one_state(data_dir: Path) -> str:
    found = agreements(data_dir)
    if len(found) != 1:
        raise NotYet(f"{len(found)} agreements")
    return str(found[0]["state"])


def issue(data_dir: Path, member: str, partner: str) -> str:
    out = spazi(
        "pass", "issue", "--member", member, "--partner", partner, data_dir=data_dir, env=ENV
    ).stdout
    return next(line for line in out.splitlines() if line.count(".") == 2 and len(line) > 300)


def member(data_dir: Path, name: str) -> str:
    email = name.split()[0].lower() + "@example.org"
    out = spazi("member", "add", "--name", name, "--email", email, data_dir=data_dir).stdout
    return out.split()[-1]


def checkin(data_dir: Path, token: str) -> tuple[int, str]:
    result = spazi("checkin", token, data_dir=data_dir, env=ENV, check=False)
    return result.returncode, result.stdout


def test_twinning_between_two_node_processes(tmp_path: Path) -> None:
    nyc_dir, nyc_port, _nyc_id = make_space(tmp_path, "WeCreate NYC", "America/New_York")
    cube_dir, cube_port, cube_id = make_space(tmp_path, "The Cube", "Europe/London")
    nyc = NodeProcess(nyc_dir, nyc_port, ENV)
    cube = NodeProcess(cube_dir, cube_port, ENV)
    try:
        code = spazi("peer", "invite", data_dir=cube_dir, env=ENV).stdout.strip()
        spazi("peer", "join", code, data_dir=nyc_dir, env=ENV)
        wait_for(
            lambda: "The Cube" in spazi("network", "spaces", data_dir=nyc_dir).stdout,
            "NYC to hold The Cube's listing",
        )

        # The partner is down when the proposal is made: the outbox keeps it.
        cube.stop()
        spazi(
            "agreement", "propose", "The Cube",
            "--guest-days-per-member", "2", "--guest-days-total", "2",
            "--from", "2026-01-01", "--until", "2028-01-01",
            data_dir=nyc_dir, env=ENV,
        )  # fmt: skip
        assert one_state(nyc_dir) == "proposed"
        cube = NodeProcess(cube_dir, cube_port, ENV)
        wait_for(
            lambda: one_state(cube_dir),
            "the proposal to reach The Cube",
            until=lambda s: s == "awaiting",
        )
        agreement = agreements(cube_dir)[0]["id"]
        spazi("agreement", "accept", agreement[:12], data_dir=cube_dir, env=ENV)
        wait_for(
            lambda: one_state(nyc_dir), "NYC to learn the acceptance", until=lambda s: s == "active"
        )

        ada, bob, cy, dee = (
            member(nyc_dir, n) for n in ("Ada Lovelace", "Bob Noyce", "Cy Young", "Dee Dee")
        )
        ada_pass, bob_pass, cy_pass = (issue(nyc_dir, m, cube_id) for m in (ada, bob, cy))

        # The home node is switched off: the desk checks offline.
        nyc.stop()
        status, out = checkin(cube_dir, ada_pass)
        assert status == 0 and "ADMITTED: Ada Lovelace" in out and "home space: WeCreate NYC" in out
        status, out = checkin(cube_dir, ada_pass)
        assert status == 0 and "already checked in today" in out
        status, out = checkin(cube_dir, bob_pass)
        assert status == 0 and "their members: 2 of 2 days" in out
        status, out = checkin(cube_dir, cy_pass)  # the partner's 2 days are used up
        assert status == 1 and "used all their guest days" in out

        # Back online, NYC revokes a pass; once The Cube synced, the desk refuses it.
        nyc = NodeProcess(nyc_dir, nyc_port, ENV)
        dee_pass = issue(nyc_dir, dee, cube_id)
        jti = json.loads(spazi("pass", "list", "--member", dee, "--json", data_dir=nyc_dir).stdout)[
            0
        ]["jti"]
        spazi("pass", "revoke", jti, data_dir=nyc_dir, env=ENV)
        wait_for(
            lambda: checkin(cube_dir, dee_pass)[1],
            "the revocation to reach The Cube",
            until=lambda out: "revoked" in out,
        )

        # NYC ends the agreement: The Cube refuses every pass under it after the next sync.
        spazi("agreement", "terminate", agreement[:12], data_dir=nyc_dir, env=ENV)
        wait_for(
            lambda: one_state(cube_dir),
            "The Cube to see the termination",
            until=lambda s: s == "terminated",
        )
        status, out = checkin(cube_dir, ada_pass)
        assert status == 1 and "no active twinning agreement" in out
    finally:
        nyc.stop()
        cube.stop()
