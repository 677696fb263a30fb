"""Real node processes on loopback ports, for the end-to-end tests.

Real processes sync on their own schedule, so a test waits for a state with :func:`wait_for`
instead of sleeping. On the way a node may not answer (it is starting or restarting), answer
with a problem document (it holds nothing of that origin yet) or hold only part of a feed: a
probe reports such a state as :class:`NotYet`, the wait goes on, and only the deadline fails the
test, naming what it waited for and the last state it saw.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import requests

from federation.canonical import parse_strict

T = TypeVar("T")


class NotYet(AssertionError):
    """A node is in a state a wait passes through: no answer, a problem answer, too little.

    Outside :func:`wait_for` it is an ordinary assertion failure with the same message.
    """


def wait_for(
    probe: Callable[[], T],
    what: str,
    until: Callable[[T], bool] = bool,
    timeout: float = 60.0,
) -> T:
    """Call ``probe`` until ``until`` holds for its value, and return that value.

    A probe raising :class:`NotYet` counts as "not yet". At the deadline the wait fails with
    ``what`` and the last value or state seen, so a timeout says how far things got.
    """
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        try:
            value = probe()
        except NotYet as exc:
            last = f"last state: {exc}"
        else:
            if until(value):
                return value
            last = f"last value: {value!r}"[:1000]
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; {last}")
        time.sleep(0.1)  # the interval between probes, not a stand-in for the state itself


def get_document(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """GET ``url`` and parse its strict JSON; :class:`NotYet` when the node does not answer
    or answers with anything but 200 (a problem document, for instance)."""
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:  # refused while restarting, timed out, cut off
        raise NotYet(f"GET {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise NotYet(f"GET {url}: {response.status_code} {response.text[:300]}")
    document = parse_strict(response.content)
    if not isinstance(document, dict):
        raise NotYet(f"GET {url}: not a JSON object: {response.text[:300]}")
    return document


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
    module: str = "node.cli",
) -> subprocess.CompletedProcess[str]:
    """Run the real ``spazi`` command (the installed console script's module, or ``module``
    that runs it, such as tests/e2e/clocked.py) and capture it."""
    args: list[str] = [sys.executable, "-m", module]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [*args, *argv], capture_output=True, text=True, env=full_env, input=stdin, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"spazi {' '.join(argv)} failed: {result.stderr}")
    return result


def make_space(
    tmp_path: Path,
    name: str,
    timezone: str = "Europe/Rome",
    env: dict[str, str] | None = None,
    module: str = "node.cli",
) -> tuple[Path, int, str]:
    """``spazi init`` a space on a free loopback port: its data dir, port and node id."""
    data, port = tmp_path / name.replace(" ", "-"), free_port()
    out = spazi(
        "init",
        str(data),
        "--name",
        name,
        "--url",
        f"http://127.0.0.1:{port}",
        "--timezone",
        timezone,
        env=env,
        module=module,
    ).stdout
    node_id = next(w for w in out.split() if w.startswith("did:key:"))
    return data, port, node_id


class ChildProcess:
    """A command the test started, its output in ``log_path``; stopped on :meth:`stop`."""

    process: subprocess.Popen[bytes]
    log: Any
    log_path: Path

    def read_log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


class NodeProcess(ChildProcess):
    """``spazi run`` in a child process, stopped on :meth:`stop`."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        env: dict[str, str] | None = None,
        module: str = "node.cli",
    ) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "process.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
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
        try:
            self.wait_ready()
        except BaseException:
            self.stop(kill=True)  # the caller never gets the object, so it cannot stop it
            raise

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll until the node serves its heads (a readiness check, not a sleep standing in
        for sync); fail at once, with its log, if the process exits."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"node exited early:\n{self.read_log()}")
            try:
                get_document(self.url + "/federation/v1/heads", timeout=1)
                return
            except NotYet as exc:  # not listening yet, or not serving yet
                last = str(exc)
            time.sleep(0.05)
        raise AssertionError(f"node did not start within {timeout}s ({last}):\n{self.read_log()}")


def run_all(commands: Sequence[Sequence[str]], data_dir: Path) -> None:
    for argv in commands:
        spazi(*argv, data_dir=data_dir)


class HubProcess(ChildProcess):
    """``spazi hub run`` in a child process, stopped on :meth:`stop`; :meth:`get` sends a request
    for one hosted space by its ``Host`` header."""

    def __init__(self, hub_dir: Path, port: int, *extra: str) -> None:
        self.hub_dir, self.port = hub_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = hub_dir / "hub-process.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "hub", "run", "--hub", str(hub_dir),
             "--host", "127.0.0.1", "--port", str(port), *extra],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            self.wait_ready()
        except BaseException:
            self.stop(kill=True)
            raise

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Poll until the hub answers (an unknown host's 404 is the hub's own answer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"hub exited early:\n{self.read_log()}")
            try:
                requests.get(self.url + "/", headers={"Host": "probe.invalid"}, timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError(f"hub did not start within {timeout}s:\n{self.read_log()}")

    def get(self, host: str, path: str, session: Any = requests) -> requests.Response:
        return session.get(self.url + path, headers={"Host": host}, timeout=30)  # type: ignore[no-any-return]
