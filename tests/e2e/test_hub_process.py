"""A real ``spazi hub run`` process on loopback answering two hosted spaces by host name."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.canonical import parse_strict
from tests.e2e.processes import HubProcess, free_port, spazi

pytestmark = pytest.mark.e2e


def test_a_hub_process_serves_two_spaces_by_host(tmp_path: Path) -> None:
    hub_dir = tmp_path / "hub"
    spazi("hub", "init", str(hub_dir))
    ids = {}
    for name, host in (("Cube", "cube.hub.test"), ("Loft", "loft.hub.test")):
        out = spazi(
            "hub", "add", "--hub", str(hub_dir), "--init", name, "--url", f"https://{host}",
            "--timezone", "Europe/Rome",
        ).stdout  # fmt: skip
        assert f"Hosting {host}" in out
        listed = spazi("hub", "list", "--hub", str(hub_dir), "--json").stdout
        ids[host] = next(r["node_id"] for r in parse_strict(listed.encode()) if r["host"] == host)
    spazi(
        "event", "add", "--title", "Cube night", "--start", "2030-01-10T18:00",
        "--end", "2030-01-10T21:00", data_dir=hub_dir / "spaces" / "cube.hub.test",
    )  # fmt: skip

    hub = HubProcess(hub_dir, free_port())
    try:
        for host, name in (("cube.hub.test", "Cube"), ("loft.hub.test", "Loft")):
            space = hub.get(host, "/api/v1/space")
            assert space.status_code == 200, hub.read_log()
            assert (space.json()["name"], space.json()["node_id"]) == (name, ids[host])
            heads = hub.get(host, "/federation/v1/heads").json()["heads"]
            assert list(heads) == [ids[host]]
            events = hub.get(host, "/api/v1/events").text
            assert ("Cube night" in events) == (host == "cube.hub.test")
        assert (
            hub.get("cube.hub.test", "/federation/v1/heads").json()["heads"][ids["cube.hub.test"]][
                "seq"
            ]
            == 2
        )  # profile, then the event
        unknown = hub.get("nowhere.test", "/api/v1/space")
        assert unknown.status_code == 404
        assert unknown.headers["Content-Type"] == "application/problem+json"
        assert "cube" not in unknown.text.lower() and "loft" not in unknown.text.lower()
        # Each request is logged once (werkzeug's own handler beside the spaces' doubled it).
        for _ in range(3):
            assert hub.get("loft.hub.test", "/api/v1/resources").status_code == 200
        logged = [line for line in hub.read_log().splitlines() if "GET /api/v1/resources" in line]
        assert len(logged) == 3, logged
    finally:
        hub.stop()
