"""``spazi demo`` in a child process, and what it prints read back: the demo's test and the
README's tour (tests/tour/make_tour.py) both run the network the README's first command starts."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


def free_base(count: int) -> int:
    """A base port with ``count`` free ports after it, below the kernel's ephemeral range: a
    port the OS hands out (bind to 0) can be taken a moment later as the source port of any
    outgoing connection on the machine, and the demo binds its ports only after a while."""
    low, _ = _ephemeral_range()
    picker = random.Random()
    for _ in range(200):
        base = picker.randrange(10000, max(10001, low - count))
        if all(_free(base + i) for i in range(count)):
            return base
    raise AssertionError("no run of free ports")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


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
