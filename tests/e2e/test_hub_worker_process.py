"""A real ``spazi hub worker`` process runs the jobs of every hosted space: each space's outbox
is drained by it (a message queued in each is attempted and its failure recorded), and Ctrl-C
stops it with one line, no traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from node.bootstrap import init_node
from node.hub import spaces
from node.models import OutboxMessage
from node.network.outbox import enqueue_to
from node.runtime import open_node

pytestmark = pytest.mark.e2e

# Nothing listens on port 1 of loopback: a delivery there fails at once, and is recorded.
NOWHERE = "http://127.0.0.1:1"


def _attempts(data_dir: Path) -> list[tuple[int, str | None]]:
    node = open_node(str(data_dir), environ={})
    try:
        with node.db.read() as session:
            rows = session.execute(select(OutboxMessage.tries, OutboxMessage.last_error))
            return [(tries, error) for tries, error in rows]
    finally:
        node.close()


def test_one_worker_process_drains_every_hosted_space(tmp_path: Path) -> None:
    hub_dir = tmp_path / "hub"
    spaces.init_hub(hub_dir)
    hosted = []
    for host in ("cube.hub.test", "loft.hub.test"):
        data_dir = hub_dir / "spaces" / host
        init_node(data_dir, host.split(".")[0].title(), f"https://{host}")
        spaces.add_space(hub_dir, data_dir)
        node = open_node(str(data_dir), environ={})
        try:
            with node.db.write() as session:
                enqueue_to(session, node, "did:key:z6Mknowhere", NOWHERE, "heads.changed",
                           {"heads": {}})  # fmt: skip
        finally:
            node.close()
        hosted.append(data_dir)
    assert all(_attempts(d) == [(0, None)] for d in hosted)

    log_path = tmp_path / "worker.log"
    with log_path.open("ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "hub", "worker", "--hub", str(hub_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not all(_attempts(d) and _attempts(d)[0][0] >= 1 for d in hosted):
                assert worker.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, (
                    f"the worker drained no outbox: {[_attempts(d) for d in hosted]}\n"
                    + log_path.read_text()
                )
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGINT)
            code = worker.wait(timeout=60)
    assert code == 130, log_path.read_text()  # interrupted, as a shell reports Ctrl-C
    for data_dir in hosted:
        ((tries, error),) = _attempts(data_dir)
        assert tries >= 1 and error, (tries, error)
    said = log_path.read_text()
    assert "hub worker running the jobs of 2 spaces" in said
    assert "Traceback" not in said
