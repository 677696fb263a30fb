"""Real node processes on loopback ports, for the end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spazi(
    *argv: str,
    data_dir: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``spazi`` command (the installed console script's module) and capture it."""
    args: list[str] = [sys.executable, "-m", "node.cli"]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [*args, *argv], capture_output=True, text=True, env=full_env, input=stdin, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"spazi {' '.join(argv)} failed: {result.stderr}")
    return result


class NodeProcess:
    """``spazi run`` in a child process, stopped on :meth:`stop`."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(data_dir / "process.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "node.cli",
                "--data-dir",
                str(data_dir),
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll until the node answers (a readiness check, not a sleep standing in for sync)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"node exited early:\n{self.read_log()}")
            try:
                requests.get(self.url + "/federation/v1/heads", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"node did not start within {timeout}s:\n{self.read_log()}")

    def read_log(self) -> str:
        return (self.data_dir / "process.log").read_text(errors="replace")

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


def run_all(commands: Sequence[Sequence[str]], data_dir: Path) -> None:
    for argv in commands:
        spazi(*argv, data_dir=data_dir)
