"""``spazi demo`` in a child process, and what it prints read back: the demo's test and the
README's tour (tests/tour/make_tour.py) both run the network the README's first command starts."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


def free_base(count: int) -> int:
    """A base port with ``count`` free ports after it."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = int(sock.getsockname()[1])
        if base + count < 65000 and all(_free(base + i) for i in range(count)):
            return base
    raise AssertionError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Demo:
    """``spazi demo`` in a child process, its output collected as it comes."""

    def __init__(self, *argv: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "demo", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": str(cwd)},
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _read(stream: object, sink: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line)

    def wait_for_err(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.err):
            assert self.process.poll() is None, "".join(self.err)
            assert time.monotonic() < deadline, f"no {text!r} yet: {''.join(self.err)}"
            time.sleep(0.1)


def printed_spaces(lines: list[str]) -> dict[str, dict[str, str]]:
    """The printed table of spaces, by space name: home page, admin login, password."""
    rows = {}
    for line in lines:
        match = re.match(r"^(.+?)\s+(http://127\.0\.0\.1:\d+/)\s+(\S+@\S+)\s+(\S+)\s*$", line)
        if match:
            rows[match[1]] = {"home": match[2], "login": match[3], "password": match[4]}
    return rows


def printed_tour(lines: list[str]) -> dict[str, str]:
    """The printed "where to look" lines: label → URL."""
    return dict(line.strip().split(": ", 1) for line in lines if re.match(r"^\S.*: http", line))
