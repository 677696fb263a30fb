"""One real ``spazi run`` process on a loopback port, driven over HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from federation.canonical import parse_strict
from federation.descriptor import verify_descriptor
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from tests.e2e.processes import NodeProcess, free_port, spazi

pytestmark = pytest.mark.e2e


def test_a_node_process_serves_its_signed_feed(tmp_path: Path) -> None:
    data = tmp_path / "cube"
    port = free_port()
    init = spazi(
        "init",
        str(data),
        "--name",
        "TheCube",
        "--url",
        f"http://127.0.0.1:{port}",
        "--timezone",
        "Europe/London",
        "--city",
        "London",
        "--country",
        "GB",
    )
    node_id = next(w for w in init.stdout.split() if w.startswith("did:key:"))
    spazi(
        "resource",
        "add",
        "--kind",
        "hot_desk",
        "--name",
        "Hot desk",
        "--capacity",
        "10",
        data_dir=data,
    )
    token = spazi("admin", "token", "create", "--name", "e2e", data_dir=data).stdout.strip()
    process = NodeProcess(data, port)
    now_ms = int(time.time() * 1000)  # the process runs on the real clock
    try:
        base = process.url
        created = requests.post(
            f"{base}/api/v1/events",
            json={"title": "Breakfast", "start": "2026-12-01T09:00", "end": "2026-12-01T10:00"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        refused = requests.post(f"{base}/api/v1/events", json={"title": "x"}, timeout=10)
        assert refused.status_code == 401
        assert refused.headers["Content-Type"] == "application/problem+json"

        descriptor, _ = verify_descriptor(
            requests.get(f"{base}/.well-known/spazi", timeout=10).json(), node_id, now_ms
        )
        assert descriptor.name == "TheCube"
        heads = parse_strict(requests.get(f"{base}/federation/v1/heads", timeout=10).content)
        assert heads["heads"][node_id]["seq"] == 3
        page = parse_strict(
            requests.get(f"{base}/federation/v1/feeds/{node_id}?after=0", timeout=10).content
        )
        entries = verify_page(node_id, Head(), page["entries"], Keyring(), now_ms, checked=True)
        assert [e.type for e in entries] == ["space.profile", "resource.put", "event.put"]
        assert entries[-1].hash == heads["heads"][node_id]["hash"]
        assert (
            requests.get(f"{base}/api/v1/events", timeout=10).json()["events"][0]["title"]
            == "Breakfast"
        )
    finally:
        process.stop()
