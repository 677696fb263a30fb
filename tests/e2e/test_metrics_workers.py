"""``/metrics`` under gunicorn with several worker processes: with ``PROMETHEUS_MULTIPROC_DIR``
every scrape reports the requests all workers answered, whichever worker serves it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.processes import free_port, spazi, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _missing(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "spazi_http_requests_total" and (
                labels.get("status"),
                labels.get("route"),
            ) == ("404", "/events/<event_id>"):
                return sample.value
    return 0.0


def test_counters_are_summed_across_gunicorn_workers(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "node"
    spazi("init", str(data), "--name", "Metrics", "--url", f"http://127.0.0.1:{port}")
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {
        **os.environ,
        "SPAZI_DATA_DIR": str(data),
        "SPAZI_BIND": f"127.0.0.1:{port}",
        "SPAZI_WORKERS": "3",
        "SPAZI_THREADS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "node:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ok(url + "/healthz"), "gunicorn to serve")
        # Which worker accepts a connection is the kernel's choice: send batches of parallel
        # requests until more than one worker has counted some (each keeps its own file).
        sent = 0
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(max_workers=6) as pool:
            while len(list(shared.glob("counter_*.db"))) < 2:
                assert time.monotonic() < deadline, "every request went to one worker"
                statuses = list(pool.map(_status, [url + "/events/none"] * 12))
                assert statuses == [404] * 12
                sent += 12
        scrapes = {_missing(requests.get(url + "/metrics", timeout=5).text) for _ in range(6)}
        assert scrapes == {float(sent)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _status(url: str) -> int:
    return requests.get(url, timeout=5).status_code


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
